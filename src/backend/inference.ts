import type { Dispatcher } from 'undici';
import type { CancelSignal } from '../manager/cancel-signal.ts';
import type { CompletionRequest, ToolCall, UpstreamChunk } from '../manager/completion.ts';
import { TimeoutError } from '../policy/errors.ts';
import { type Clock, systemClock } from '../time/clock.ts';
import { withFields } from '../with-fields.ts';
import type { Phase } from './attempt-error.ts';
import { AttemptError } from './attempt-error.ts';
import { asError, Exchange } from './exchange.ts';
import { JSON_HEADERS, responseErrorOf } from './ollama-call.ts';

/** The request fields Ollama receives as the caller sent them: one definition, the manager port's. */
type UpstreamRequestFields = Pick<
  CompletionRequest,
  | 'prompt'
  | 'messages'
  | 'system'
  | 'options'
  | 'format'
  | 'tools'
  | 'think'
  | 'suffix'
  | 'images'
  | 'raw'
  | 'template'
  | 'context'
  | 'extra'
>;

export interface InferenceCall extends UpstreamRequestFields {
  kind: 'generate' | 'chat';
  model: string;
  keepAlive?: string | number;
  /** The caller's own cancellation (client went away). */
  signal?: CancelSignal;
  /** Upper bound for this attempt until its first token (the whole answer when not streaming). */
  timeoutMs?: number;
  /** Once streaming, the longest silence between two chunks before the stream is cut. */
  idleTimeoutMs?: number;
  /**
   * Streams chunks to the caller as they arrive; the first call marks the end of failover freedom. `raw` is
   * the chunk's line as Ollama sent it (absent on the `done` chunk), for callers that pass bytes through.
   */
  onChunk?: (chunk: UpstreamChunk, raw?: string) => void;
}

export interface InferenceResult {
  text: string;
  final: UpstreamChunk;
  chunks: number;
  /** The reasoning, gathered over the whole answer (think). */
  thinking?: string;
  /** Every tool call of the answer (chat with tools). */
  toolCalls?: ToolCall[];
  /** An embedding request's vectors (the journey carries embeddings like answers). */
  embeddings?: number[][];
}

/**
 * One inference over undici's dispatch API (exchange.ts), straight to Ollama's documented /api/generate and
 * /api/chat.
 *
 * Not the official `ollama` client: its fetch-based calls (WHATWG Request, Headers and web streams, an
 * AbortSignal per call) cost several times the whole gateway budget per request (bench/README.md,
 * overhead); the other calls go the same way (ollama-call.ts). Errors are shaped like the client's —
 * `ResponseError` with `error` and `status_code`, a plain Error for an `{"error"}` line mid-stream, the
 * same message for a stream without `done` — so the error taxonomy reads both alike. The attempt's timeout bounds the time to the first token
 * (Ollama sends headers with its first chunk); once streaming, the idle timeout bounds each silence.
 */
export async function runInference(
  dispatcher: Dispatcher,
  origin: string,
  call: InferenceCall,
  clock: Clock = systemClock,
): Promise<InferenceResult> {
  const streaming = call.onChunk !== undefined;
  let phase: Phase = 'connect';
  const reader = streaming ? new StreamReader(call) : undefined;
  const exchange = new Exchange({
    started: (status) => {
      if (streaming && status < 400) phase = 'first_token';
    },
    ...(reader && {
      line: (line: string) => {
        if (!reader.take(line)) return;
        lastChunkAt = clock.now();
        if (phase !== 'mid_stream') {
          phase = 'mid_stream';
          arm(call.idleTimeoutMs);
        }
      },
    }),
  });
  // Our own timer, not undici's headers/body timeouts: theirs run on a coarse shared clock for anything
  // near a second or more, and a hung model must be cut at its share of the deadline, not seconds later.
  //
  // Once streaming, the idle timer is not re-armed per chunk (a clear and a set, ~0.3 µs, dozens of times an
  // answer): each chunk only notes its time, and the timer, when it fires, waits again for what is left of
  // the silence allowed since the last chunk.
  let timedOut: TimeoutError | undefined;
  let timer: unknown;
  let lastChunkAt = 0;
  const arm = (ms: number | undefined) => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = ms === undefined ? undefined : clock.setTimeout(() => expire(ms), Math.max(1, ms));
  };
  const expire = (ms: number) => {
    timer = undefined;
    if (phase === 'mid_stream') {
      const quietMs = clock.now() - lastChunkAt;
      if (quietMs < ms) {
        timer = clock.setTimeout(() => expire(ms), Math.max(1, ms - quietMs));
        return;
      }
    }
    timedOut = new TimeoutError(Math.round(ms), phase);
    exchange.abort(timedOut);
  };
  const signal = call.signal;
  const callerLeft = () => exchange.abort(asError(signal?.reason));
  if (signal?.aborted) throw new AttemptError(phase, signal.reason);
  signal?.addEventListener('abort', callerLeft, { once: true });
  arm(call.timeoutMs);
  try {
    dispatcher.dispatch(
      {
        origin,
        path: call.kind === 'chat' ? '/api/chat' : '/api/generate',
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify(requestBody(call, streaming)),
        // 0 disables undici's own 300 s defaults: a long cold load must not be cut by them (ollama-js #72).
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      exchange,
    );
    const { status, body } = await exchange.done;
    if (status >= 400) throw responseErrorOf(status, body);
    if (reader) return reader.result();
    const final = JSON.parse(body) as UpstreamChunk;
    const text = call.kind === 'chat' ? (final.message?.content ?? '') : (final.response ?? '');
    const result: InferenceResult = { text, final, chunks: 1 };
    const thinking = final.message?.thinking ?? final.thinking;
    if (thinking) result.thinking = thinking;
    if (final.message?.tool_calls?.length) result.toolCalls = final.message.tool_calls;
    return result;
  } catch (err) {
    if (err instanceof AttemptError) throw err;
    const reason =
      timedOut !== undefined && !signal?.aborted ? timedOut : signal?.aborted ? signal.reason : err;
    throw new AttemptError(phase, reason);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    signal?.removeEventListener('abort', callerLeft);
  }
}

