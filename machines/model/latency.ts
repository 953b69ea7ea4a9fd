/**
 * Latency estimates. The EWMA is what selection uses (cheap, updated per success); p95 comes from a small
 * ring of recent samples and is computed only when someone asks (status, metrics), off the hot path.
 */
export const LATENCY_EWMA_ALPHA = 0.2;
export const LATENCY_RESERVOIR = 32;
/** Load times are few and each one matters more: weigh the newest measurement heavily. */
export const LOAD_EWMA_ALPHA = 0.5;

export function ewma(previous: number | null, sample: number, alpha: number): number {
  return previous === null ? sample : previous + alpha * (sample - previous);
}

export interface LatencyRing {
  latencies: number[];
  latencyNext: number;
}

export function pushLatency(ring: LatencyRing, sample: number): LatencyRing {
  const latencies = ring.latencies.slice();
  if (latencies.length < LATENCY_RESERVOIR) {
    latencies.push(sample);
    return { latencies, latencyNext: latencies.length % LATENCY_RESERVOIR };
  }
  latencies[ring.latencyNext] = sample;
  return { latencies, latencyNext: (ring.latencyNext + 1) % LATENCY_RESERVOIR };
}

/** Nearest-rank p95 of the ring; null when empty. */
export function p95(latencies: readonly number[]): number | null {
  if (latencies.length === 0) return null;
  const sorted = latencies.slice().sort((a, b) => a - b);
  const rank = Math.ceil(0.95 * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** Nearest-rank median of the ring; null when empty. */
export function p50(latencies: readonly number[]): number | null {
  if (latencies.length === 0) return null;
  const sorted = latencies.slice().sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(0.5 * sorted.length)) - 1] ?? null;
}
