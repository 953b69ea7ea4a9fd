import type { Static } from 'typebox';
import type { ChatMessage, CompletionResult, UpstreamChunk } from '../manager/types.ts';
import type { StreamEncoder } from './completion.ts';
import { badRequest } from './errors.ts';
import type { ChatCompletionBody } from './schemas/openai.ts';

/** OpenAI's chat completion shapes, mapped to and from the manager's chat request and result. */

type Body = Static<typeof ChatCompletionBody>;

const ROLE: Record<string, ChatMessage['role']> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'tool',
  function: 'tool',
};

export function toChatMessages(messages: Body['messages']): ChatMessage[] {
  return messages.map((m, i) => {
    const out: ChatMessage = { role: ROLE[m.role] ?? 'user', content: '' };
    if (typeof m.content === 'string') out.content = m.content;
    else if (Array.isArray(m.content)) {
      const texts: string[] = [];
      const images: string[] = [];
      m.content.forEach((part, j) => {
        if (typeof part.text === 'string') texts.push(part.text);
        if (part.image_url !== undefined)
          images.push(imageData(part.image_url, `body/messages/${i}/content/${j}/image_url`));
      });
      out.content = texts.join('\n');
      if (images.length) out.images = images;
    }
    return out;
  });
}

/** Only inline images: the service never fetches a URL on a client's behalf. */
function imageData(value: string | { url: string }, field: string): string {
  const url = typeof value === 'string' ? value : value.url;
  const m = /^data:image\/[a-z0-9.+-]+;base64,(.+)$/i.exec(url);
  if (!m)
    throw badRequest(`${field} must be a data:image/...;base64 URL; remote URLs are not fetched`, field);
  return m[1]!;
}

/** OpenAI sampling fields → Ollama runner options. */
export function toOptions(b: Body): Record<string, unknown> | undefined {
  const o: Record<string, unknown> = {};
  if (b.temperature != null) o['temperature'] = b.temperature;
  if (b.top_p != null) o['top_p'] = b.top_p;
  if (b.frequency_penalty != null) o['frequency_penalty'] = b.frequency_penalty;
  if (b.presence_penalty != null) o['presence_penalty'] = b.presence_penalty;
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  if (maxTokens != null) o['num_predict'] = maxTokens;
  if (b.seed != null) o['seed'] = b.seed;
  if (b.stop != null) o['stop'] = Array.isArray(b.stop) ? b.stop : [b.stop];
  return Object.keys(o).length ? o : undefined;
}

export function toFormat(b: Body): unknown {
  const rf = b.response_format;
  if (rf?.type === 'json_object') return 'json';
  if (rf?.type === 'json_schema')
    return (rf.json_schema as { schema?: unknown } | undefined)?.schema ?? 'json';
  return undefined;
}

function finishReason(final: UpstreamChunk): 'stop' | 'length' {
  return final.done_reason === 'length' ? 'length' : 'stop';
}

function usage(final: UpstreamChunk) {
  const prompt = final.prompt_eval_count ?? 0;
  const completion = final.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export interface CompletionIds {
  id: string;
  created: number;
}

export function completionIds(requestId: string): CompletionIds {
  return { id: `chatcmpl-${requestId}`, created: Math.floor(Date.now() / 1000) };
}

export function chatCompletion(ids: CompletionIds, result: CompletionResult) {
  return {
    ...ids,
    object: 'chat.completion',
    model: result.model_used,
    system_fingerprint: 'fp_rmm',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: result.response },
        finish_reason: finishReason(result.final),
      },
    ],
    usage: usage(result.final),
  };
}

const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/** SSE as OpenAI sends it: role in the first delta only, a finish chunk, the optional usage chunk, [DONE]. */
export function openAiEncoder(ids: CompletionIds, includeUsage: boolean): StreamEncoder {
  let first = true;
  const chunk = (model: string, delta: Record<string, string>, finish: string | null) => ({
    ...ids,
    object: 'chat.completion.chunk',
    model,
    system_fingerprint: 'fp_rmm',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  return {
    contentType: 'text/event-stream; charset=utf-8',
    chunk(c) {
      const content = c.message?.content ?? c.response ?? '';
      const delta: Record<string, string> = first ? { role: 'assistant', content } : { content };
      first = false;
      return event(chunk(c.model, delta, null));
    },
    final(result) {
      let out = event(
        chunk(result.model_used, first ? { role: 'assistant' } : {}, finishReason(result.final)),
      );
      if (includeUsage) {
        out += event({ ...chunk(result.model_used, {}, null), choices: [], usage: usage(result.final) });
      }
      return `${out}data: [DONE]\n\n`;
    },
    error: (err) =>
      event({ error: { message: err.message, type: 'api_error', param: null, code: err.code } }),
  };
}