/** A streamed answer, line by line: each chunk to the caller, the text, thinking and tool calls gathered. */
class StreamReader {
  private text = '';
  private thinking = '';
  private toolCalls: ToolCall[] | undefined;
  private chunks = 0;
  private final: UpstreamChunk | undefined;

  constructor(private readonly call: InferenceCall) {}

  /** Takes one line; true when it was a chunk. Lines after `done` are read and dropped (keep-alive kept). */
  take(line: string): boolean {
    if (this.final) return false;
    const part = JSON.parse(line) as UpstreamChunk & { error?: string };
    // An error after the stream started arrives as one {"error"} line on the 200 response.
    if (part.error !== undefined) throw new Error(part.error);
    this.chunks++;
    this.text += this.call.kind === 'chat' ? (part.message?.content ?? '') : (part.response ?? '');
    const t = part.message?.thinking ?? part.thinking;
    if (t) this.thinking += t;
    if (part.message?.tool_calls?.length)
      this.toolCalls = [...(this.toolCalls ?? []), ...part.message.tool_calls];
    if (part.done) this.final = part;
    this.call.onChunk!(part, part.done ? undefined : line);
    return true;
  }

  result(): InferenceResult {
    if (!this.final) throw new Error('Did not receive done or success response in stream.');
    const result: InferenceResult = { text: this.text, final: this.final, chunks: this.chunks };
    if (this.thinking) result.thinking = this.thinking;
    if (this.toolCalls) result.toolCalls = this.toolCalls;
    return result;
  }
}

/**
 * The body Ollama gets: the caller's unknown fields first, then every field we know, our keep_alive last.
 * Chat sends `messages` (with the system prompt first when given separately), generate sends `prompt` and
 * its generate-only fields (suffix, images, raw, template, context).
 */
function requestBody(call: InferenceCall, streaming: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = withFields(call.extra ?? {}, {
    model: call.model,
    stream: streaming,
  });
  if (call.kind === 'chat') {
    const messages = call.messages ?? [{ role: 'user', content: call.prompt ?? '' }];
    body['messages'] = call.system ? [{ role: 'system', content: call.system }, ...messages] : messages;
    if (call.tools !== undefined) body['tools'] = call.tools;
  } else {
    body['prompt'] = call.prompt ?? '';
    if (call.system !== undefined) body['system'] = call.system;
    if (call.suffix !== undefined) body['suffix'] = call.suffix;
    if (call.images !== undefined) body['images'] = call.images;
    if (call.raw !== undefined) body['raw'] = call.raw;
    if (call.template !== undefined) body['template'] = call.template;
    if (call.context !== undefined) body['context'] = call.context;
  }
  if (call.think !== undefined) body['think'] = call.think;
  if (call.options !== undefined) body['options'] = call.options;
  if (call.format !== undefined) body['format'] = call.format;
  if (call.keepAlive !== undefined) body['keep_alive'] = call.keepAlive;
  return body;
}
