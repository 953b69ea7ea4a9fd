/**
 * Ollama's memory decisions, as pure functions. Fitting: with nothing loaded a model always loads (with
 * partial offload when bigger than the budget); otherwise it must fit fully in what is free. Eviction:
 * shortest keep-alive first, ties by name, forever-kept models last; the first idle one goes, and when
 * none is idle the first in that order is chosen and waited for. Not LRU: blind to size and recency.
 */

export interface Resident {
  name: string;
  sizeVram: number;
  /** Keep-alive in ms; Infinity = forever. */
  sessionMs: number;
  refCount: number;
}

/** Bytes the new model would take on the GPU, or undefined when something must be evicted first. */
export function fitOnGpu(
  sizeBytes: number,
  budgetBytes: number,
  residents: readonly Resident[],
): number | undefined {
  if (residents.length === 0) return Math.min(sizeBytes, budgetBytes);
  const used = residents.reduce((sum, r) => sum + r.sizeVram, 0);
  return used + sizeBytes <= budgetBytes ? sizeBytes : undefined;
}

export function chooseVictim<T extends Resident>(residents: readonly T[]): T | undefined {
  const ordered = [...residents].sort(
    (a, b) => a.sessionMs - b.sessionMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  return ordered.find((r) => r.refCount === 0) ?? ordered[0];
}

/**
 * Tokens come slower when part of the model runs on the CPU: the offloaded share is taken to run ten
 * times slower than the GPU share. 1 when fully on the GPU.
 */
export function offloadSlowdown(sizeBytes: number, sizeVram: number): number {
  if (sizeVram >= sizeBytes || sizeBytes <= 0) return 1;
  const onGpu = sizeVram / sizeBytes;
  return onGpu + (1 - onGpu) * 10;
}
