import type { Config } from '../config/schema.ts';
import { bestOf, qualityOf } from './quality.ts';
import type { Outcome } from './run-trace.ts';
import type { SimRequest } from './trace.ts';

/**
 * Where delivered quality falls short of the ideal, and how close any policy could come. In quality points
 * per request (each part summed over the requests and divided by their number), so the parts add up to
 * `ideal_quality - quality`:
 * - `not_fitting`: for interactive and background requests, the chain's best model is larger than the card.
 *   Such a model answers after a 20–90 s load, partially offloaded: never within those deadlines.
 * - `burst`: answered below the best model that fits, while in a burst (at least BURST_SIZE requests of
 *   the task within BURST_WINDOW_S). A model serves `num_parallel` requests at a time, so the rest of a
 *   burst goes to lesser models or misses its deadline.
 * - `other`: every other shortfall (the model was not loaded, batch work not given a giant, failures).
 * `bound_vs_ideal` is what answering batch work with the chain's best model and everything else with the
 * best model that fits, with no waiting at all, would deliver, over the ideal.
 */
export interface QualityGap {
  bound_vs_ideal: number;
  not_fitting: number;
  burst: number;
  other: number;
}

export const BURST_SIZE = 4;
export const BURST_WINDOW_S = 10;

/** One request's qualities: the chain's best, the best that fits the card, and what it got (0 if failed). */
export interface RequestScore {
  best: number;
  fits: number;
  got: number;
}

export function scoreOf(config: Readonly<Config>, r: SimRequest, o: Outcome, cardGb: number): RequestScore {
  return {
    best: bestOf(config, r.task_type).quality,
    fits: bestFitting(config, r.task_type, cardGb),
    got: o.ok ? qualityOf(config, r.task_type, o.model).quality : 0,
  };
}

export function qualityGap(trace: readonly SimRequest[], scores: readonly RequestScore[]): QualityGap {
  const bursty = inBursts(trace);
  let ideal = 0;
  let bound = 0;
  const gap = { not_fitting: 0, burst: 0, other: 0 };
  scores.forEach(({ best, fits, got }, i) => {
    const r = trace[i]!;
    ideal += best;
    if (r.urgency === 'batch') {
      bound += best;
      gap.other += best - got;
      return;
    }
    bound += fits;
    gap.not_fitting += best - fits;
    if (bursty[i] && got < fits) gap.burst += fits - got;
    else gap.other += fits - got;
  });
  const n = Math.max(1, scores.length);
  return {
    bound_vs_ideal: round(ideal === 0 ? 0 : bound / ideal),
    not_fitting: round(gap.not_fitting / n),
    burst: round(gap.burst / n),
    other: round(gap.other / n),
  };
}

/** The best quality in the task's chain among models no bigger than the card. */
export function bestFitting(config: Readonly<Config>, task: SimRequest['task_type'], cardGb: number): number {
  const chain = config.chains[task] ?? config.chains['general'] ?? [];
  const fits = chain.filter((e) => (config.models[e.model]?.size_gb ?? Number.POSITIVE_INFINITY) <= cardGb);
  return Math.max(0, ...fits.map((e) => e.quality));
}

/** Per request: is it one of at least BURST_SIZE requests of its task within BURST_WINDOW_S of it? */
function inBursts(trace: readonly SimRequest[]): boolean[] {
  const byTask = new Map<string, number[]>();
  trace.forEach((r, i) => {
    const list = byTask.get(r.task_type);
    if (list) list.push(i);
    else byTask.set(r.task_type, [i]);
  });
  const out = new Array<boolean>(trace.length).fill(false);
  for (const idx of byTask.values()) {
    idx.sort((a, b) => trace[a]!.t - trace[b]!.t);
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < idx.length; k++) {
      const t = trace[idx[k]!]!.t;
      while (trace[idx[lo]!]!.t < t - BURST_WINDOW_S) lo++;
      while (hi + 1 < idx.length && trace[idx[hi + 1]!]!.t <= t + BURST_WINDOW_S) hi++;
      out[idx[k]!] = hi - lo + 1 >= BURST_SIZE;
    }
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
