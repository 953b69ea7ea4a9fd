import { Ollama } from 'ollama';
import { Agent, type Dispatcher, fetch as undiciFetch } from 'undici';
import { type Clock, systemClock } from '../time/clock.ts';
import { AttemptError } from './attempt-error.ts';
import type { Backend, LoadAnswer, PsEntry, ShowEntry, TagEntry } from './backend.ts';
import { type EmbedAnswer, type EmbedCall, runEmbed } from './embed.ts';
import { type InferenceCall, type InferenceResult, runInference } from './inference.ts';

export { AttemptError, type Phase } from './attempt-error.ts';
export type { Backend, LoadAnswer, PsEntry, ShowEntry, TagEntry } from './backend.ts';
export type { EmbedAnswer, EmbedCall } from './embed.ts';
export type { InferenceCall, InferenceResult } from './inference.ts';

type Fetch = typeof fetch;

/**
 * One Ollama host. Management calls go through the official `ollama` client; inference takes the lean
 * path in inference.ts. The client is handed a fetch of ours so every
 * call gets an abort signal and a timeout (the client gives non-streaming calls none of its own), and so
 * undici's 300 s headers timeout never cuts a long cold load (ollama-js #72): we bound time ourselves.
 */
export interface OllamaBackendOptions {
  /** What carries the HTTP exchanges (default: a keep-alive undici Agent; the simulation's is in-process). */
  dispatcher?: Dispatcher;
  /** Whose time bounds the calls (default: the machine's). */
  clock?: Clock;
}

export class OllamaBackend implements Backend {
  private readonly agent: Dispatcher;
  private readonly plain: Ollama;
  private readonly clock: Clock;

  constructor(
    readonly url: string,
    options: OllamaBackendOptions = {},
  ) {
    this.agent =
      options.dispatcher ??
      new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, connections: 128 });
    this.clock = options.clock ?? systemClock;
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

  /** Runs one inference (see inference.ts for why this path bypasses the client). */
  infer(call: InferenceCall): Promise<InferenceResult> {
    return runInference(this.agent, this.url, call, this.clock);
  }

  embed(call: EmbedCall): Promise<EmbedAnswer> {
    return runEmbed(this.agent, this.url, call, this.clock);
  }

  /** Loads a model and keeps it for `keepAlive`; resolves when Ollama reports it ready. */
  async load(
    model: string,
    keepAlive: string | number,
    signal?: AbortSignal,
    embedding = false,
  ): Promise<LoadAnswer> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    try {
      // An empty input loads the model and answers no vectors (Ollama's EmbedHandler).
      const res = embedding
        ? await client.embed({ model, input: [], keep_alive: keepAlive })
        : await client.generate({ model, prompt: '', keep_alive: keepAlive, stream: false });
      const ns = (res as { load_duration?: unknown }).load_duration;
      return typeof ns === 'number' && ns > 0 ? { loadDurationMs: ns / 1e6 } : {};
    } catch (err) {
      throw new AttemptError('load', err);
    }
  }

  /** Asks Ollama to unload now (keep_alive 0); in-flight requests finish first on Ollama's side. */
  async unload(model: string, signal?: AbortSignal): Promise<void> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    try {
      await client.generate({ model, prompt: '', keep_alive: 0, stream: false });
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

  async tags(signal?: AbortSignal): Promise<TagEntry[]> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    const res = await client.list();
    return res.models.map((m) => {
      const entry: TagEntry = { name: m.name, size: m.size };
      if (m.details?.family) entry.family = m.details.family;
      if (m.details?.parameter_size) entry.parameterSize = m.details.parameter_size;
      if (m.details?.quantization_level) entry.quantization = m.details.quantization_level;
      return entry;
    });
  }

  async show(model: string, signal?: AbortSignal): Promise<ShowEntry> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    const res = (await client.show({ model })) as unknown as {
      capabilities?: string[];
      model_info?: Record<string, unknown>;
    };
    const modelInfo = res.model_info ?? {};
    const arch = modelInfo['general.architecture'];
    const ctx = typeof arch === 'string' ? modelInfo[`${arch}.context_length`] : undefined;
    const entry: ShowEntry = { modelInfo };
    if (Array.isArray(res.capabilities)) entry.capabilities = res.capabilities;
    if (typeof ctx === 'number') entry.contextLength = ctx;
    return entry;
  }

  async version(signal?: AbortSignal): Promise<string> {
    const client = signal ? new Ollama({ host: this.url, fetch: this.fetchWith(signal) }) : this.plain;
    return (await client.version()).version;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
