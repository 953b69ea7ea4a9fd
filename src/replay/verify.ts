import type { PlanDecision } from '../../machines/supervisor/types.ts';
import { type EvictionPolicyName, planFor } from '../policy/planner.ts';
import type { LoadPlan } from '../policy/vram-ledger.ts';
import type { SelectionRecord } from '../runtime/journey-deps.ts';

/** What the journal holds as a decision: one of the supervisor's, or a request's selection record. */
export type JournaledDecision = PlanDecision | SelectionRecord;

export function isPlanDecision(d: JournaledDecision): d is PlanDecision {
  return d.kind !== 'selection';
}

/**
 * Checks the decisions of a journal, first difference first:
 * 1. the replayed supervisor emitted the same decisions, in the same order, as the live one journaled
 *    (same kind, model, host and, for loads, the same victims) — replay reproduces the decision stream;
 * 2. each journaled load, wait and refusal, recomputed by today's policy code from its journaled inputs,
 *    gives the same plan — so a change to the planner or the eviction order that would have decided
 *    otherwise is caught on a real journal. `policy` recomputes under another eviction order instead.
 * Returns null when everything agrees.
 */
export function verifyDecisions(
  journaled: readonly JournaledDecision[],
  replayed: readonly PlanDecision[],
  policy?: EvictionPolicyName,
): string | null {
  const live = journaled.filter(isPlanDecision);
  for (let i = 0; i < Math.max(live.length, replayed.length); i++) {
    const a = live[i];
    const b = replayed[i];
    if (!a || !b) {
      return `decision ${i + 1}: the journal has ${a ? describe(a) : 'nothing'} but replay decided ${b ? describe(b) : 'nothing'}`;
    }
    if (describe(a) !== describe(b))
      return `decision #${a.seq}: the journal has ${describe(a)} but replay decided ${describe(b)}`;
  }
  for (const d of live) {
    if (d.kind !== 'load' && d.kind !== 'wait' && d.kind !== 'refuse') continue;
    if (d.plan.reason === 'not planned') continue;
    const inputs = policy ? { ...d.inputs, evictionPolicy: policy } : d.inputs;
    const again = planFor(d.model, inputs);
    if (planKey(again) !== planKey(d.plan)) {
      return `decision #${d.seq} (${d.kind} ${d.model} on ${d.host}): the journal planned ${planKey(d.plan)}, the policy (${inputs.evictionPolicy}) now plans ${planKey(again)}`;
    }
  }
  return null;
}

function describe(d: PlanDecision): string {
  const victims = d.kind === 'load' && 'evict' in d.plan ? ` evicting [${d.plan.evict.join(', ')}]` : '';
  return `${d.kind} ${d.model}@${d.host}${victims}`;
}

export function planKey(p: LoadPlan): string {
  switch (p.action) {
    case 'load':
    case 'partial_offload':
      return `${p.action} evicting [${p.evict.join(', ')}] into ${Math.round(p.vramGb * 1000) / 1000} GB`;
    case 'wait':
      return `wait for [${p.blockers.join(', ')}]`;
    default:
      return p.action;
  }
}
