import type { Config, TaskType } from '../config/schema.ts';

/**
 * What people ask for, and when: exponentially decayed request counts per model and per task type, an
 * hour-of-day × task-type histogram (the seed's "mornings are code work"), a rising-task-mix detector,
 * and the seed's "consecutive code failures" signal. From these, `predictPreloads` suggests models to
 * load before they are needed (behind `config.preload.predictive`).
 *
 * The state is plain JSON (persist it with JSON.stringify). Recording runs per request, so
 * `recordRequest`/`recordOutcome` update the state in place and return it; nothing here reads a clock.
 */

/** A count decayed to the time `at` (epoch ms). */
export interface DecayedCount {
  v: number;
  at: number;
}

export interface DemandState {
  version: 1;
  /** Half-life of the recent-demand counts (seconds). */
  halfLifeS: number;
  /** Half-life of the baseline the recent task mix is compared with (seconds). */
  baselineHalfLifeS: number;
  /** Offset of local time from UTC (minutes) for the hour-of-day histogram. */
  utcOffsetMin: number;
  models: Record<string, DecayedCount>;
  tasks: Record<string, DecayedCount>;
  tasksBaseline: Record<string, DecayedCount>;
  /** task type → 24 request counts by local hour of day. */
  hourly: Record<string, number[]>;
  /** 24 totals, the sums of `hourly` per hour. */
  hourlyTotal: number[];
  /** Consecutive failed code requests (code_generation / code_review); a success resets it. */
  codeFailures: { consecutive: number; lastAt: number | null };
}

export interface DemandOptions {
  /** Default 600 s: a model asked for ten minutes ago counts half. */
  halfLifeS?: number;
  /** Default 6 h: "usual" task mix. */
  baselineHalfLifeS?: number;
  /** Default 0 (UTC). */
  utcOffsetMin?: number;
}

/** When an hour's counts pass this, the hour is halved, so old habits fade and counts stay small. */
export const HOURLY_CAP = 1000;
const CODE_TASKS: ReadonlySet<string> = new Set(['code_generation', 'code_review']);

export function createDemand(options: DemandOptions = {}): DemandState {
  return {
    version: 1,
    halfLifeS: options.halfLifeS ?? 600,
    baselineHalfLifeS: options.baselineHalfLifeS ?? 21_600,
    utcOffsetMin: options.utcOffsetMin ?? 0,
    models: {},
    tasks: {},
    tasksBaseline: {},
    hourly: {},
    hourlyTotal: new Array<number>(24).fill(0),
    codeFailures: { consecutive: 0, lastAt: null },
  };
}

/** The count `d` decayed to `now`; 0 when absent. Never grows for a `now` earlier than `d.at`. */
export function decayed(d: DecayedCount | undefined, halfLifeS: number, now: number): number {
  if (d === undefined) return 0;
  const dt = now - d.at;
  if (dt <= 0) return d.v;
  return d.v * 2 ** (-dt / (halfLifeS * 1000));
}

function bump(map: Record<string, DecayedCount>, key: string, halfLifeS: number, now: number): void {
  const d = map[key];
  if (d === undefined) {
    map[key] = { v: 1, at: now };
    return;
  }
  // Out-of-order events (clock skew between callers) are added without moving `at` backwards.
  d.v = decayed(d, halfLifeS, now) + 1;
  if (now > d.at) d.at = now;
}

/** Local hour of day 0..23 for epoch ms `now`. */
export function hourOfDay(state: Pick<DemandState, 'utcOffsetMin'>, now: number): number {
  const hours = Math.floor((now + state.utcOffsetMin * 60_000) / 3_600_000);
  return ((hours % 24) + 24) % 24;
}

export function recordRequest(
  state: DemandState,
  event: { now: number; taskType?: TaskType | undefined; model?: string | undefined },
): DemandState {
  const { now, taskType, model } = event;
  if (model !== undefined) bump(state.models, model, state.halfLifeS, now);
  if (taskType !== undefined) {
    bump(state.tasks, taskType, state.halfLifeS, now);
    bump(state.tasksBaseline, taskType, state.baselineHalfLifeS, now);
    const h = hourOfDay(state, now);
    let row = state.hourly[taskType];
    if (row === undefined) {
      row = new Array<number>(24).fill(0);
      state.hourly[taskType] = row;
    }
    row[h] = (row[h] ?? 0) + 1;
    state.hourlyTotal[h] = (state.hourlyTotal[h] ?? 0) + 1;
    if (state.hourlyTotal[h]! > HOURLY_CAP) halveHour(state, h);
  }
  return state;
}

function halveHour(state: DemandState, h: number): void {
  let total = 0;
  for (const row of Object.values(state.hourly)) {
    row[h] = (row[h] ?? 0) / 2;
    total += row[h]!;
  }
  state.hourlyTotal[h] = total;
}

/** Feeds the consecutive-code-failures signal; outcomes of other task types leave it alone. */
export function recordOutcome(
  state: DemandState,
  event: { now: number; taskType: TaskType; ok: boolean },
): DemandState {
  if (!CODE_TASKS.has(event.taskType)) return state;
  if (event.ok) state.codeFailures.consecutive = 0;
  else state.codeFailures.consecutive++;
  state.codeFailures.lastAt = event.now;
  return state;
}

/** Recent requests for a model, each weighted by recency (1 now, ½ one half-life ago). */
export function modelDemand(state: DemandState, model: string, now: number): number {
  return decayed(state.models[model], state.halfLifeS, now);
}

