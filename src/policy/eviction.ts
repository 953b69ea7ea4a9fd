import { createDemand, modelDemand, recordRequest } from './demand.ts';

/**
 * Which loaded models to evict to make room, under three policies with one interface:
 * - `valuePolicy` (ours): value = (recent demand + a small prior) × load seconds ÷ size in GB; the lowest
 *   value goes first, and the victim set is then pruned to the fewest models actually needed.
 * - `ollamaPolicy`: Ollama's own scheduler order (server/sched.go): shortest keep-alive first, ties by
 *   name, kept-forever models last; blind to demand, size and recency. Evicts in order until it fits.
 * - `lruPolicy`: least recently used first. Evicts in order until it fits.
 * Callers pass only candidates that may be evicted (idle, not pinned, not loading): the VRAM ledger
 * decides that, this file only orders them.
 */

export interface EvictionCandidate {
  model: string;
  /** VRAM freed by evicting it. */
  sizeGb: number;
  /** What bringing it back would cost (measured or configured load time). */
  loadSeconds: number;
  /** Recent demand (decayed request count, see demand.ts). */
  demand: number;
  /** Epoch ms of its last request. */
  lastUsed: number;
  /** Keep-alive it was loaded with; Infinity when kept forever. Only Ollama's order reads it. */
  keepAliveS: number;
}

export interface EvictionPolicy {
  readonly name: 'value' | 'ollama' | 'lru';
  /** Negative when `a` should be evicted before `b`. */
  compare(a: EvictionCandidate, b: EvictionCandidate): number;
  /** Drop victims that turn out unnecessary once enough room is found (fewest victims). */
  readonly minimise: boolean;
}

/**
 * A model nobody asked for lately still has some worth: the prior keeps load cost ÷ size meaningful
 * when all demand is zero (cheap-to-reload, big models go first).
 */
export const DEMAND_PRIOR = 0.05;

export function evictionValue(c: EvictionCandidate): number {
  return ((c.demand + DEMAND_PRIOR) * c.loadSeconds) / Math.max(c.sizeGb, 0.01);
}

export const valuePolicy: EvictionPolicy = {
  name: 'value',
  minimise: true,
  compare: (a, b) => evictionValue(a) - evictionValue(b) || a.lastUsed - b.lastUsed || byName(a, b),
};

export const ollamaPolicy: EvictionPolicy = {
  name: 'ollama',
  minimise: false,
  compare: (a, b) => {
    if (a.keepAliveS !== b.keepAliveS) {
      // Infinity - Infinity is NaN, so forever-kept models are compared explicitly.
      if (a.keepAliveS === Number.POSITIVE_INFINITY) return 1;
      if (b.keepAliveS === Number.POSITIVE_INFINITY) return -1;
      return a.keepAliveS - b.keepAliveS;
    }
    return byName(a, b);
  },
};

export const lruPolicy: EvictionPolicy = {
  name: 'lru',
  minimise: false,
  compare: (a, b) => a.lastUsed - b.lastUsed || byName(a, b),
};

export const EVICTION_POLICIES = { value: valuePolicy, ollama: ollamaPolicy, lru: lruPolicy } as const;

function byName(a: EvictionCandidate, b: EvictionCandidate): number {
  return a.model < b.model ? -1 : a.model > b.model ? 1 : 0;
}

/**
 * Victims that free at least `needGb` and `needSlots` loaded-model slots, in eviction order; null when
 * even all candidates together are not enough. Empty when nothing is needed.
 */
export function chooseVictims(
  candidates: readonly EvictionCandidate[],
  needGb: number,
  needSlots: number,
  policy: EvictionPolicy,
): string[] | null {
  // Float sums of sizes: a sliver of tolerance so 16 − 8 − 8 counts as enough.
  const gb = needGb - 1e-9;
  if (gb <= 0 && needSlots <= 0) return [];
  const ordered = [...candidates].sort(policy.compare);
  const chosen: EvictionCandidate[] = [];
  let freed = 0;
  for (const c of ordered) {
    if (freed >= gb && chosen.length >= needSlots) break;
    chosen.push(c);
    freed += c.sizeGb;
  }
  if (freed < gb || chosen.length < needSlots) return null;
  if (policy.minimise) {
    // Walk back from the most valuable victim and spare any the others already make room for.
    for (let i = chosen.length - 1; i >= 0; i--) {
      const c = chosen[i]!;
      if (freed - c.sizeGb >= gb && chosen.length - 1 >= needSlots) {
        chosen.splice(i, 1);
        freed -= c.sizeGb;
      }
    }
  }
  return chosen.map((c) => c.model);
}

