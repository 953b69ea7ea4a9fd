import type { ModelEventOf } from '../model/types.ts';
import { dropSlot, reconcileLedger, setSlot } from './ledger.ts';
import { decide, type FactsOf, replan, type Step, splitId, withHost } from './planning.ts';
import type { DiscoveredModel, HostState, SupervisorEvent } from './types.ts';

/**
 * One pure step per supervisor event (besides LOAD_WANTED, in planning.ts). Each updates the ledger,
 * tells the model actors what happened to them, records decisions, and re-plans the host's queued wants
 * when room may have changed.
 */

type Ev<T extends SupervisorEvent['type']> = Extract<SupervisorEvent, { type: T }>;

export function loadSucceeded(step: Step, e: Ev<'LOAD_SUCCEEDED'>, facts: FactsOf): void {
  const { host: hostName, model } = splitId(e.id);
  const host = step.ctx.hosts[hostName];
  if (!host) return;
  const slot = host.ledger[model];
  const vramGb = e.sizeVramGb ?? slot?.vramGb ?? 0;
  const sizeGb = e.sizeGb ?? slot?.sizeGb ?? vramGb;
  withHost(step, setSlot(host, model, { status: 'loaded', vramGb, sizeGb, since: e.now }));
  const toModel: ModelEventOf<'LOAD_SUCCEEDED'> = {
    type: 'LOAD_SUCCEEDED',
    now: e.now,
    durationMs: e.durationMs,
  };
  if (e.sizeVramGb !== undefined) toModel.sizeVramGb = e.sizeVramGb;
  if (e.sizeGb !== undefined) toModel.sizeGb = e.sizeGb;
  step.fx.toModels.push({ id: e.id, event: toModel });
  decide(step, {
    kind: 'loaded',
    at: e.now,
    host: hostName,
    model,
    duration_ms: Math.round(e.durationMs),
    vram_gb: vramGb,
    reason: `${model} loaded on ${hostName} in ${Math.round(e.durationMs)} ms`,
  });
  replan(step, hostName, e.now, facts);
}

export function loadFailed(step: Step, e: Ev<'LOAD_FAILED'>, facts: FactsOf): void {
  const { host: hostName, model } = splitId(e.id);
  const host = step.ctx.hosts[hostName];
  if (!host) return;
  withHost(step, dropSlot(host, model));
  const { type: _t, id: _i, ...failure } = e;
  step.fx.toModels.push({ id: e.id, event: { ...failure, type: 'LOAD_FAILED' } });
  decide(step, {
    kind: 'load_failed',
    at: e.now,
    host: hostName,
    model,
    error_class: e.errorClass,
    reason: `loading ${model} on ${hostName} failed: ${e.reason}`,
  });
  replan(step, hostName, e.now, facts);
}

export function unloaded(step: Step, e: Ev<'UNLOADED'>, facts: FactsOf): void {
  const { host: hostName, model } = splitId(e.id);
  const host = step.ctx.hosts[hostName];
  if (!host) return;
  withHost(step, dropSlot(host, model));
  step.fx.toModels.push({ id: e.id, event: { type: 'UNLOADED', now: e.now } });
  replan(step, hostName, e.now, facts);
}

export function reconciled(step: Step, e: Ev<'HOST_RECONCILED'>, facts: FactsOf): void {
  const host = step.ctx.hosts[e.host];
  if (!host) return;
  hostAnswered(step, host, e.now, e.version);
  const ours = (m: string) => step.ctx.models[`${e.host}/${m}`] !== undefined;
  const r = reconcileLedger(step.ctx.hosts[e.host]!, e.models, e.sampledAt, e.now, ours);
  withHost(step, r.host);
  for (const model of r.vanished) {
    decide(step, {
      kind: 'vanished',
      at: e.now,
      host: e.host,
      model,
      reason: `${model} is no longer in ${e.host}'s memory (evicted or expired behind our back)`,
    });
  }
  const byName = new Map(e.models.map((m) => [m.name, m]));
  for (const id of Object.keys(step.ctx.models)) {
    const { host: h, model } = splitId(id);
    if (h !== e.host) continue;
    const seen = byName.get(model);
    step.fx.toModels.push({
      id,
      event: {
        type: 'RECONCILED',
        now: e.now,
        sampledAt: e.sampledAt,
        loaded: seen !== undefined,
        ...(seen && { sizeVramGb: seen.sizeVramGb }),
        ...(seen?.sizeGb !== undefined && { sizeGb: seen.sizeGb }),
        ...(seen?.expiresAt !== undefined && { expiresAt: seen.expiresAt }),
      },
    });
  }
  replan(step, e.host, e.now, facts);
}

/**
 * What a host lists on disk. Our models it lacks are missing; ones it has again are found. New models are
 * returned for the machine to spawn (spawning needs the actor system, not a pure step).
 */
export function catalogued(step: Step, e: Ev<'HOST_CATALOG'>): DiscoveredModel[] {
  const host = step.ctx.hosts[e.host];
  if (!host) return [];
  const catalog: Record<string, DiscoveredModel> = {};
  for (const m of e.models) catalog[m.name] = m;
  withHost(step, { ...host, catalog });
  const present = (model: string) => catalog[model] !== undefined || catalog[`${model}:latest`] !== undefined;
  for (const id of Object.keys(step.ctx.models)) {
    const { host: h, model } = splitId(id);
    if (h !== e.host) continue;
    step.fx.toModels.push({
      id,
      event: { type: present(model) ? 'MODEL_FOUND' : 'MODEL_MISSING', now: e.now },
    });
  }
  return e.models.filter(
    (m) => step.ctx.models[`${e.host}/${m.name}`] === undefined && !hasLatestTwin(step, e.host, m.name),
  );
}