export function taskDemand(state: DemandState, taskType: TaskType, now: number): number {
  return decayed(state.tasks[taskType], state.halfLifeS, now);
}

/** Requests per minute implied by a decayed count (the count of a steady stream is rate × half-life ÷ ln 2). */
export function ratePerMinute(count: number, halfLifeS: number): number {
  return (count * Math.LN2 * 60) / halfLifeS;
}

export interface RisingTask {
  taskType: string;
  recentShare: number;
  baselineShare: number;
}

/** Task types whose share of recent requests exceeds their usual share by at least `minRise`. */
export function risingTasks(state: DemandState, now: number, minRise = 0.25, minRecent = 3): RisingTask[] {
  let recentTotal = 0;
  let baseTotal = 0;
  for (const d of Object.values(state.tasks)) recentTotal += decayed(d, state.halfLifeS, now);
  for (const d of Object.values(state.tasksBaseline)) baseTotal += decayed(d, state.baselineHalfLifeS, now);
  if (recentTotal <= 0 || baseTotal <= 0) return [];
  const out: RisingTask[] = [];
  for (const [taskType, d] of Object.entries(state.tasks)) {
    const recent = decayed(d, state.halfLifeS, now);
    if (recent < minRecent) continue;
    const recentShare = recent / recentTotal;
    const baselineShare = decayed(state.tasksBaseline[taskType], state.baselineHalfLifeS, now) / baseTotal;
    if (recentShare - baselineShare >= minRise) out.push({ taskType, recentShare, baselineShare });
  }
  out.sort((a, b) => b.recentShare - b.baselineShare - (a.recentShare - a.baselineShare));
  return out;
}

/** The task type that dominates an hour of the day, if the hour has enough history. */
export function dominantTaskAt(
  state: DemandState,
  hour: number,
  minSamples = 20,
  minShare = 0.5,
): { taskType: string; share: number; samples: number } | null {
  const samples = state.hourlyTotal[hour] ?? 0;
  if (samples < minSamples) return null;
  let best: string | null = null;
  let bestCount = 0;
  for (const [taskType, row] of Object.entries(state.hourly)) {
    const n = row[hour] ?? 0;
    if (n > bestCount) {
      best = taskType;
      bestCount = n;
    }
  }
  if (best === null || bestCount / samples < minShare) return null;
  return { taskType: best, share: bestCount / samples, samples };
}

export interface PreloadSuggestion {
  model: string;
  reason: string;
}

export interface PredictOptions {
  /** Models already loaded (or loading): never suggested. */
  loaded?: readonly string[];
  /** Default 2: preloading is a hint, not a plan to fill the card. */
  maxSuggestions?: number;
  /** Consecutive code failures above this suggest the best code model (seed: > 3). */
  codeFailureThreshold?: number;
  /** Look this far ahead for the hour-of-day pattern (default 15 min: load before the hour starts). */
  lookaheadMs?: number;
  /** A model with at least this much recent demand that is not loaded is suggested (default 3). */
  hotDemand?: number;
}

/**
 * Models worth loading now, with the reason in plain words, strongest signal first: repeated code
 * failures, the task that dominates the coming hour, a rising task type, then recently demanded models
 * that are not loaded. A task maps to the highest-quality model of its chain.
 */
export function predictPreloads(
  state: DemandState,
  now: number,
  config: Pick<Config, 'preload' | 'chains'>,
  options: PredictOptions = {},
): PreloadSuggestion[] {
  if (!config.preload.predictive) return [];
  const loaded = new Set(options.loaded ?? []);
  const max = options.maxSuggestions ?? 2;
  const out: PreloadSuggestion[] = [];
  const add = (model: string | null, reason: string) => {
    if (model === null || loaded.has(model) || out.length >= max) return;
    if (out.some((s) => s.model === model)) return;
    out.push({ model, reason });
  };

  const failures = state.codeFailures.consecutive;
  if (failures > (options.codeFailureThreshold ?? 3)) {
    add(chainHead(config.chains, 'code_generation'), `${failures} consecutive failures on code requests`);
  }
  const ahead = now + (options.lookaheadMs ?? 15 * 60_000);
  const hour = hourOfDay(state, ahead);
  const dominant = dominantTaskAt(state, hour);
  if (dominant !== null) {
    const pct = Math.round(dominant.share * 100);
    add(
      chainHead(config.chains, dominant.taskType),
      `${pct}% of ${Math.round(dominant.samples)} requests at ${hour}:00 were ${dominant.taskType}`,
    );
  }
  for (const r of risingTasks(state, now)) {
    add(
      chainHead(config.chains, r.taskType),
      `${r.taskType} rising: ${Math.round(r.recentShare * 100)}% of recent requests vs ${Math.round(r.baselineShare * 100)}% usually`,
    );
  }
  if (options.loaded !== undefined) {
    const hot = options.hotDemand ?? 3;
    const byDemand = Object.keys(state.models)
      .map((model) => ({ model, d: modelDemand(state, model, now) }))
      .filter((x) => x.d >= hot)
      .sort((a, b) => b.d - a.d);
    for (const x of byDemand)
      add(x.model, `asked for ${x.d.toFixed(1)} times recently (decayed) and not loaded`);
  }
  return out;
}

/** The highest-quality model of a task's chain (first on ties); null for an unknown task. */
export function chainHead(chains: Config['chains'], taskType: string): string | null {
  const chain = chains[taskType];
  if (chain === undefined || chain.length === 0) return null;
  let best = chain[0]!;
  for (const e of chain) if (e.quality > best.quality) best = e;
  return best.model;
}
