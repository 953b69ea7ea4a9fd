import type { ChainEntry } from '../config/schema.ts';

/**
 * Is a speculative load worth what it evicts? A load "for the requests that follow" (selection found a
 * better model that missed only because it was not in memory) is a bet on the coming traffic. On a card
 * too small for every model people use, two such bets can take turns evicting each other: on the
 * simulated day, deepseek-r1:14b and llama3.2:8b swapped 143 times, each swap a load during which
 * neither answered. The bet is taken only when the newcomer's worth exceeds the victims' by a margin.
 *
 * Worth is quality people would get: for each task type, its recent demand times the quality a model adds
 * over the best model that stays resident anyway. Pure arithmetic over plain values.
 */

/** A swap must promise this much more than it destroys: a load has a cost, and a tie must not flip-flop. */
export const SWAP_MARGIN = 1.25;

export interface SwapInputs {
  newcomer: string;
  /** What the load would evict. */
  victims: readonly string[];
  /** Resident (or loading) on the same host, victims included. */
  residents: readonly string[];
  /** Recent demand per task type (decayed request counts). */
  demand: Readonly<Record<string, number>>;
  chainOf: (task: string) => readonly ChainEntry[] | undefined;
}

export interface SwapVerdict {
  worth: boolean;
  /** Demand-weighted quality the newcomer adds over what stays. */
  gain: number;
  /** Demand-weighted quality the victims take with them. */
  loss: number;
  reason: string;
}

export function swapVerdict(inputs: SwapInputs): SwapVerdict {
  const { newcomer, victims, residents, demand, chainOf } = inputs;
  if (victims.length === 0)
    return { worth: true, gain: 0, loss: 0, reason: `${newcomer} fits without evicting` };
  const gone = new Set(victims);
  const stays = residents.filter((m) => !gone.has(m) && m !== newcomer);
  let gain = 0;
  let loss = 0;
  for (const [task, d] of Object.entries(demand)) {
    if (d <= 0) continue;
    const chain = chainOf(task);
    if (!chain) continue;
    const kept = bestQuality(chain, stays);
    gain += d * Math.max(0, qualityIn(chain, newcomer) - kept);
    loss += d * Math.max(0, bestQuality(chain, victims) - kept);
  }
  const worth = gain > loss * SWAP_MARGIN;
  const figures = `adds ${gain.toFixed(2)} against ${loss.toFixed(2)} lost (demand × quality)`;
  return {
    worth,
    gain,
    loss,
    reason: worth
      ? `loading ${newcomer} over ${victims.join(', ')} ${figures}`
      : `not worth evicting ${victims.join(', ')} for ${newcomer}: it ${figures}`,
  };
}

function qualityIn(chain: readonly ChainEntry[], model: string): number {
  for (const e of chain) if (e.model === model) return e.quality;
  return 0;
}

function bestQuality(chain: readonly ChainEntry[], models: readonly string[]): number {
  let best = 0;
  for (const e of chain) if (e.quality > best && models.includes(e.model)) best = e.quality;
  return best;
}