/** "llama3.2" in the config and "llama3.2:latest" on the host are one model: no second actor for it. */
function hasLatestTwin(step: Step, host: string, name: string): boolean {
  return name.endsWith(':latest') && step.ctx.models[`${host}/${name.slice(0, -7)}`] !== undefined;
}

export function hostDown(step: Step, e: Ev<'HOST_DOWN'>): void {
  const host = step.ctx.hosts[e.host];
  if (!host) return;
  if (host.health.status === 'down') {
    withHost(step, { ...host, health: { ...host.health, reason: e.reason } });
    return;
  }
  withHost(step, {
    ...host,
    health: {
      ...host.health,
      status: 'down',
      since: e.now,
      reason: e.reason,
      outages: host.health.outages + 1,
    },
  });
  decide(step, {
    kind: 'host_down',
    at: e.now,
    host: e.host,
    model: '',
    reason: `host ${e.host} is down (${e.reason}): its models are skipped, without blame, until it answers`,
  });
}

export function hostUp(step: Step, e: Ev<'HOST_UP'>, facts: FactsOf): void {
  const host = step.ctx.hosts[e.host];
  if (!host) return;
  hostAnswered(step, host, e.now, e.version);
  replan(step, e.host, e.now, facts);
}

function hostAnswered(step: Step, host: HostState, now: number, version?: string): void {
  const was = host.health.status;
  const health = {
    ...host.health,
    status: 'up' as const,
    since: was === 'up' ? host.health.since : now,
    ...(version !== undefined && { version }),
  };
  withHost(step, { ...host, health });
  if (was === 'down') {
    decide(step, {
      kind: 'host_up',
      at: now,
      host: host.name,
      model: '',
      reason: `host ${host.name} answers again after ${Math.round((now - (host.health.since ?? now)) / 100) / 10} s down`,
    });
  }
}

/**
 * After a restart from a snapshot: loads and unloads that were under way died with the process (Ollama
 * abandons a load whose client went away), and so did every request that wanted something. Reconciling
 * with /api/ps then tells what is really there.
 */
export function restored(step: Step, now: number): void {
  const hosts = { ...step.ctx.hosts };
  for (const [name, host] of Object.entries(hosts)) {
    const ledger = { ...host.ledger };
    for (const [model, slot] of Object.entries(ledger)) if (slot.status !== 'loaded') delete ledger[model];
    hosts[name] = { ...host, ledger };
  }
  step.ctx = { ...step.ctx, hosts, wants: step.ctx.wants.filter((w) => w.mode === 'warm' && w.until > now) };
}

/** The planner lease moved: taking it, this supervisor plans the host's queued wants itself from now on. */
export function plannerChanged(step: Step, e: Ev<'PLANNER_CHANGED'>, facts: FactsOf): void {
  const host = step.ctx.hosts[e.host];
  if (!host || host.planner === e.planner) return;
  if (e.planner === 'peer') {
    withHost(step, { ...host, planner: e.planner });
    return;
  }
  // Loads and unloads the former planner had under way died with it or are its business: forgotten here,
  // so the wants waiting on them are planned afresh (reconciliation shows what Ollama finished meanwhile).
  const ledger = Object.fromEntries(
    Object.entries(host.ledger).filter(([, slot]) => slot.status === 'loaded'),
  );
  withHost(step, { ...host, planner: e.planner, ledger });
  replan(step, e.host, e.now, facts);
}

/**
 * The host's planner (another replica) published its ledger: mirrored wholesale, and the model actors told
 * what is resident now as if /api/ps had said it. Ignored while this supervisor plans the host itself.
 */
export function ledgerSynced(step: Step, e: Ev<'LEDGER_SYNC'>, facts: FactsOf): void {
  const host = step.ctx.hosts[e.host];
  if (!host || host.planner !== 'peer') return;
  withHost(step, { ...host, ledger: e.ledger, foreign: e.foreign });
  for (const id of Object.keys(step.ctx.models)) {
    const { host: h, model } = splitId(id);
    if (h !== e.host) continue;
    const slot = e.ledger[model];
    const loaded = slot?.status === 'loaded';
    if (loaded === (host.ledger[model]?.status === 'loaded')) continue;
    step.fx.toModels.push({
      id,
      event: {
        type: 'RECONCILED',
        now: e.now,
        sampledAt: e.now,
        loaded,
        ...(slot && { sizeVramGb: slot.vramGb, sizeGb: slot.sizeGb }),
      },
    });
  }
  replan(step, e.host, e.now, facts);
}

/**
 * Another replica's requests in flight on the host (only the planner is told). Its latest word replaces its
 * earlier one; an empty one forgets it. Wants waiting for room are looked at again: that room may be free now.
 */
export function peerBusy(step: Step, e: Ev<'PEER_BUSY'>, facts: FactsOf): void {
  const host = step.ctx.hosts[e.host];
  if (!host) return;
  const { [e.replica]: _old, ...others } = host.peerBusy ?? {};
  const busy = Object.keys(e.busy).length > 0 ? { ...others, [e.replica]: e.busy } : others;
  withHost(step, { ...host, peerBusy: busy });
  replan(step, e.host, e.now, facts);
}
