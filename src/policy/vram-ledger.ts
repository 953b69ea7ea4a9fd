import { chooseVictims, type EvictionCandidate, type EvictionPolicy, valuePolicy } from './eviction.ts';

/**
 * One host's VRAM ledger: what is loaded or loading, how much GPU memory each takes, who is busy, and
 * whether a new load fits. Plain JSON data (the supervisor keeps it in its persisted context) with pure
 * functions over it; updates return a new ledger.
 *
 * Invariants `planLoad` keeps:
 * - used VRAM after the plan never exceeds the budget, nor the loaded count `maxLoadedModels`
 *   (Ollama's OLLAMA_MAX_LOADED_MODELS);
 * - victims are idle: never in flight, never still loading, never another client's (foreign) model;
 * - pinned models (the warm set) are evicted only for a model that cannot fit beside them: Ollama itself
 *   would evict them to fit it (it loads a model beside others only if it fits fully);
 * - a model larger than the card loads partially offloaded, alone (Ollama offloads only a model that is
 *   alone on the card), into the whole budget; until busy models finish, the answer is 'wait'.
 */

export interface LedgerEntry {
  /** Full size of the loaded model. */
  sizeGb: number;
  /** Part of it in VRAM: sizeGb, or less when partially offloaded. This is what counts against the budget. */
  sizeVramGb: number;
  status: 'loading' | 'loaded';
  inFlight: number;
  pinned: boolean;
  /** Another client's model (seen in /api/ps, not ours): takes room, never evicted by us. */
  foreign?: boolean;
  /** Epoch ms of the last request (or of the load). */
  lastUsed: number;
  /** Measured or configured load time, for cost-aware eviction. */
  loadSeconds?: number;
  /** Recent demand (decayed request count); when absent, `PlanLoadOptions.demandOf` is asked. */
  demand?: number;
  /**
   * Keep-alive it was loaded with, for Ollama's eviction order. Omit for "forever" (Infinity does not
   * survive JSON; a null read back also means forever).
   */
  keepAliveS?: number;
}

export interface HostLedger {
  budgetGb: number;
  maxLoadedModels: number;
  /** model name → entry. A record rather than a Map so the ledger survives JSON snapshots. */
  entries: Readonly<Record<string, LedgerEntry>>;
  /**
   * Warm-set models not in memory right now (a restart emptied the host, a fault unloaded them), with the GB
   * they come back with. Their room is kept: a load that could not fit beside them is judged as if they
   * were loaded, so it cannot take the card while they are briefly away. Absent: none.
   */
  reserved?: Readonly<Record<string, number>>;
}

export type LoadPlan =
  | { action: 'none'; reason: string }
  | { action: 'load'; evict: string[]; vramGb: number; reason: string }
  | { action: 'partial_offload'; evict: string[]; vramGb: number; reason: string }
  | { action: 'wait'; blockers: string[]; reason: string }
  | { action: 'refuse'; reason: string };

export interface PlanLoadOptions {
  /** Default: value-based (demand × load cost ÷ size). */
  policy?: EvictionPolicy;
  /** Recent demand of a loaded model (demand.ts `modelDemand`); default 0. */
  demandOf?: (model: string) => number;
  /** Load seconds for entries that do not record theirs (default 10). */
  defaultLoadSeconds?: number;
  /**
   * May the warm set (pinned models) yield to a model that cannot fit beside it? Default true: Ollama
   * would evict them anyway to load it. False: such a load is refused instead (an interactive request, a
   * predictive preload, a preload without `force`).
   */
  displaceWarmSet?: boolean;
}

/** Float sums of sizes: tolerance so 16 − 8 − 8 counts as fitting exactly. */
const EPS = 1e-9;

export function createLedger(budgetGb: number, maxLoadedModels: number): HostLedger {
  return { budgetGb, maxLoadedModels, entries: {} };
}

export function usedGb(ledger: HostLedger): number {
  let used = 0;
  for (const e of Object.values(ledger.entries)) used += e.sizeVramGb;
  return used;
}

export function freeGb(ledger: HostLedger): number {
  return ledger.budgetGb - usedGb(ledger);
}

