// The models table (one row per model, grouped by host when there are several) and the legend's counts.
import { $, el } from './dom.js';
import { gb, ms } from './format.js';
import { relativeTime } from './relative-time.js';
import { stateBadge, stateClass } from './state-badge.js';

// Circuit views spell half-open `half_open` (model states say `halfOpen`): accept both.
const CIRCUIT_LABELS = {
  closed: 'Closed',
  open: 'Open',
  halfOpen: 'Half-open',
  half_open: 'Half-open',
  missing: 'Missing',
};
const CIRCUIT_CLASSES = {
  closed: 'closed',
  open: 'open',
  halfOpen: 'halfOpen',
  half_open: 'halfOpen',
  missing: 'missing',
};

function circuitFor(model, circuits) {
  return (
    circuits.find((c) => c.id === model.id) ??
    circuits.find((c) => c.model === model.name && c.host === model.host)
  );
}

function circuitCell(circuit) {
  if (!circuit) return el('td', {}, el('span', { class: 'muted' }, '–'));
  const label = CIRCUIT_LABELS[circuit.state] ?? circuit.state;
  const known = Object.hasOwn(CIRCUIT_CLASSES, circuit.state) ? CIRCUIT_CLASSES[circuit.state] : 'unknown';
  const retry = circuit.retry_at && Date.parse(circuit.retry_at) > Date.now();
  return el(
    'td',
    {},
    el('span', { class: `circuit circuit-${known}`, 'data-circuit': circuit.state }, label),
    retry ? el('span', { class: 'retry' }, ' · retry ', relativeTime(circuit.retry_at, 'until')) : null,
    // An open or missing circuit takes no traffic by definition; say it only when it is a surprise.
    circuit.available || known === 'open' || known === 'missing'
      ? null
      : el('span', { class: 'muted' }, ' · no traffic'),
  );
}

/** Probes measure latency without serving anyone: say so rather than "never" beside latency figures. */
function lastUsed(model) {
  if (model.last_used || model.probe_latency_ms === null || model.probe_latency_ms === undefined)
    return relativeTime(model.last_used, 'ago');
  return el(
    'span',
    { class: 'muted', title: 'No request yet: the latency figures come from health probes' },
    'probes only',
  );
}

export function renderModels(status) {
  const body = $('models').tBodies[0];
  // With several hosts the table is grouped by host: a heading row per host, its models under it.
  const grouped = new Set(status.models.map((m) => m.host)).size > 1;
  const models = grouped
    ? [...status.models].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
    : status.models;
  const rows = [];
  let lastHost;
  for (const m of models) {
    if (grouped && m.host !== lastHost) {
      lastHost = m.host;
      const h = (status.hosts ?? []).find((x) => x.name === m.host);
      const health = h?.health?.status ?? '';
      rows.push(
        el(
          'tr',
          { class: 'host-group', 'data-host-group': m.host },
          el('th', { colspan: 10, scope: 'rowgroup' }, `${m.host}${health ? ` · ${health}` : ''}`),
        ),
      );
    }
    rows.push(modelRow(m, status));
  }
  renderLegendCounts(status.models);
  if (rows.length === 0)
    rows.push(el('tr', { class: 'placeholder' }, el('td', { colspan: 10 }, 'No models configured.')));
  body.replaceChildren(...rows);
}

function modelRow(m, status) {
  const circuit = circuitFor(m, status.circuits ?? []);
  return el(
    'tr',
    {
      'data-model-id': m.id,
      'data-model': m.name,
      'data-state': m.state,
      class: `row-${stateClass(m.state)}`,
    },
    el('th', { scope: 'row' }, m.name),
    el('td', {}, m.host),
    el('td', {}, stateBadge(m.state)),
    circuitCell(circuit),
    el('td', { class: 'num' }, circuit ? circuit.failure_count : '–'),
    el('td', { class: 'num' }, circuit ? circuit.times_opened : '–'),
    el('td', { class: `num ${m.in_flight > 0 ? 'busy' : ''}` }, m.in_flight),
    el('td', { class: 'num' }, `${ms(m.latency_ewma_ms)} / ${ms(m.latency_p95_ms)}`),
    el('td', { class: 'num' }, `${gb(m.size_gb)} GB`),
    el('td', {}, lastUsed(m)),
  );
}

/** The legend doubles as a summary: how many models are in each state. */
function renderLegendCounts(models) {
  for (const node of document.querySelectorAll('.legend [data-count-for]')) {
    const count = models.filter((m) => m.state === node.dataset.countFor).length;
    node.textContent = String(count);
    node.closest('li').classList.toggle('none', count === 0);
  }
}