export interface TraceRequest {
  /** Epoch ms (or any ms clock); requests must come in time order. */
  t: number;
  model: string;
}

export interface TraceModel {
  sizeGb: number;
  loadSeconds: number;
  /** Default Infinity (our loads are kept forever; we evict ourselves). */
  keepAliveS?: number;
}

export interface TraceOptions {
  budgetGb: number;
  maxLoadedModels: number;
  models: Readonly<Record<string, TraceModel>>;
  policy: EvictionPolicy;
  /** Loaded before the trace starts (not counted as loads) and never evicted. */
  pinned?: readonly string[];
  /** Half-life of the demand the value policy reads (default 600 s). */
  demandHalfLifeS?: number;
}

export interface TraceResult {
  requests: number;
  hits: number;
  loads: number;
  /** Seconds spent loading: what a policy should minimise. */
  loadSeconds: number;
  evictions: number;
  /** Requests that could not be served because pinned models left no room. */
  refused: number;
}

/**
 * Replays a trace of requests through one simulated card under a policy, for the benchmark and the tests.
 * Requests are instantaneous (no model is busy when another must load); a model bigger than the room left
 * by pinned models loads partially offloaded into all of that room, as Ollama does.
 */
export function simulateTrace(trace: readonly TraceRequest[], options: TraceOptions): TraceResult {
  const { budgetGb, maxLoadedModels, models, policy } = options;
  const pinned = new Set(options.pinned ?? []);
  const demand = createDemand({ halfLifeS: options.demandHalfLifeS ?? 600 });
  const loaded = new Map<string, { vramGb: number; lastUsed: number }>();
  const start = trace[0]?.t ?? 0;
  let pinnedGb = 0;
  for (const model of pinned) {
    const vramGb = spec(models, model).sizeGb;
    loaded.set(model, { vramGb, lastUsed: start });
    pinnedGb += vramGb;
  }
  const result: TraceResult = { requests: 0, hits: 0, loads: 0, loadSeconds: 0, evictions: 0, refused: 0 };
  for (const { t, model } of trace) {
    result.requests++;
    recordRequest(demand, { now: t, model });
    const here = loaded.get(model);
    if (here !== undefined) {
      result.hits++;
      here.lastUsed = t;
      continue;
    }
    const m = spec(models, model);
    const vramGb = Math.min(m.sizeGb, budgetGb - pinnedGb);
    let used = 0;
    for (const e of loaded.values()) used += e.vramGb;
    const candidates: EvictionCandidate[] = [];
    for (const [name, e] of loaded) {
      if (pinned.has(name)) continue;
      const s = spec(models, name);
      candidates.push({
        model: name,
        sizeGb: e.vramGb,
        loadSeconds: s.loadSeconds,
        demand: modelDemand(demand, name, t),
        lastUsed: e.lastUsed,
        keepAliveS: s.keepAliveS ?? Number.POSITIVE_INFINITY,
      });
    }
    const victims =
      vramGb > 0
        ? chooseVictims(candidates, vramGb - (budgetGb - used), loaded.size + 1 - maxLoadedModels, policy)
        : null;
    if (victims === null) {
      result.refused++;
      continue;
    }
    for (const v of victims) loaded.delete(v);
    result.evictions += victims.length;
    loaded.set(model, { vramGb, lastUsed: t });
    result.loads++;
    result.loadSeconds += m.loadSeconds;
  }
  return result;
}

function spec(models: Readonly<Record<string, TraceModel>>, model: string): TraceModel {
  const m = models[model];
  if (m === undefined) throw new Error(`simulateTrace: model ${model} is not in options.models`);
  return m;
}
