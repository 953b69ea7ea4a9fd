import type { Urgency } from '../config/schema.ts';
import { type DemandState, decayed } from '../policy/demand.ts';
import { isLoading, isResident } from '../policy/estimate.ts';
import { type SwapVerdict, swapVerdict } from '../policy/residency.ts';
import type { Chains } from './chains.ts';
import type { Fleet } from './fleet.ts';
import type { Loader } from './loader.ts';

/**
 * Speculative loads (selection's "for the requests that follow" hint, predictive preloads) are asked for
 * only when the model is worth what loading it would evict: see src/policy/residency.ts.
 */
export interface SpeculationDeps {
  fleet: Fleet;
  loader: Loader;
  chains: Chains;
  demand: DemandState;
  now: number;
}

/** The verdict on loading the model of actor `id` now; null when it would evict nothing. */
export function speculationVerdict(deps: Omit<SpeculationDeps, 'loader'>, id: string): SwapVerdict | null {
  const view = deps.fleet.view(id);
  if (!view || view.wouldEvict.length === 0) return null;
  const { demand: state, now } = deps;
  const demand: Record<string, number> = {};
  for (const [task, d] of Object.entries(state.tasks)) demand[task] = decayed(d, state.halfLifeS, now);
  const residents = deps.fleet
    .candidates()
    .filter((c) => c.host === view.host && (isResident(c) || isLoading(c)))
    .map((c) => c.model);
  return swapVerdict({
    newcomer: view.model,
    victims: view.wouldEvict,
    residents,
    demand,
    chainOf: (task) => deps.chains.get(task),
  });
}

/** Why not to load the model of actor `id` speculatively now; undefined when it is worth it. */
export function speculationDeclined(deps: Omit<SpeculationDeps, 'loader'>, id: string): string | undefined {
  const verdict = speculationVerdict(deps, id);
  return verdict && !verdict.worth ? verdict.reason : undefined;
}

/**
 * Asks for a speculative load of actor `id` when it is worth it. Returns why it declined; undefined when
 * the load was asked for. A hint: it never takes the warm set's room.
 */
export function speculate(
  deps: SpeculationDeps,
  id: string,
  want: { urgency?: Urgency; requestId?: string } = {},
): string | undefined {
  const declined = speculationDeclined(deps, id);
  if (declined === undefined) deps.loader.want(id, { mode: 'predicted', ...want }).catch(() => {});
  return declined;
}
