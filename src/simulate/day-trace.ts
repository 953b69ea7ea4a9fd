import type { TaskType, Urgency } from '../config/schema.ts';
import { Prng } from '../simulator/prng.ts';

export interface DayRequest {
  /** Simulated seconds since the start of the replay (after idle gaps are capped). */
  t: number;
  /** Seconds since midnight in the uncompressed day. */
  clock: number;
  hour: number;
  task_type: TaskType;
  urgency: Urgency;
  prompt: string;
  burst: boolean;
}

export interface DayOptions {
  seed: number;
  /** Hours of the day to replay (0–23), in order. */
  hours: readonly number[];
  /**
   * Longest idle gap kept between two requests (simulated seconds); longer gaps are cut to it. Order,
   * bursts and every gap shorter than this are kept, so the load on the models is as dense as it really
   * is while a day fits in minutes.
   */
  gapCapS: number;
}

/** Requests per hour of a person's working day (before bursts). */
const RATE = [6, 4, 3, 3, 4, 6, 12, 30, 55, 70, 70, 60, 40, 55, 65, 65, 60, 45, 40, 45, 45, 35, 20, 10];

type Mix = Partial<Record<TaskType, number>>;

/** Mornings code, afternoons reasoning, evenings quick questions, nights a little of everything. */
function mixFor(hour: number): Mix {
  if (hour >= 7 && hour < 12)
    return { code_generation: 45, code_review: 20, general: 10, simple: 10, fast_response: 10, reasoning: 5 };
  if (hour >= 12 && hour < 18)
    return {
      reasoning: 40,
      complex: 15,
      code_review: 10,
      general: 15,
      simple: 10,
      creative: 5,
      fast_response: 5,
    };
  if (hour >= 18 && hour < 23)
    return { fast_response: 35, simple: 25, general: 20, creative: 10, reasoning: 5, code_generation: 5 };
  return { general: 30, simple: 25, fast_response: 20, creative: 10, reasoning: 10, complex: 5 };
}

/** Interactive most of the day; batch work piles up at night and around lunch. */
function urgencyMix(hour: number): Record<Urgency, number> {
  if (hour < 6 || hour >= 23) return { interactive: 35, background: 25, batch: 40 };
  if (hour === 12 || hour === 18) return { interactive: 55, background: 25, batch: 20 };
  return { interactive: 70, background: 20, batch: 10 };
}

const PROMPTS: Record<TaskType, string[]> = {
  code_generation: ['Write a function that parses ISO dates', 'Implement an LRU cache in TypeScript'],
  code_review: ['Review this diff for race conditions', 'Is this SQL query safe from injection?'],
  reasoning: ['Why does the retry storm happen after a deploy?', 'Plan a migration in three steps'],
  complex: ['Design a multi-region failover for the queue', 'Compare three sharding schemes in depth'],
  fast_response: ['What time zone is Lisbon in?', 'Capital of Australia?'],
  simple: ['Spell necessary', 'Convert 3 miles to km'],
  creative: ['A haiku about GPUs', 'Name ideas for a coffee shop'],
  general: ['Explain what a circuit breaker is', 'Summarise the meeting notes'],
};

/**
 * A seeded day of task-typed demand: each hour's requests arrive at random within it, with a task
 * mix and an urgency mix that shift by hour, plus bursts (a dozen or so requests of one task within a few
 * seconds, as when someone iterates on one problem).
 */
export function dayTrace(opts: DayOptions): DayRequest[] {
  const rng = new Prng(opts.seed);
  const out: DayRequest[] = [];
  for (const hour of opts.hours) {
    const start = hour * 3600;
    const mix = mixFor(hour);
    const n = poisson(rng, RATE[hour]!);
    for (let i = 0; i < n; i++) {
      out.push(
        request(
          rng,
          start + rng.next() * 3600,
          hour,
          weighted(rng, mix),
          weighted(rng, urgencyMix(hour)),
          false,
        ),
      );
    }
    const bursts = rng.next() < 0.4 ? 1 + (rng.next() < 0.3 ? 1 : 0) : 0;
    for (let b = 0; b < bursts; b++) {
      const at = start + rng.next() * 3590;
      const task = weighted(rng, mix);
      const size = 8 + rng.int(13);
      for (let i = 0; i < size; i++) {
        const urgency: Urgency = rng.next() < 0.8 ? 'interactive' : 'background';
        out.push(request(rng, at + rng.next() * 5, hour, task, urgency, true));
      }
    }
  }
  out.sort((a, b) => a.clock - b.clock);
  let t = 0;
  let previous = out[0]?.clock ?? 0;
  for (const r of out) {
    t += Math.min(r.clock - previous, opts.gapCapS);
    previous = r.clock;
    r.t = t;
  }
  return out;
}

function request(
  rng: Prng,
  clock: number,
  hour: number,
  task: TaskType,
  urgency: Urgency,
  burst: boolean,
): DayRequest {
  return {
    t: 0,
    clock,
    hour,
    task_type: task,
    urgency,
    prompt: `${rng.pick(PROMPTS[task])} (#${rng.int(1e6)})`,
    burst,
  };
}

function weighted<K extends string>(rng: Prng, weights: Partial<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  let x = rng.next() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

/** Knuth's method; the rates here are small. */
function poisson(rng: Prng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng.next();
  } while (p > limit);
  return k - 1;
}
