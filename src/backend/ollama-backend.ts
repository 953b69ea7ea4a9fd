import { type Clock, systemClock } from '../time/clock.ts';
import { AttemptError } from './attempt-error.ts';
import type { Backend, LoadAnswer, PsEntry, ShowEntry, TagEntry } from './backend.ts';
import { type EmbedAnswer, type EmbedCall, runEmbed } from './embed.ts';
import { type InferenceCall, type InferenceResult, runInference } from './inference.ts';
import { ollamaCall } from './ollama-call.ts';
import { Agent, type Dispatcher } from './undici-agent.ts';

export { AttemptError, type Phase } from './attempt-error.ts';
export type { Backend, LoadAnswer, PsEntry, ShowEntry, TagEntry } from './backend.ts';
export type { EmbedAnswer, EmbedCall } from './embed.ts';
export type { InferenceCall, InferenceResult } from './inference.ts';

/**
 * One Ollama host, spoken to over a keep-alive undici pool with undici's timeouts off (a cold load of a big
 * model can take longer than its 300 s defaults, ollama-js #72): every call is bounded by the caller's
 * signal or timeout, on the runtime's clock. Inference takes the lean path in inference.ts, everything else
 * one JSON exchange (ollama-call.ts); the official `ollama` client is what the drop-in tests check us
 * against.
 */
export interface OllamaBackendOptions {
  /** What carries the HTTP exchanges (default: a keep-alive undici Agent; the simulation's is in-process). */
  dispatcher?: Dispatcher;
  /** Whose time bounds the calls (default: the machine's). */
  clock?: Clock;
}

interface PsAnswer {
  models?: { name: string; size: number; size_vram: number; expires_at: string }[];
}

interface TagsAnswer {
  models?: {
    name: string;
    size: number;
    details?: { family?: string; parameter_size?: string; quantization_level?: string };
  }[];
}

export class OllamaBackend implements Backend {
  private readonly agent: Dispatcher;
  private readonly clock: Clock;

  constructor(
    readonly url: string,
    options: OllamaBackendOptions = {},
  ) {
    this.agent =
      options.dispatcher ??
      new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, connections: 128 });
    this.clock = options.clock ?? systemClock;
  }

  private call<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return ollamaCall<T>(this.agent, this.url, method, path, body, signal);
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
    try {
      // An empty input loads the model and answers no vectors (Ollama's EmbedHandler).
      const res = embedding
        ? await this.call<{ load_duration?: unknown }>(
            'POST',
            '/api/embed',
            { model, input: [], keep_alive: keepAlive },
            signal,
          )
        : await this.call<{ load_duration?: unknown }>(
            'POST',
            '/api/generate',
            { model, prompt: '', keep_alive: keepAlive, stream: false },
            signal,
          );
      const ns = res.load_duration;
      return typeof ns === 'number' && ns > 0 ? { loadDurationMs: ns / 1e6 } : {};
    } catch (err) {
      throw new AttemptError('load', err);
    }
  }

  /** Asks Ollama to unload now (keep_alive 0); in-flight requests finish first on Ollama's side. */
  async unload(model: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call('POST', '/api/generate', { model, prompt: '', keep_alive: 0, stream: false }, signal);
    } catch (err) {
      throw new AttemptError('connect', err);
    }
  }

  async ps(signal?: AbortSignal): Promise<PsEntry[]> {
    const res = await this.call<PsAnswer>('GET', '/api/ps', undefined, signal);
    return (res.models ?? []).map((m) => ({
      name: m.name,
      size: m.size,
      size_vram: m.size_vram,
      expires_at: String(m.expires_at),
    }));
  }

  async tags(signal?: AbortSignal): Promise<TagEntry[]> {
    const res = await this.call<TagsAnswer>('GET', '/api/tags', undefined, signal);
    return (res.models ?? []).map((m) => {
      const entry: TagEntry = { name: m.name, size: m.size };
      if (m.details?.family) entry.family = m.details.family;
      if (m.details?.parameter_size) entry.parameterSize = m.details.parameter_size;
      if (m.details?.quantization_level) entry.quantization = m.details.quantization_level;
      return entry;
    });
  }

  async show(model: string, signal?: AbortSignal): Promise<ShowEntry> {
    const res = await this.call<{ capabilities?: string[]; model_info?: Record<string, unknown> }>(
      'POST',
      '/api/show',
      { model },
      signal,
    );
    const modelInfo = res.model_info ?? {};
    const arch = modelInfo['general.architecture'];
    const ctx = typeof arch === 'string' ? modelInfo[`${arch}.context_length`] : undefined;
    const entry: ShowEntry = { modelInfo };
    if (Array.isArray(res.capabilities)) entry.capabilities = res.capabilities;
    if (typeof ctx === 'number') entry.contextLength = ctx;
    return entry;
  }

  async version(signal?: AbortSignal): Promise<string> {
    return (await this.call<{ version: string }>('GET', '/api/version', undefined, signal)).version;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
