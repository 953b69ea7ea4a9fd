import { TASK_TYPES, type TaskType, URGENCIES, type Urgency } from '../config/schema.ts';
import type { CompletionResult, ToolCall, UpstreamChunk } from '../manager/completion.ts';
import { withFields } from '../with-fields.ts';
import { rmmSummary, type StreamEncoder } from './completion.ts';
import { badRequest } from './errors.ts';

/** Ollama's response shapes for generate and chat, streamed (NDJSON) or whole. */

export type OllamaKind = 'generate' | 'chat';

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

function text(chunk: UpstreamChunk): string {
  return chunk.response ?? chunk.message?.content ?? '';
}

/** What an answer carries besides its text: the reasoning and the tool calls. */
interface Extras {
  thinking?: string | undefined;
  tool_calls?: ToolCall[] | undefined;
}

/** Ollama's field order: model, created_at, the text (with thinking and tool calls), done, then the rest. */
function withText(kind: OllamaKind, base: Record<string, unknown>, content: string, extras: Extras = {}) {
  const { model, created_at, done, ...rest } = base;
  let body: Record<string, unknown>;
  if (kind === 'generate') {
    body = { response: content };
    if (extras.thinking) body['thinking'] = extras.thinking;
  } else {
    const message: Record<string, unknown> = { role: 'assistant', content };
    if (extras.thinking) message['thinking'] = extras.thinking;
    if (extras.tool_calls?.length) message['tool_calls'] = extras.tool_calls;
    body = { message };
  }
  return { model, created_at, ...body, done, ...rest };
}

/** The closing object: Ollama's final chunk (figures, done_reason) plus our `rmm` metadata. */
export function ollamaFinal(kind: OllamaKind, result: CompletionResult, content: string, whole = true) {
  const { response: _r, message: _m, thinking: _t, ...figures } = result.final;
  if (kind === 'chat') delete figures.context;
  return withText(
    kind,
    withFields(figures, {
      model: result.model_used,
      done: true,
      done_reason: figures.done_reason ?? 'stop',
      rmm: rmmSummary(result),
    }),
    content,
    // A streamed answer sent its thinking and tool calls in its chunks already.
    whole ? { thinking: result.thinking, tool_calls: result.tool_calls } : {},
  );
}

export function ollamaEncoder(kind: OllamaKind): StreamEncoder {
  return {
    contentType: 'application/x-ndjson',
    // Ollama's own line passes through as bytes it sent (no parse-and-rebuild per chunk); a chunk without
    // one (an answer that was not streamed upstream) is rebuilt.
    chunk: (c, raw) =>
      raw !== undefined
        ? `${raw}\n`
        : line(
            withText(kind, { model: c.model, created_at: c.created_at, done: false }, text(c), {
              thinking: c.message?.thinking ?? c.thinking,
              tool_calls: c.message?.tool_calls,
            }),
          ),
    final: (result) => line(ollamaFinal(kind, result, '', false)),
    error: (err) => line({ error: err.message }),
  };
}

/** Ollama's answer to a load-only or unload request: `done_reason` "load" or "unload", no figures. */
export function loadAnswer(kind: OllamaKind, model: string, reason: 'load' | 'unload') {
  return withText(kind, { model, created_at: new Date().toISOString(), done: true, done_reason: reason }, '');
}

/** keep_alive 0 in any spelling Ollama accepts: 0, "0", "0s", "0m", "0.0h"... */
export function isKeepAliveZero(value: unknown): boolean {
  if (typeof value === 'number') return value === 0;
  return typeof value === 'string' && /^\s*0+(\.0+)?(ns|us|µs|ms|s|m|h)?\s*$/.test(value);
}

const URGENCY_SET: ReadonlySet<string> = new Set(URGENCIES);
const TASK_SET: ReadonlySet<string> = new Set(TASK_TYPES);

/**
 * `options.urgency` and `options.task_type` are routing hints for us, not runner options: they are taken
 * out (Ollama would warn about unknown options) and validated like the body fields.
 */
export function splitOptions(options: Record<string, unknown> | undefined): {
  options?: Record<string, unknown>;
  urgency?: Urgency;
  task_type?: TaskType;
} {
  if (!options) return {};
  const { urgency, task_type, ...rest } = options;
  const out: { options?: Record<string, unknown>; urgency?: Urgency; task_type?: TaskType } = {};
  if (Object.keys(rest).length) out.options = rest;
  if (urgency !== undefined) {
    if (typeof urgency !== 'string' || !URGENCY_SET.has(urgency)) {
      throw badRequest(`body/options/urgency must be one of ${URGENCIES.join(', ')}`, 'body/options/urgency');
    }
    out.urgency = urgency as Urgency;
  }
  if (task_type !== undefined) {
    if (typeof task_type !== 'string' || !TASK_SET.has(task_type)) {
      throw badRequest(
        `body/options/task_type must be one of ${TASK_TYPES.join(', ')}`,
        'body/options/task_type',
      );
    }
    out.task_type = task_type as TaskType;
  }
  return out;
}
