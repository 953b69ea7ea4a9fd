import type { Urgency } from '../config/schema.ts';
import { EVICTION_POLICIES } from './eviction.ts';
import { type HostLedger, type LoadPlan, planLoad } from './vram-ledger.ts';

/**
 * The supervisor's load planning rules, pure: who may take the warm set's room, and the one call that turns
 * a host's ledger and a wanted model into a plan. The supervisor machine calls `planFor` inside its
 * transitions and journals the inputs with the decision, so `rmm replay --verify` can call it again on the
 * journaled inputs and compare.
 */

/** Who wants a model loaded. */
export type WantMode = 'request' | 'preload' | 'warm' | 'predicted';

export type EvictionPolicyName = keyof typeof EVICTION_POLICIES;

export const EVICTION_POLICY_NAMES = Object.keys(EVICTION_POLICIES) as EvictionPolicyName[];

/** Everything a load plan depends on, as plain JSON. */
export interface PlanInputs {
  ledger: HostLedger;
  sizeGb: number;
  displaceWarmSet: boolean;
  evictionPolicy: EvictionPolicyName;
}

/**
 * May this want take the warm set's room (a model that cannot fit beside the warm set)?
 * - an interactive request never: the warm set is what answers interactive requests at once, and a giant
 *   loaded for one would answer it after a long load anyway (it is served late by what is loaded instead);
 * - background and batch requests may, but only in a quiet spell: not while interactive requests have been
 *   arriving (within `selection.giant_quiet_s`). A model that cannot fit beside the warm set takes the whole
 *   card for minutes (a slow load, then a partially offloaded answer), and every interactive request that
 *   arrives meanwhile misses its deadline: on the seed's day, 34 of 35 did. Held back, the work waits for its
 *   load timeout and then falls back to a model that fits (batch deadlines allow it);
 * - an explicit preload only with `force` (it says what it would evict otherwise);
 * - the warm set itself and predictive preloads never.
 */
export function mayDisplaceWarmSet(
  mode: WantMode,
  urgency: Urgency,
  force: boolean,
  interactiveBusy = false,
): boolean {
  switch (mode) {
    case 'request':
      return urgency !== 'interactive' && !interactiveBusy;
    case 'preload':
      return force;
    case 'warm':
    case 'predicted':
      return false;
  }
}

/** The plan for loading `model` given these inputs (the eviction policy is named in them). */
export function planFor(model: string, inputs: PlanInputs): LoadPlan {
  return planLoad(inputs.ledger, model, inputs.sizeGb, {
    policy: EVICTION_POLICIES[inputs.evictionPolicy],
    displaceWarmSet: inputs.displaceWarmSet,
  });
}
