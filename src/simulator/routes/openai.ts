import type { SimToolCall } from '../answer.ts';
import { isValidName } from '../catalog.ts';
import type { RequestContext } from '../context.ts';
import { decodeGoJson } from '../go-json.ts';
import { sendJson, sseStream } from '../http-io.ts';
import { type CompletionPlan, type CompletionSummary, runCompletion } from '../inference.ts';
import { hash32 } from '../prng.ts';
import { countTokens } from '../text.ts';
import { findModel } from './parse.ts';

/** POST /v1/chat/completions and GET /v1/models: Ollama's OpenAI-compatible layer. */

function errorType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 404) return 'not_found_error';
  return 'api_error';
}

export function openAiError(message: string, status: number) {
  return { error: { message, type: errorType(status), param: null, code: null } };
}

interface OpenAiMessage {
  role?: unknown;
  content?: unknown;
}

interface OpenAiChatRequest {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  tools?: unknown;
  response_format?: { type?: unknown; json_schema?: { schema?: unknown } } | null;
  reasoning_effort?: unknown;
}

/** Ollama's openai layer: json_object → format "json", json_schema → its schema. */
function formatOf(rf: OpenAiChatRequest['response_format']): unknown {
  if (rf?.type === 'json_object') return 'json';
  if (rf?.type === 'json_schema') return rf.json_schema?.schema ?? 'json';
  return undefined;
}

/** OpenAI's tool call: arguments as a JSON string, `type` and `index` always present. */
function openAiCalls(calls: SimToolCall[]) {
  return calls.map((c) => ({
    id: c.id,
    index: c.index,
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.arguments) },
  }));
}

/** OpenAI content may be a string or a list of parts; only text parts count here. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .join('');
  }
  return '';
}

export async function handleOpenAiChat(ctx: RequestContext): Promise<void> {
  ctx.sim.counters.inference_requests_total++;
  const fail = (status: number, message: string) => sendJson(ctx.res, status, openAiError(message, status));
  const decoded = decodeGoJson(ctx.body);
  if (!decoded.ok) return fail(400, decoded.error);
  if (typeof decoded.value !== 'object' || decoded.value === null || Array.isArray(decoded.value)) {
    return fail(400, 'json: cannot unmarshal into Go value of type openai.ChatCompletionRequest');
  }
  const body = decoded.value as OpenAiChatRequest;
  const messages = Array.isArray(body.messages) ? (body.messages as OpenAiMessage[]) : [];
  if (messages.length === 0) return fail(400, "[] is too short - 'messages'");
  const requested = typeof body.model === 'string' ? body.model : '';
  if (!isValidName(requested)) return fail(400, 'model is required');
  const model = findModel(ctx, requested, fail);
  if (!model) return;

  const maxTokens = [body.max_completion_tokens, body.max_tokens].find((v) => typeof v === 'number') as
    | number
    | undefined;
  const texts = messages.map((m) => ({
    role: typeof m.role === 'string' ? m.role : '',
    content: contentText(m.content),
  }));
  const users = texts.filter((m) => m.role === 'user');
  const promptText = texts.map((m) => `${m.role}: ${m.content}`).join('\n');
  const plan: CompletionPlan = {
    model,
    keepAliveMs: undefined,
    numCtx: undefined,
    promptText,
    question: users[users.length - 1]?.content ?? '',
    promptTokens: texts.reduce((n, m) => n + countTokens(m.content) + 4, 0),
    numPredict: maxTokens,
    loadOnly: false,
    // Ollama's layer sets think only from reasoning_effort; a thinking model thinks anyway.
    think: typeof body.reasoning_effort === 'string' ? body.reasoning_effort !== 'none' : undefined,
    tools: Array.isArray(body.tools) ? body.tools : undefined,
    lastMessage: texts[texts.length - 1],
    format: formatOf(body.response_format),
  };

  // Ollama draws the number at random; here it comes from the seed so runs repeat exactly.
  const id = `chatcmpl-${hash32(ctx.sim.seed, ctx.sim.counters.inference_requests_total) % 999}`;
  const created = Math.floor(ctx.sim.clock.wallNow() / 1000);
  const head = { id, created, model: requested, system_fingerprint: 'fp_ollama' };
  const usage = (s: CompletionSummary) => {
    const completion = s.metrics.eval_count ?? 0;
    return {
      prompt_tokens: s.promptTokens,
      completion_tokens: completion,
      total_tokens: s.promptTokens + completion,
    };
  };
  const finishReason = (s: CompletionSummary) =>
    s.doneReason === 'length' ? 'length' : s.toolCalls.length > 0 ? 'tool_calls' : 'stop';
  const message = (s: CompletionSummary) => ({
    role: 'assistant',
    content: s.text,
    ...(s.thinking ? { reasoning: s.thinking } : {}),
    ...(s.toolCalls.length > 0 ? { tool_calls: openAiCalls(s.toolCalls) } : {}),
  });

  if (body.stream !== true) {
    await runCompletion(ctx, plan, {
      stream: false,
      fail,
      tokens: () => {},
      calls: () => {},
      loaded: () => {},
      done: (s) =>
        sendJson(ctx.res, 200, {
          ...head,
          object: 'chat.completion',
          choices: [{ index: 0, message: message(s), finish_reason: finishReason(s) }],
          usage: usage(s),
        }),
    });
    return;
  }

  const events = sseStream(ctx.res, openAiError);
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  let first = true;
  await runCompletion(ctx, plan, {
    stream: true,
    fail: (status, message) => events.fail(status, message),
    loaded: () => {},
    tokens: (batch) =>
      events.write(
        batch.map((p) => {
          const part = p.kind === 'thinking' ? { reasoning: p.text } : { content: p.text };
          // Only the first delta names the role, as OpenAI does.
          const delta = first ? { role: 'assistant', ...part } : part;
          first = false;
          return chunk(delta, null);
        }),
      ),
    // Each call arrives whole in one delta, as Ollama's layer sends it.
    calls: (calls) => {
      events.write([
        chunk({ ...(first ? { role: 'assistant' } : {}), tool_calls: openAiCalls(calls) }, null),
      ]);
      first = false;
    },
    done: (s) => {
      const records: unknown[] = [chunk({}, finishReason(s))];
      if (body.stream_options?.include_usage === true) {
        records.push({ ...head, object: 'chat.completion.chunk', choices: [], usage: usage(s) });
      }
      events.write(records);
      events.writeRaw('data: [DONE]\n\n');
      events.end();
    },
  });
}

export function handleOpenAiModels(ctx: RequestContext): void {
  const models = ctx.sim.catalog.list().filter((m) => !ctx.sim.faults.hidesModel(m.name));
  sendJson(ctx.res, 200, {
    object: 'list',
    // Ollama's list is nil when empty, which Go encodes as null.
    data:
      models.length === 0
        ? null
        : models.map((m) => ({
            id: m.name,
            object: 'model',
            created: Math.floor(m.modifiedAtMs / 1000),
            owned_by: 'library',
          })),
  });
}
