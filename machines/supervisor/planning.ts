import type { Urgency } from '../../src/config/schema.ts';
import { mayDisplaceWarmSet, type PlanInputs, planFor } from '../../src/policy/planner.ts';
import type { ModelEvent } from '../model/types.ts';
import { type ModelFacts, planningLedger, setSlot } from './ledger.ts';
import type { HostState, LoaderCommand, PlanDecision, SupervisorContext, Want, WantMode } from './types.ts';

/**
 * The supervisor's load planning as pure steps: (context, event) → (context, effects). Effects are what
 * the machine then does: commands to the loader, events to model actors, decisions to emit. Keeping them
 * as data makes every step testable without an actor system and replayable from the journal.
 */

export interface Effects {
  commands: LoaderCommand[];
  toModels: Array<{ id: string; event: ModelEvent }>;
  decisions: PlanDecision[];
}

export interface Step {
  ctx: SupervisorContext;
  fx: Effects;
}

export type FactsOf = (id: string) => ModelFacts | undefined;

export const noEffects = (): Effects => ({ commands: [], toModels: [], decisions: [] });

/** Appends a decision with the next sequence number; returns that number. */
export function decide(step: Step, d: DistributiveOmit<PlanDecision, 'seq'>): number {
  const seq = step.ctx.decisionSeq + 1;
  step.ctx = { ...step.ctx, decisionSeq: seq };
  step.fx.decisions.push({ ...d, seq } as PlanDecision);
  return seq;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function withHost(step: Step, host: HostState): void {
  step.ctx = { ...step.ctx, hosts: { ...step.ctx.hosts, [host.name]: host } };
}

export function splitId(id: string): { host: string; model: string } {
  const i = id.indexOf('/');
  return { host: id.slice(0, i), model: id.slice(i + 1) };
}

/** Queued wants are served in this order: interactive requests, the warm set, preloads, then the rest. */
function rank(w: Want): number {
  if (w.mode === 'request') return w.urgency === 'interactive' ? 0 : w.urgency === 'background' ? 3 : 4;
  return w.mode === 'warm' ? 1 : w.mode === 'preload' ? 2 : 5;
}

export interface WantInput {
  id: string;
  mode: WantMode;
  urgency: Urgency;
  requestId?: string;
  force?: boolean;
  interactiveBusy?: boolean;
  until: number;
}

type Attempt = 'loaded' | 'queued' | 'refused' | 'satisfied' | 'blocked';

/**
 * Tries to start the load one want asks for. `queued` says whether it already waits in the queue (a
 * re-plan), so a `wait` decision is emitted only the first time.
 */
export function attemptWant(step: Step, w: WantInput, now: number, facts: FactsOf, queued: boolean): Attempt {
  const { host: hostName, model } = splitId(w.id);
  const host = step.ctx.hosts[hostName];
  const f = facts(w.id);
  const base = { at: now, host: hostName, model, ...(w.requestId && { request_id: w.requestId }) };
  if (!host || !f) {
    decide(step, {
      ...base,
      kind: 'refuse',
      mode: w.mode,
      urgency: w.urgency,
      reason: `no model ${w.id}`,
      ...noPlan(step, hostName, f),
    });
    return 'refused';
  }
  const slot = host.ledger[model];
  // Another replica's load under way is not ours to count on: the want is kept until the model is loaded,
  // so that if that replica dies, the planner taking over still has it.
  if (slot?.status === 'loading' && host.planner === 'peer') return 'blocked';
  if (slot && slot.status !== 'unloading') return 'satisfied';
  // Down hosts and models being unloaded come back: wait for them rather than refuse.
  if (slot || host.health.status === 'down') return 'blocked';
  // Another replica plans this host: hand the want over (once) and wait for its ledger to show the model.
  if (host.planner === 'peer') {
    if (!queued)
      decide(step, {
        ...base,
        kind: 'forwarded',
        mode: w.mode,
        urgency: w.urgency,
        until: w.until,
        ...(w.force && { force: true }),
        reason: `${hostName} is planned by another replica: want for ${model} handed to it`,
      });
    return 'blocked';
  }
  if (f.state === 'missing') {
    decide(step, {
      ...base,
      kind: 'refuse',
      mode: w.mode,
      urgency: w.urgency,
      reason: `${model} is not installed on ${hostName}`,
      ...noPlan(step, hostName, f),
    });
    return 'refused';
  }
  const pinned = new Set(step.ctx.pinned);
  const inputs: PlanInputs = {
    ledger: planningLedger(host, pinned, (m) => facts(`${hostName}/${m}`), model),
    sizeGb: f.needGb,
    displaceWarmSet: mayDisplaceWarmSet(w.mode, w.urgency, w.force === true, w.interactiveBusy === true),
    evictionPolicy: step.ctx.evictionPolicy,
  };
  const plan = planFor(model, inputs);
  const common = { ...base, mode: w.mode, urgency: w.urgency, plan, inputs, reason: plan.reason };
  switch (plan.action) {
    case 'none':
      return 'satisfied';
    case 'wait':
      if (!queued) decide(step, { ...common, kind: 'wait' });
      return 'queued';
    case 'refuse':
      decide(step, { ...common, kind: 'refuse' });
      return 'refused';
    case 'load':
    case 'partial_offload': {
      const seq = decide(step, { ...common, kind: 'load' });
      let h = host;
      const evict: string[] = [];
      for (const victim of plan.evict) {
        const vid = `${hostName}/${victim}`;
        const vs = h.ledger[victim];
        if (vs) h = setSlot(h, victim, { ...vs, status: 'unloading', since: now });
        evict.push(vid);
        step.fx.toModels.push({ id: vid, event: { type: 'UNLOAD_REQUESTED', now } });
        decide(step, {
          ...base,
          model: victim,
          kind: 'eviction',
          for_model: model,
          for_decision: seq,
          mode: w.mode,
          urgency: w.urgency,
          reason: `evicted to make room for ${model}: ${plan.reason}`,
        });
      }
      h = setSlot(h, model, { status: 'loading', vramGb: plan.vramGb, sizeGb: f.needGb, since: now });
      withHost(step, h);
      step.fx.toModels.push({ id: w.id, event: { type: 'LOAD_REQUESTED', now } });
      step.fx.commands.push({ type: 'LOAD', id: w.id, model, host: hostName, evict, decision: seq });
      return 'loaded';
    }
  }
}

/** A refusal before any plan was made still carries the fields replay expects (an empty plan). */
function noPlan(step: Step, hostName: string, f: ModelFacts | undefined) {
  const host = step.ctx.hosts[hostName];
  return {
    plan: { action: 'refuse' as const, reason: 'not planned' },
    inputs: {
      ledger: host
        ? planningLedger(host, new Set(step.ctx.pinned), () => undefined)
        : { budgetGb: 0, maxLoadedModels: 0, entries: {} },
      sizeGb: f?.needGb ?? 0,
      displaceWarmSet: false,
      evictionPolicy: step.ctx.evictionPolicy,
    },
  };
}

/** A new want: planned at once; queued when busy models are in the way. */
export function wantLoad(step: Step, w: WantInput, now: number, facts: FactsOf): void {
  const outcome = attemptWant(step, w, now, facts, false);
  if (outcome !== 'queued' && outcome !== 'blocked') return;
  // One queued want per model and requester: a request asking twice (a retry) is still one want.
  const exists = step.ctx.wants.some(
    (q) => q.id === w.id && q.mode === w.mode && q.requestId === w.requestId,
  );
  if (exists) return;
  const want: Want = {
    id: w.id,
    mode: w.mode,
    urgency: w.urgency,
    at: now,
    until: w.until,
    ...(w.requestId && { requestId: w.requestId }),
    ...(w.force && { force: true }),
    ...(w.interactiveBusy && { interactiveBusy: true }),
  };
  step.ctx = { ...step.ctx, wants: [...step.ctx.wants, want] };
}

/**
 * Re-plans the wants queued for `hostName` (all hosts when undefined), best first, after something freed
 * room or time passed: expired wants are dropped with a decision, satisfied ones silently, refused ones with
 * their refusal; the rest stay queued. Then brings back warm-set models that are not loaded.
 */
export function replan(step: Step, hostName: string | undefined, now: number, facts: FactsOf): void {
  const mine = (w: Want) => hostName === undefined || splitId(w.id).host === hostName;
  const queue = step.ctx.wants.filter(mine).sort((a, b) => rank(a) - rank(b) || a.at - b.at);
  const keep = step.ctx.wants.filter((w) => !mine(w));
  for (const w of queue) {
    if (now > w.until) {
      const { host, model } = splitId(w.id);
      decide(step, {
        kind: 'want_expired',
        at: now,
        host,
        model,
        ...(w.requestId && { request_id: w.requestId }),
        reason: `gave up waiting for room for ${model} (${w.mode}${w.requestId ? '' : ''})`,
      });
      continue;
    }
    const outcome = attemptWant(step, w, now, facts, true);
    if (outcome === 'queued' || outcome === 'blocked') keep.push(w);
  }
  step.ctx = { ...step.ctx, wants: keep };
  restoreWarmSet(step, hostName, now, facts);
}

/**
 * Warm-set models that are neither loaded nor loading, on hosts that answer, with circuits that let
 * traffic through, are wanted again (they were displaced by a giant, evicted behind our back, or lost in
 * a host restart). A warm want never displaces another warm model.
 */
export function restoreWarmSet(step: Step, hostName: string | undefined, now: number, facts: FactsOf): void {
  for (const id of step.ctx.pinned) {
    const { host: h, model } = splitId(id);
    if (hostName !== undefined && h !== hostName) continue;
    const host = step.ctx.hosts[h];
    const f = facts(id);
    if (!host || !f || host.health.status === 'down' || host.ledger[model]) continue;
    if (f.state === 'missing' || f.state === 'open') continue;
    if (step.ctx.wants.some((w) => w.id === id && w.mode === 'warm')) continue;
    wantLoad(
      step,
      { id, mode: 'warm', urgency: 'interactive', until: now + step.ctx.loadTimeoutMs },
      now,
      facts,
    );
  }
}
