import type { PlanDecision } from '../../machines/supervisor/types.ts';
import type { Config } from '../config/schema.ts';
import { RmmError } from '../manager/errors.ts';
import type { PreloadResult } from '../manager/preload-result.ts';
import { type DemandState, predictPreloads } from '../policy/demand.ts';
import { planFor } from '../policy/planner.ts';
import type { Clock } from '../time/clock.ts';
import type { Chains } from './chains.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';
import type { Loader } from './loader.ts';
import { speculate } from './speculative-load.ts';

/**
 * Explicit and predictive preloads. Both are wants the supervisor plans like any other; neither takes the
 * warm set's room, except an explicit preload with `force`.
 */

/** The model's actor to preload: where it is loaded, else where it fits now, else the first host with it. */
export function bestHostFor(fleet: Fleet, model: string): string | undefined {
  const ids = fleet.ids().filter((id) => fleet.view(id)?.model === model);
  return (
    ids.find((id) => fleet.view(id)?.resident) ??
    ids.find(
      (id) => fleet.view(id)?.acceptsTraffic && fleet.view(id)?.hostUp !== false && fleet.view(id)?.fitsNow,
    ) ??
    ids.find((id) => fleet.view(id)?.acceptsTraffic && fleet.view(id)?.hostUp !== false) ??
    ids[0]
  );
}

export async function preload(
  fleet: Fleet,
  loader: Loader,
  id: string,
  force: boolean,
): Promise<PreloadResult> {
  const view = fleet.view(id)!;
  const name = view.model;
  if (view.resident) {
    return {
      model_name: name,
      host: view.host,
      status: 'already_loaded',
      evicted: [],
      reason: `${name} is already loaded on ${view.host}`,
    };
  }
  try {
    const outcome = await loader.want(id, { mode: 'preload', ...(force && { force: true }) });
    return {
      model_name: name,
      host: view.host,
      status: outcome.alreadyLoaded ? 'already_loaded' : 'loaded',
      evicted: outcome.evicted,
      reason: outcome.evicted.length
        ? `evicted ${outcome.evicted.join(', ')} (lowest value: demand × load cost ÷ size)`
        : 'it fit in free VRAM',
    };
  } catch (err) {
    const decision =
      err instanceof RmmError ? (err.details['decision'] as PlanDecision | undefined) : undefined;
    const loose =
      decision?.kind === 'refuse' && !force
        ? planFor(decision.model, { ...decision.inputs, displaceWarmSet: true })
        : undefined;
    if (decision?.kind === 'refuse' && loose && loose.action !== 'refuse') {
      // Refused only because of the warm set. A preload is advisory: declining to flush the warm set for
      // it is policy, not an error. Say what it would take and how to insist.
      const evict =
        loose.action === 'load' || loose.action === 'partial_offload'
          ? loose.evict
          : Object.entries(decision.inputs.ledger.entries)
              .filter(([, e]) => e.pinned && !e.foreign)
              .map(([m]) => m);
      const busy = loose.action === 'wait' ? ` (busy now: ${loose.blockers.join(', ')})` : '';
      return {
        model_name: name,
        host: view.host,
        status: 'refused',
        evicted: [],
        would_evict: evict,
        reason: `${name} does not fit beside the warm set on ${view.host}: loading it would evict ${evict.join(', ')}${busy}. Send "force": true to do it anyway.`,
      };
    }
    // The decision behind a refusal is for the journal, not for the caller's error body.
    if (err instanceof RmmError && decision)
      throw new RmmError(err.code, err.message, { reason: err.details['reason'], host: view.host });
    throw err;
  }
}

/** One round of predictive preloading: what demand by hour and task suggests, never over the warm set. */
export function preloadPredicted(
  config: Readonly<Config>,
  fleet: Fleet,
  loader: Loader,
  decisions: DecisionLog,
  demand: DemandState,
  clock: Clock,
  chains: Chains,
): Array<{ model: string; reason: string }> {
  const loaded = fleet
    .candidates()
    .filter((c) => c.resident || c.loadingStartedAt !== null)
    .map((c) => c.model);
  const now = clock.now();
  const suggestions = predictPreloads(demand, now, config, { loaded });
  const taken: Array<{ model: string; reason: string }> = [];
  for (const s of suggestions) {
    const target = bestHostFor(fleet, s.model);
    if (!target) continue;
    const declined = speculate({ fleet, loader, chains, demand, now }, target);
    if (declined !== undefined) {
      decisions.record('preload', `no predictive preload of ${s.model} (${s.reason}): ${declined}`, {
        model: s.model,
      });
      continue;
    }
    decisions.record('preload', `predictive preload of ${s.model}: ${s.reason}`, { model: s.model });
    taken.push(s);
  }
  return taken;
}
