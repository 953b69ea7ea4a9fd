import { Ollama } from 'ollama';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ChatMessage, UpstreamChunk } from '../manager/types.ts';
import { TimeoutError } from '../policy/errors.ts';

/** Where an upstream call was when it failed: the error taxonomy treats each phase differently. */
export type Phase = 'connect' | 'load' | 'first_token' | 'mid_stream';

/** An upstream failure together with the phase it happened in. `cause` is what the client threw. */
export class AttemptError extends Error {
  override readonly name = 'AttemptError';
  constructor(
    readonly phase: Phase,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export interface InferenceCall {
  kind: 'generate' | 'chat';
  model: string;
  prompt?: string;
  messages?: ChatMessage[];
  system?: string;
  options?: Record<string, unknown>;
  format?: unknown;
  keepAlive?: string | number;
  /** The caller's own cancellation (client went away). */
  signal?: AbortSignal;
  /** Upper bound for this attempt until its first token (the whole answer when not streaming). */
  timeoutMs?: number;
  /** Once streaming, the longest silence between two chunks before the stream is cut. */
  idleTimeoutMs?: number;
  /** Streams chunks to the caller as they arrive; the first call marks the end of failover freedom. */
  onChunk?: (chunk: UpstreamChunk) => void;
}

export interface InferenceResult {
  text: string;
  final: UpstreamChunk;
  chunks: number;
}

export interface PsEntry {
  name: string;
  size: number;
  size_vram: number;
  expires_at: string;
}

type Fetch = typeof fetch;

/**
 * One Ollama host, through the official `ollama` client. The client is handed a fetch of ours so every
 * call gets an abort signal and a timeout (the client gives non-streaming calls none of its own), and so
 * undici's 300 s headers timeout never cuts a long cold load (ollama-js #72): we bound time ourselves.
 */
export class OllamaBackend {
  private readonly agent: Agent;
  private readonly plain: Ollama;

  constructor(readonly url: string) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, connections: 128 });
    this.plain = new Ollama({ host: url, fetch: this.fetchWith(undefined) });
  }

  /** A fetch bound to one call's signal; cheap enough to make per call. */
  private fetchWith(signal: AbortSignal | undefined): Fetch {
    const dispatcher = this.agent;
    return ((input: string, init: RequestInit = {}) => {
      const signals = [init.signal, signal].filter((s): s is AbortSignal => !!s);
      const merged = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      // undici's fetch and the DOM fetch type differ only in nominal details.
      return undiciFetch(input, { ...(init as object), signal: merged, dispatcher } as never);
    }) as unknown as Fetch;
  }

  /**
   * Runs one inference, streaming or not. Failures are wrapped with the phase they happened in; a deadline
   * aborts the fetch with a TimeoutError as the reason, so the taxonomy can tell it from a caller who left.
   */
  async infer(call: InferenceCall): Promise<InferenceResult> {
    const deadline = new AbortController();
    let phase: Phase = 'connect';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (ms: number | undefined) => {
      if (timer) clearTimeout(timer);
      if (ms === undefined) return;
      timer = setTimeout(() => deadline.abort(new TimeoutError(Math.round(ms), phase)), Math.max(1, ms));
    };
    arm(call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, deadline.signal]) : deadline.signal;
    const client = new Ollama({ host: this.url, fetch: this.fetchWith(signal) });
    try {
      const base = {
        model: call.model,
        options: call.options,
        format: call.format as never,
        keep_alive: call.keepAlive,
      };
      if (!call.onChunk) {
        const res =
          call.kind === 'chat'
            ? await client.chat({ ...base, messages: withSystem(call), stream: false })
            : await client.generate({
                ...base,
                prompt: call.prompt ?? '',
                system: call.system,
                stream: false,
              });
        const final = res as unknown as UpstreamChunk;
        const text = call.kind === 'chat' ? (final.message?.content ?? '') : (final.response ?? '');
        return { text, final, chunks: 1 };
      }
      const stream =
        call.kind === 'chat'
          ? await client.chat({ ...base, messages: withSystem(call), stream: true })
          : await client.generate({ ...base, prompt: call.prompt ?? '', system: call.system, stream: true });
      phase = 'first_token';
      let text = '';
      let chunks = 0;
      for await (const part of stream as AsyncIterable<UpstreamChunk>) {
        chunks++;
        text += call.kind === 'chat' ? (part.message?.content ?? '') : (part.response ?? '');
        call.onChunk(part);
        phase = 'mid_stream';
        arm(call.idleTimeoutMs);
        if (part.done) return { text, final: part, chunks };
      }
      throw new Error('Did not receive done or success response in stream.');
    } catch (err) {
      // fetch rejects with the abort reason; an abort mid-iteration surfaces as an AbortError instead.
      const reason = deadline.signal.aborted && !call.signal?.aborted ? deadline.signal.reason : err;
      throw new AttemptError(phase, reason);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Loads a model and keeps it for `keepAlive`; resolves when Ollama reports it ready. */
  async load(model: string, keepAlive: string | number, signal?: AbortSignal): Promise<{ loadMs: number }> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    const started = performance.now();
    try {
      await client.generate({ model, prompt: '', keep_alive: keepAlive, stream: false });
    } catch (err) {
      throw new AttemptError('load', err);
    }
    return { loadMs: performance.now() - started };
  }

  /** Asks Ollama to unload now (keep_alive 0); in-flight requests finish first on Ollama's side. */
  async unload(model: string): Promise<void> {
    try {
      await this.plain.generate({ model, prompt: '', keep_alive: 0, stream: false });
    } catch (err) {
      throw new AttemptError('connect', err);
    }
  }

  async ps(signal?: AbortSignal): Promise<PsEntry[]> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    const res = await client.ps();
    return res.models.map((m) => ({
      name: m.name,
      size: m.size,
      size_vram: m.size_vram,
      expires_at: String(m.expires_at),
    }));
  }

  async tags(signal?: AbortSignal): Promise<string[]> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    const res = await client.list();
    return res.models.map((m) => m.name);
  }

  async version(signal?: AbortSignal): Promise<string> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    return (await client.version()).version;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function withSystem(call: InferenceCall): ChatMessage[] {
  const messages = call.messages ?? [{ role: 'user', content: call.prompt ?? '' }];
  return call.system ? [{ role: 'system', content: call.system }, ...messages] : messages;
}