export function loadedCount(ledger: HostLedger): number {
  return Object.keys(ledger.entries).length;
}

/** Fits fully right now, without evicting anything. */
export function fits(ledger: HostLedger, sizeGb: number): boolean {
  return sizeGb <= freeGb(ledger) + EPS && loadedCount(ledger) < ledger.maxLoadedModels;
}

export function planLoad(
  ledger: HostLedger,
  model: string,
  sizeGb: number,
  options: PlanLoadOptions = {},
): LoadPlan {
  const self = ledger.entries[model];
  if (self !== undefined) return { action: 'none', reason: `${model} is already ${self.status}` };
  const { budgetGb, maxLoadedModels } = ledger;
  let used = 0;
  let count = 0;
  let pinnedGb = 0;
  let pinnedCount = 0;
  let foreignGb = 0;
  const foreign: string[] = [];
  const idle: EvictionCandidate[] = [];
  const pinnedIdle: EvictionCandidate[] = [];
  const busy: string[] = [];
  const pinnedBusy: string[] = [];
  for (const [name, e] of Object.entries(ledger.entries)) {
    used += e.sizeVramGb;
    count++;
    if (e.foreign) {
      foreignGb += e.sizeVramGb;
      foreign.push(name);
      continue;
    }
    const isBusy = e.status === 'loading' || e.inFlight > 0;
    if (e.pinned) {
      pinnedGb += e.sizeVramGb;
      pinnedCount++;
    }
    if (isBusy) {
      (e.pinned ? pinnedBusy : busy).push(name);
      continue;
    }
    (e.pinned ? pinnedIdle : idle).push({
      model: name,
      sizeGb: e.sizeVramGb,
      loadSeconds: e.loadSeconds ?? options.defaultLoadSeconds ?? 10,
      demand: e.demand ?? options.demandOf?.(name) ?? 0,
      lastUsed: e.lastUsed,
      keepAliveS: e.keepAliveS ?? Number.POSITIVE_INFINITY,
    });
  }
  for (const gb of Object.values(ledger.reserved ?? {})) {
    pinnedGb += gb;
    pinnedCount++;
  }
  const policy = options.policy ?? valuePolicy;
  const needGb = sizeGb - (budgetGb - used);
  const needSlots = count + 1 - maxLoadedModels;
  const room = budgetGb - pinnedGb - foreignGb;
  if (sizeGb <= room + EPS && pinnedCount + foreign.length + 1 <= maxLoadedModels) {
    const victims = chooseVictims(idle, needGb, needSlots, policy);
    if (victims !== null) {
      const why = victims.length === 0 ? 'fits' : `fits after evicting ${victims.join(', ')}`;
      return { action: 'load', evict: victims, vramGb: sizeGb, reason: `${model} (${gb(sizeGb)}) ${why}` };
    }
    return {
      action: 'wait',
      blockers: busy,
      reason: `${model} needs ${gb(sizeGb)}, ${gb(budgetGb - used)} free; wait for busy or loading models: ${busy.join(', ')}`,
    };
  }
  // It cannot fit beside the pinned (warm) set. Ollama loads such a model only after evicting the others,
  // and offloads a model to system RAM only when it is alone on the card; planning as if the warm set
  // stayed would just let Ollama evict it behind our back. So either the warm set yields (and is brought
  // back once there is room again), or, when the caller may not displace it, the load is refused.
  // Other clients' models never yield.
  if (options.displaceWarmSet === false && pinnedCount > 0) {
    const warm = [
      ...Object.entries(ledger.entries)
        .filter(([, e]) => e.pinned && !e.foreign)
        .map(([n]) => n),
      ...Object.keys(ledger.reserved ?? {}).map((n) => `${n}, away now`),
    ];
    return {
      action: 'refuse',
      reason: `${model} (${gb(sizeGb)}) does not fit beside the warm set (${warm.join(', ')}) on a ${gb(budgetGb)} card, and this load may not displace it`,
    };
  }
  const ours = budgetGb - foreignGb;
  if (ours <= EPS || foreign.length + 1 > maxLoadedModels || (sizeGb > ours + EPS && foreign.length > 0)) {
    return {
      action: 'refuse',
      reason: `models loaded by another client (${foreign.join(', ')}) hold ${gb(foreignGb)} of ${gb(budgetGb)}: no room for ${model}`,
    };
  }
  if (sizeGb <= ours + EPS) {
    const victims =
      chooseVictims(idle, needGb, needSlots, policy) ??
      chooseVictims([...idle, ...pinnedIdle], needGb, needSlots, policy);
    if (victims !== null) {
      return {
        action: 'load',
        evict: victims,
        vramGb: sizeGb,
        reason: `${model} (${gb(sizeGb)}) does not fit beside the warm set: evicting ${victims.join(', ')}`,
      };
    }
    const blockers = [...busy, ...pinnedBusy];
    return {
      action: 'wait',
      blockers,
      reason: `${model} needs ${gb(sizeGb)}; wait for ${blockers.join(', ')}`,
    };
  }
  if (busy.length + pinnedBusy.length > 0) {
    const blockers = [...busy, ...pinnedBusy];
    return {
      action: 'wait',
      blockers,
      reason: `${model} (${gb(sizeGb)}) is larger than the ${gb(budgetGb)} card and must load alone; wait for ${blockers.join(', ')}`,
    };
  }
  return {
    action: 'partial_offload',
    evict: [...idle, ...pinnedIdle].map((c) => c.model),
    vramGb: budgetGb,
    reason: `${model} (${gb(sizeGb)}) exceeds the ${gb(budgetGb)} card: it loads alone, ${gb(budgetGb)} on GPU, the rest in system RAM (slow)`,
  };
}

