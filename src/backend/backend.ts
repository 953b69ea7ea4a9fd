import type { EmbedAnswer, EmbedCall } from './embed.ts';
import type { InferenceCall, InferenceResult } from './inference.ts';

/**
 * What the runtime needs from one Ollama host. `OllamaBackend` speaks HTTP to a real Ollama (or to the
 * simulator's HTTP server); an in-process backend can share the runtime's virtual clock instead. Every call
 * takes an abort signal: the runtime bounds time itself, on its own clock.
 */
export interface Backend {
  readonly url: string;
  infer(call: InferenceCall): Promise<InferenceResult>;
  /** Embeddings for each input (Ollama's /api/embed). */
  embed(call: EmbedCall): Promise<EmbedAnswer>;
  /**
   * Loads a model and keeps it for `keepAlive`; resolves once Ollama reports it ready. An embedding-only
   * model is loaded through /api/embed (Ollama refuses /api/generate for it: "does not support generate").
   */
  load(
    model: string,
    keepAlive: string | number,
    signal?: AbortSignal,
    embedding?: boolean,
  ): Promise<LoadAnswer>;
  /** Asks Ollama to unload now (keep_alive 0). */
  unload(model: string, signal?: AbortSignal): Promise<void>;
  ps(signal?: AbortSignal): Promise<PsEntry[]>;
  tags(signal?: AbortSignal): Promise<TagEntry[]>;
  show(model: string, signal?: AbortSignal): Promise<ShowEntry>;
  version(signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

export interface LoadAnswer {
  /** Ollama's own `load_duration` (ms) when it reported one: the load alone, without queueing. */
  loadDurationMs?: number;
}

export interface PsEntry {
  name: string;
  /** Whole size in bytes (GPU + system RAM). */
  size: number;
  size_vram: number;
  expires_at: string;
}

export interface TagEntry {
  name: string;
  /** Weights on disk, bytes. */
  size: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
}

export interface ShowEntry {
  capabilities?: string[];
  /** `<arch>.context_length` from model_info. */
  contextLength?: number;
  modelInfo: Record<string, unknown>;
}
