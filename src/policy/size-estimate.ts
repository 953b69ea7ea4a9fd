/**
 * What a model needs in memory once loaded, from the best source there is:
 * - measured: the whole `size` /api/ps reported for it on this host (weights, KV cache and graph, as
 *   Ollama itself sized it) — used from the first load on;
 * - discovered: the weights' size on disk (/api/tags) plus its KV cache for the context Ollama loads it
 *   with (from /api/show's architecture figures), when the host described it;
 * - config: `size_gb` as typed in the config, when the host says nothing.
 * Planning from the config alone is what let Ollama evict behind our back when a model was bigger than
 * typed; the host's own figures win as soon as there are any.
 */

/** Ollama's default context when a request sets none (OLLAMA_CONTEXT_LENGTH). */
export const DEFAULT_NUM_CTX = 4096;

/** Without architecture figures the KV cache and graph are taken as this share of the weights. */
export const UNKNOWN_OVERHEAD = 0.1;

/** Compute graph and runner buffers beside weights and KV cache, as a share of the weights. */
export const GRAPH_OVERHEAD = 0.02;

export type EstimateSource = 'config' | 'discovered' | 'measured';

export interface Estimate {
  value: number;
  source: EstimateSource;
  samples: number;
}

/** A host's description of a model, as far as sizing goes. */
export interface SizedModel {
  sizeBytes: number;
  kvBytesPerToken?: number;
  contextLength?: number;
}

export function sizeEstimate(input: {
  configGb: number;
  discovered?: SizedModel | undefined;
  measuredGb: number | null;
  samples: number;
  numParallel: number;
  numCtx?: number;
}): Estimate {
  if (input.measuredGb !== null && input.measuredGb > 0)
    return { value: input.measuredGb, source: 'measured', samples: input.samples };
  const d = input.discovered;
  if (d && d.sizeBytes > 0) {
    const weights = d.sizeBytes / 1e9;
    const ctx = Math.min(input.numCtx ?? DEFAULT_NUM_CTX, d.contextLength ?? Number.POSITIVE_INFINITY);
    const kv =
      d.kvBytesPerToken !== undefined
        ? (d.kvBytesPerToken * ctx * Math.max(1, input.numParallel)) / 1e9 + weights * GRAPH_OVERHEAD
        : weights * UNKNOWN_OVERHEAD;
    return { value: round3(weights + kv), source: 'discovered', samples: 0 };
  }
  return { value: input.configGb, source: 'config', samples: 0 };
}

/**
 * KV cache bytes per token of context from /api/show `model_info` (GGUF keys): 2 (K and V) × layers ×
 * KV heads × head width × 2 bytes (f16, Ollama's default cache type). Undefined when a figure is missing.
 */
export function kvBytesPerToken(modelInfo: Record<string, unknown>): number | undefined {
  const arch = modelInfo['general.architecture'];
  if (typeof arch !== 'string') return undefined;
  const num = (key: string) => {
    const v = modelInfo[`${arch}.${key}`];
    return typeof v === 'number' && v > 0 ? v : undefined;
  };
  const layers = num('block_count');
  const width = num('embedding_length');
  const heads = num('attention.head_count');
  const kvHeads = num('attention.head_count_kv') ?? heads;
  if (!layers || !width || !heads || !kvHeads) return undefined;
  const headDim = num('attention.key_length') ?? width / heads;
  return Math.round(2 * layers * kvHeads * headDim * 2);
}

/**
 * Load seconds per GB before any load is measured: the seed's own catalog loads at 1.6–2.25 s per GB
 * (qwen2.5-coder:32b 20 GB in 35 s, llama3.1:70b 40 GB in 90 s); its median.
 */
export const LOAD_S_PER_GB = 1.7;

export function loadTimeGuessMs(sizeGb: number): number {
  return Math.round(Math.max(0.5, sizeGb * LOAD_S_PER_GB) * 1000);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
