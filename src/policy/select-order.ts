import type { Urgency } from '../config/schema.ts';
import type { LateCandidate, PlannedAttempt } from './select-types.ts';

/**
 * How much quality a model already in memory is worth, by urgency. The seed: interactive requests
 * "heavily favor loaded models", background ones "balance quality vs wait time", batch ones "prefer the
 * highest quality regardless of load time". A cold model goes first only when it beats the best loaded
 * one by more than this; the better cold model is then loaded in the background for the requests after.
 */
export const LOADED_BONUS: Readonly<Record<Urgency, number>> = { interactive: 1, background: 0.1, batch: 0 };

/** a before b? Named first, chain before out-of-chain, quality desc (loaded models get `bonus`), expected time asc. */
function before(a: PlannedAttempt, b: PlannedAttempt, bonus: number): boolean {
  if (a.named !== b.named) return a.named;
  if (a.outOfChain !== b.outOfChain) return !a.outOfChain;
  const qa = a.quality + (a.needsLoad ? 0 : bonus);
  const qb = b.quality + (b.needsLoad ? 0 : bonus);
  if (qa !== qb) return qa > qb;
  // The same model on several hosts: the host listed first takes the traffic while it can answer in time
  // (priority failover, not balancing), the others when it cannot.
  if (a.model === b.model && a.hostRank !== b.hostRank) return a.hostRank < b.hostRank;
  return a.expectedMs < b.expectedMs;
}

// Insertion sorts: the arrays hold a handful of entries and are mostly in order already (chain order).
export function sortAttempts(xs: PlannedAttempt[], bonus: number): void {
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && before(x, xs[j]!, bonus)) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
}

export function sortLate(xs: LateCandidate[]): void {
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && x.expectedMs < xs[j]!.expectedMs) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
}
