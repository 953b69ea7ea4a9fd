import type { ModelStateValue } from '../../machines/model/types.ts';
import type { StatusView } from '../manager/status-view.ts';
import type { GaugeHandle } from './metric-handles.ts';

/** Circuit state as a number, so one gauge can be graphed and alerted on: 0 closed, 1 half-open, 2 open. */
export const CIRCUIT_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Every lifecycle state of a model actor. `rmm_model_state` exports each of them for each model, 1 for the
 * current one and 0 for the others (the kube-state-metrics convention), so a series never vanishes when the
 * state changes and `rmm_model_state{state="open"} == 1` can be graphed and alerted on.
 */
export const MODEL_STATES = [
  'unloaded',
  'loading',
  'loaded',
  'degraded',
  'open',
  'halfOpen',
  'missing',
  'unloading',
] as const satisfies readonly ModelStateValue[];
// Fails to compile when the machine gains a state that is not listed above.
const everyStateListed: [Exclude<ModelStateValue, (typeof MODEL_STATES)[number]>] extends [never]
  ? true
  : never = true;
void everyStateListed;

/** Sizes are decimal gigabytes throughout (the simulator and /api/ps byte counts use 1e9). */
const GB = 1e9;

/** The gauges a status document fills (metrics.ts defines them; typed here so this file needs nothing else of it). */
export interface StatusGauges {
  circuitState: GaugeHandle<'model' | 'host'>;
  modelState: GaugeHandle<'model' | 'host' | 'state'>;
  vramUsedBytes: GaugeHandle<'host'>;
  vramBudgetBytes: GaugeHandle<'host'>;
  hostUp: GaugeHandle<'host'>;
  inFlight: GaugeHandle<'model'>;
}

/** What Metrics.observeStatus does (documented there). */
export function observeStatus(m: StatusGauges, status: StatusView): void {
  for (const c of status.circuits)
    m.circuitState.set({ model: c.model, host: c.host }, circuitValue(c.state, c.is_open));
  // Rebuilt whole at each scrape: every known state is written again, and a model that left a state this
  // build does not know loses that series.
  m.modelState.reset();
  const inFlight = new Map<string, number>();
  for (const model of status.models) {
    for (const state of MODEL_STATES)
      m.modelState.set({ model: model.name, host: model.host, state }, state === model.state ? 1 : 0);
    // A state this build does not know still shows while the model is in it.
    if (!(MODEL_STATES as readonly string[]).includes(model.state)) {
      m.modelState.set({ model: model.name, host: model.host, state: model.state }, 1);
    }
    inFlight.set(model.name, (inFlight.get(model.name) ?? 0) + model.in_flight);
  }
  for (const [model, n] of inFlight) m.inFlight.set({ model }, n);
  for (const host of status.hosts) {
    m.vramUsedBytes.set({ host: host.name }, Math.round(host.vram_used_gb * GB));
    m.vramBudgetBytes.set({ host: host.name }, Math.round(host.vram_budget_gb * GB));
    // The host breaker's verdict: a host not yet seen ('unknown') is not counted as down.
    m.hostUp.set({ host: host.name }, host.health.status !== 'down' ? 1 : 0);
  }
}

/** Maps the manager's circuit state names (several spellings are in use) to CIRCUIT_STATE_VALUE. */
export function circuitValue(state: string, isOpen: boolean): number {
  const s = state.toLowerCase().replace(/[-_ ]/g, '');
  if (s === 'halfopen') return CIRCUIT_STATE_VALUE.half_open;
  if (s === 'open') return CIRCUIT_STATE_VALUE.open;
  if (s === 'closed') return CIRCUIT_STATE_VALUE.closed;
  return isOpen ? CIRCUIT_STATE_VALUE.open : CIRCUIT_STATE_VALUE.closed;
}
