// The recent decisions list, newest first, with runs of health probes folded into one line.
import { $, el } from './dom.js';

const MAX_DECISIONS = 40;
// Whether the reader has unfolded the probe groups in the decision list.
let probeGroupsOpen = false;

/** UUID request ids would take a third of the row: show their start, the whole id on hover. */
function requestIdBadge(id) {
  const short = id.length > 12 ? `${id.slice(0, 8)}…` : id;
  return el('code', { class: 'req', title: `request id ${id}` }, short);
}

function decisionItem(d) {
  const at = new Date(d.at);
  return el(
    'li',
    { 'data-kind': d.kind },
    el('time', { datetime: d.at, title: at.toLocaleString() }, at.toLocaleTimeString([], { hour12: false })),
    el('span', { class: `kind kind-${/^[a-z_]+$/.test(d.kind) ? d.kind : 'other'}` }, d.kind),
    el('span', { class: 'message' }, d.message),
    d.request_id ? requestIdBadge(d.request_id) : null,
  );
}

/**
 * Health probes run on a timer for every loaded model: listed one by one they would bury the decisions
 * that matter. Consecutive probes fold into one line (the latest, and how many), opened on demand.
 */
function probeGroup(probes) {
  const latest = probes[0];
  const summary = el(
    'summary',
    {},
    el(
      'time',
      { datetime: latest.at, title: new Date(latest.at).toLocaleString() },
      new Date(latest.at).toLocaleTimeString([], { hour12: false }),
    ),
    el('span', { class: 'kind kind-probe' }, 'probe'),
    el(
      'span',
      { class: 'message' },
      probes.length === 1 ? latest.message : `${probes.length} health probes; latest: ${latest.message}`,
    ),
  );
  const details = el('details', {}, summary, el('ol', { class: 'probe-list' }, ...probes.map(decisionItem)));
  // The list is rebuilt on every status: a group the reader opened stays open.
  details.open = probeGroupsOpen;
  details.addEventListener('toggle', () => {
    probeGroupsOpen = details.open;
  });
  return el('li', { 'data-kind': 'probe-group', 'data-count': probes.length }, details);
}

export function renderDecisions(status) {
  const items = [];
  let probes = [];
  const flush = () => {
    if (probes.length) items.push(probeGroup(probes));
    probes = [];
  };
  for (const d of status.recent_decisions ?? []) {
    if (d.kind === 'probe') {
      probes.push(d);
      continue;
    }
    flush();
    items.push(decisionItem(d));
  }
  flush();
  if (items.length === 0) items.push(el('li', { class: 'muted' }, 'No decisions yet.'));
  $('decisions').replaceChildren(...items.slice(0, MAX_DECISIONS));
}
