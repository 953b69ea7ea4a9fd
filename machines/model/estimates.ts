import type { ModelContext, PeerEstimates } from './types.ts';

/**
 * This model's measurements on its host, ours merged with other replicas' (each weighted by how many
 * measurements it rests on). With one replica it is simply ours.
 */
export interface EffectiveEstimates {
  sizeGb: number | null;
  sizeSamples: number;
  loadTimeMs: number;
  loadSamples: number;
  tokensPerS: number | null;
  tokenSamples: number;
}

/** This replica's own measurements of the model (what it tells other replicas; never the merged figures). */
export function ownEstimates(c: ModelContext): PeerEstimates {
  return {
    measuredSizeGb: c.measuredSizeGb,
    sizeSamples: c.sizeSamples,
    measuredLoadMs: c.measuredLoadMs === null ? null : c.loadTimeMs,
    loadSamples: c.loadSamples,
    tokensPerS: c.tokensPerS,
    tokenSamples: c.tokenSamples,
  };
}

export function effectiveEstimates(c: ModelContext): EffectiveEstimates {
  const all: PeerEstimates[] = [ownEstimates(c), ...Object.values(c.peers ?? {})];
  const size = weighted(all.map((e) => [e.measuredSizeGb, e.sizeSamples]));
  const load = weighted(all.map((e) => [e.measuredLoadMs, e.loadSamples]));
  const rate = weighted(all.map((e) => [e.tokensPerS, e.tokenSamples]));
  return {
    sizeGb: size.value,
    sizeSamples: size.samples,
    // Until anyone measured a load, the configured (or guessed) load time stands.
    loadTimeMs: load.value ?? c.loadTimeMs,
    loadSamples: load.samples,
    tokensPerS: rate.value,
    tokenSamples: rate.samples,
  };
}

function weighted(pairs: Array<[number | null, number]>): { value: number | null; samples: number } {
  let sum = 0;
  let n = 0;
  for (const [v, k] of pairs) {
    if (v === null || !(k > 0)) continue;
    sum += v * k;
    n += k;
  }
  return { value: n > 0 ? sum / n : null, samples: n };
}
