import type { Static } from 'typebox';
import type { ChatMessage, CompletionResult, ToolCall, UpstreamChunk } from '../manager/completion.ts';
import { withFields } from '../with-fields.ts';
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
  // A tool result names its call by id; Ollama names the tool: the id is looked up in the calls before it.
  const toolById = new Map<string, string>();
  return messages.map((m, i) => {
    const out: ChatMessage = { role: ROLE[m.role] ?? 'user', content: '' };
    if (m.tool_calls?.length) {
      out.tool_calls = m.tool_calls.map((c, j) => {
        if (c.id) toolById.set(c.id, c.function.name);
        return {
          function: {
            name: c.function.name,
            arguments: parseArguments(
              c.function.arguments,
              `body/messages/${i}/tool_calls/${j}/function/arguments`,
            ),
          },
        };
      });
    }
    if (out.role === 'tool') {
      const name = (m.tool_call_id && toolById.get(m.tool_call_id)) ?? m.name;
      if (name) out.tool_name = name;
    }
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

/** OpenAI sends a call's arguments as a JSON string; Ollama wants the object. */
function parseArguments(text: string | undefined, field: string): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw badRequest(`${field} must be a JSON object encoded as a string`, field);
}

/**
 * OpenAI `tools` as Ollama takes them (the same shape), unless `tool_choice` is "none". Ollama has no
 * tool_choice: "auto" is its behaviour; "required" and a named function cannot be enforced upstream, so the
 * tools are sent and the model chooses (a documented difference).
 */
export function toTools(b: Body): unknown[] | undefined {
  if (!b.tools?.length || b.tool_choice === 'none') return undefined;
  return b.tools;
}

/** Ollama's tool calls in OpenAI's shape: ids, type, arguments as a JSON string. */
export function toOpenAiToolCalls(calls: readonly ToolCall[] | undefined, idPrefix: string) {
  return (calls ?? []).map((c, index) => ({
    index,
    id: c.id ?? `call_${idPrefix}_${index}`,
    type: 'function' as const,
    function: { name: c.function.name, arguments: JSON.stringify(c.function.arguments ?? {}) },
  }));
}

/** Only inline images: the service never fetches a URL on a client's behalf. */
function imageData(value: string | { url: string }, field: string): string {
  const url = typeof value === 'string' ? value : value.url;
  const m = /^data:image\/[a-z0-9.+-]+;base64,(.+)$/i.exec(url);
  if (!m)
    throw badRequest(`${field} must be a data:image/...;base64 URL; remote URLs are not fetched`, field);
  return m[1]!;
}

type Sampling = Partial<
  Pick<
    Body,
    | 'temperature'
    | 'top_p'
    | 'frequency_penalty'
    | 'presence_penalty'
    | 'max_tokens'
    | 'max_completion_tokens'
    | 'seed'
    | 'stop'
  >
>;

/** OpenAI sampling fields (shared by chat and text completions) → Ollama runner options. */
export function toOptions(b: Sampling): Record<string, unknown> | undefined {
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

export function finishReason(final: UpstreamChunk, toolCalls = false): 'stop' | 'length' | 'tool_calls' {
  if (toolCalls) return 'tool_calls';
  return final.done_reason === 'length' ? 'length' : 'stop';
}

export function usage(final: UpstreamChunk) {
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
  const calls = toOpenAiToolCalls(result.tool_calls, ids.id).map(({ index: _i, ...c }) => c);
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: calls.length && !result.response ? null : result.response,
  };
  if (result.thinking) message['reasoning'] = result.thinking;
  if (calls.length) message['tool_calls'] = calls;
  return withFields(ids, {
    object: 'chat.completion',
    model: result.model_used,
    system_fingerprint: 'fp_rmm',
    choices: [{ index: 0, message, finish_reason: finishReason(result.final, calls.length > 0) }],
    usage: usage(result.final),
  });
}

/** OpenAI's legacy text completion (/v1/completions) from a generate result. */
export function textCompletion(ids: CompletionIds, result: CompletionResult) {
  return {
    id: ids.id.replace(/^chatcmpl-/, 'cmpl-'),
    object: 'text_completion',
    created: ids.created,
    model: result.model_used,
    system_fingerprint: 'fp_rmm',
    choices: [{ text: result.response, index: 0, logprobs: null, finish_reason: finishReason(result.final) }],
    usage: usage(result.final),
  };
}
