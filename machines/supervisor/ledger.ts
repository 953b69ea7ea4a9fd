import type { HostLedger, LedgerEntry } from '../../src/policy/vram-ledger.ts';
import type { ModelStateValue } from '../model/types.ts';
import type { HostState, LedgerSlot, PsModel } from './types.ts';

/**
 * Pure updates of one host's ledger (what our models occupy there) and the planning view of it. Only the
 * supervisor's transitions call these; everything else reads the result from its snapshot.
 */

/** What planning needs from a model actor's snapshot (the supervisor reads its children). */
export interface ModelFacts {
  state: ModelStateValue;
  /** Requests and probes on it now: a busy model is never a victim. */
  busy: number;
  lastUsed: number | null;
  loadTimeMs: number;
  /** Decayed request count as of the planning time. */
  demand: number;
  /** Best known whole size on this host (measured, else discovered, else configured), GB. */
  needGb: number;
}

export function setSlot(host: HostState, model: string, slot: LedgerSlot): HostState {
  return { ...host, ledger: { ...host.ledger, [model]: slot } };
}

export function dropSlot(host: HostState, model: string): HostState {
  if (host.ledger[model] === undefined) return host;
  const ledger = { ...host.ledger };
  delete ledger[model];
  return { ...host, ledger };
}

/** GB of GPU memory the ledger holds (ours and other clients'). */
export function usedGb(host: HostState): number {
  let used = 0;
  for (const slot of Object.values(host.ledger)) used += slot.vramGb;
  for (const f of host.foreign) used += f.sizeVramGb;
  return used;
}

/**
 * The host's ledger as the planner reads it: our slots with who is busy and what each is worth, plus the
 * foreign models (never ours to evict). A slot being unloaded counts as busy: its memory is not free yet
 * and it is no victim either.
 */
export function planningLedger(
  host: HostState,
  pinned: ReadonlySet<string>,
  facts: (model: string) => ModelFacts | undefined,
  /** The model being planned: a warm-set model's own reservation is its to use. */
  planned?: string,
): HostLedger {
  const entries: Record<string, LedgerEntry> = {};
  for (const [model, slot] of Object.entries(host.ledger)) {
    const f = facts(model);
    const entry: LedgerEntry = {
      sizeGb: slot.sizeGb,
      sizeVramGb: slot.vramGb,
      status: slot.status === 'loaded' ? 'loaded' : 'loading',
      inFlight: (f?.busy ?? 0) + busyElsewhere(host, model),
      pinned: pinned.has(`${host.name}/${model}`),
      lastUsed: f?.lastUsed ?? slot.since,
      loadSeconds: (f?.loadTimeMs ?? 10_000) / 1000,
      demand: round6(f?.demand ?? 0),
    };
    entries[model] = entry;
  }
  for (const f of host.foreign) {
    entries[f.name] = {
      sizeGb: f.sizeVramGb,
      sizeVramGb: f.sizeVramGb,
      status: 'loaded',
      inFlight: 0,
      pinned: true,
      foreign: true,
      lastUsed: 0,
    };
  }
  // Warm-set models that are away (not loaded nor loading) keep their room, unless they are not installed.
  const reserved: Record<string, number> = {};
  for (const id of pinned) {
    const slash = id.indexOf('/');
    const model = id.slice(slash + 1);
    if (id.slice(0, slash) !== host.name || model === planned || host.ledger[model]) continue;
    const f = facts(model);
    if (f && f.state !== 'missing' && f.needGb > 0) reserved[model] = round6(f.needGb);
  }
  return {
    budgetGb: host.budgetGb,
    maxLoadedModels: host.maxLoadedModels,
    entries,
    ...(Object.keys(reserved).length > 0 && { reserved }),
  };
}

/** Requests other replicas told the planner they have in flight on `model` (0 with one replica). */
function busyElsewhere(host: HostState, model: string): number {
  let n = 0;
  for (const busy of Object.values(host.peerBusy ?? {})) n += busy[model] ?? 0;
  return n;
}

/** Journaled inputs must read back identically: no float noise from decay in them. */
function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** How the ledger changes with one /api/ps answer, and what each of our models is told. */
export interface PsReconciliation {
  host: HostState;
  /** Models Ollama no longer holds although the ledger said loaded: evicted or expired behind our back. */
  vanished: string[];
  /** Models Ollama holds that the ledger did not know (loaded for a request, or by another of our loads). */
  appeared: string[];
}

/**
 * Brings the ledger in line with /api/ps. `ours` says which names are our models on this host; the rest
 * are foreign. A sample taken before a slot's last change says nothing about it (the load or unload may
 * have finished after the sample), so such slots are left alone.
 */
export function reconcileLedger(
  host: HostState,
  ps: readonly PsModel[],
  sampledAt: number,
  now: number,
  ours: (model: string) => boolean,
): PsReconciliation {
  const byName = new Map(ps.map((m) => [m.name, m]));
  const ledger: Record<string, LedgerSlot> = {};
  const vanished: string[] = [];
  const appeared: string[] = [];
  for (const [model, slot] of Object.entries(host.ledger)) {
    const seen = byName.get(model);
    const stale = sampledAt < slot.since;
    if (seen === undefined) {
      // A load still under way may not be listed yet; an unload that finished is simply over.
      if (stale || slot.status === 'loading') ledger[model] = slot;
      else if (slot.status === 'loaded') vanished.push(model);
      continue;
    }
    if (slot.status === 'loaded' && !stale) {
      ledger[model] = {
        ...slot,
        vramGb: seen.sizeVramGb,
        sizeGb: seen.sizeGb ?? Math.max(slot.sizeGb, seen.sizeVramGb),
      };
    } else {
      ledger[model] = slot;
    }
  }
  for (const m of ps) {
    if (!ours(m.name) || ledger[m.name] !== undefined || host.ledger[m.name] !== undefined) continue;
    appeared.push(m.name);
    ledger[m.name] = {
      status: 'loaded',
      vramGb: m.sizeVramGb,
      sizeGb: m.sizeGb ?? m.sizeVramGb,
      since: now,
    };
  }
  const foreign = ps.filter((m) => !ours(m.name)).map((m) => ({ name: m.name, sizeVramGb: m.sizeVramGb }));
  return { host: { ...host, ledger, foreign, lastReconciledAt: now }, vanished, appeared };
}
