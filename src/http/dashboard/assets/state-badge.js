// A model's state as a coloured badge (models table and in-flight list), and the class that colours it.
import { el } from './dom.js';

const STATE_LABELS = {
  loaded: 'Loaded',
  loading: 'Loading',
  unloading: 'Unloading',
  unloaded: 'Unloaded',
  degraded: 'Degraded',
  halfOpen: 'Half-open',
  open: 'Circuit open',
  missing: 'Missing',
};

export function stateClass(state) {
  return Object.hasOwn(STATE_LABELS, state) ? `state-${state}` : 'state-unknown';
}

export function stateBadge(state) {
  const label = STATE_LABELS[state] ?? String(state);
  return el('span', { class: `state ${stateClass(state)}`, 'data-state': state }, label);
}
