// The in-flight card: the models serving requests right now, busiest first, and the total.
import { $, el } from './dom.js';
import { stateBadge } from './state-badge.js';

export function renderInFlight(status) {
  const busy = status.models.filter((m) => m.in_flight > 0).sort((a, b) => b.in_flight - a.in_flight);
  const total = busy.reduce((sum, m) => sum + m.in_flight, 0);
  $('inflight-total').textContent = String(total);
  const items = busy.map((m) =>
    el(
      'li',
      { 'data-model-id': m.id },
      el('span', { class: 'inflight-count' }, m.in_flight),
      ` ${m.name} `,
      el('span', { class: 'muted' }, `on ${m.host}`),
      ' ',
      stateBadge(m.state),
    ),
  );
  if (items.length === 0) items.push(el('li', { class: 'muted' }, 'Nothing in flight.'));
  $('inflight').replaceChildren(...items);
}