function gb(n: number): string {
  return `${Math.round(n * 10) / 10} GB`;
}

/** The ledger after starting the load a plan describes: victims removed, the model added as loading. */
export function applyLoadPlan(
  ledger: HostLedger,
  model: string,
  sizeGb: number,
  plan: LoadPlan,
  now: number,
  meta: { pinned?: boolean; loadSeconds?: number; keepAliveS?: number } = {},
): HostLedger {
  if (plan.action !== 'load' && plan.action !== 'partial_offload') return ledger;
  const entries: Record<string, LedgerEntry> = { ...ledger.entries };
  for (const v of plan.evict) delete entries[v];
  const entry: LedgerEntry = {
    sizeGb,
    sizeVramGb: plan.vramGb,
    status: 'loading',
    inFlight: 0,
    pinned: meta.pinned ?? false,
    lastUsed: now,
  };
  if (meta.loadSeconds !== undefined) entry.loadSeconds = meta.loadSeconds;
  if (meta.keepAliveS !== undefined) entry.keepAliveS = meta.keepAliveS;
  entries[model] = entry;
  return { ...ledger, entries };
}

/** Updates one entry; a no-op (same ledger) for a model that is not in it. */
export function updateEntry(ledger: HostLedger, model: string, patch: Partial<LedgerEntry>): HostLedger {
  const e = ledger.entries[model];
  if (e === undefined) return ledger;
  return { ...ledger, entries: { ...ledger.entries, [model]: { ...e, ...patch } } };
}

export function markLoaded(ledger: HostLedger, model: string, sizeVramGb?: number): HostLedger {
  const e = ledger.entries[model];
  if (e === undefined) return ledger;
  return updateEntry(ledger, model, { status: 'loaded', sizeVramGb: sizeVramGb ?? e.sizeVramGb });
}

/** A request started (+1) or finished (−1) on a model. */
export function withInFlight(ledger: HostLedger, model: string, delta: number, now: number): HostLedger {
  const e = ledger.entries[model];
  if (e === undefined) return ledger;
  return updateEntry(ledger, model, { inFlight: Math.max(0, e.inFlight + delta), lastUsed: now });
}

export function removeEntry(ledger: HostLedger, model: string): HostLedger {
  if (ledger.entries[model] === undefined) return ledger;
  const entries: Record<string, LedgerEntry> = { ...ledger.entries };
  delete entries[model];
  return { ...ledger, entries };
}
