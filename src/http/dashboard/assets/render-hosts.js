// The hosts card: per host, reachability, a VRAM meter against its budget, and the models on it.
import { $, el } from './dom.js';
import { gb } from './format.js';

export function renderHosts(status) {
  const items = status.hosts.map((h) => {
    const budget = h.vram_budget_gb;
    const used = h.vram_used_gb;
    const share = budget > 0 ? used / budget : 0;
    const percent = Math.round(share * 100);
    const fill = el('div', { class: 'vram-fill' });
    fill.style.width = `${Math.min(100, Math.max(0, share * 100)).toFixed(1)}%`;
    const level = share > 1 ? 'over' : share >= 0.85 ? 'high' : 'ok';
    const bar = el(
      'div',
      {
        class: `vram vram-${level}`,
        role: 'meter',
        'aria-label': `VRAM used on ${h.name}`,
        'aria-valuemin': 0,
        'aria-valuemax': budget,
        'aria-valuenow': Math.min(used, budget),
        'aria-valuetext': `${gb(used)} of ${gb(budget)} GB`,
        'data-used-gb': used,
        'data-budget-gb': budget,
      },
      fill,
    );
    const chips = [
      ...h.loaded.map((name) => el('li', { class: 'chip chip-loaded' }, name)),
      ...h.loading.map((name) => el('li', { class: 'chip chip-loading' }, `${name} (loading)`)),
    ];
    return el(
      'li',
      { class: 'host', 'data-host': h.name },
      el(
        'div',
        { class: 'host-head' },
        el('strong', {}, h.name),
        el('span', { class: 'muted url' }, h.url),
        el(
          'span',
          { class: `tag ${h.reachable ? 'tag-ok' : 'tag-bad'}` },
          h.reachable ? '● reachable' : '✕ unreachable',
        ),
        h.backend === 'simulated' ? el('span', { class: 'tag tag-sim' }, 'simulator') : null,
      ),
      bar,
      el(
        'p',
        { class: 'vram-text' },
        `${gb(used)} of ${gb(budget)} GB VRAM · ${percent} %`,
        share <= 1 ? el('span', { class: 'muted' }, ` · ${gb(budget - used)} GB free`) : null,
        share > 1 ? el('span', { class: 'over-note' }, ' · over budget: partial offload') : null,
      ),
      chips.length > 0
        ? el('ul', { class: 'chips', 'aria-label': `Models on ${h.name}` }, ...chips)
        : el('p', { class: 'muted' }, 'Nothing loaded.'),
    );
  });
  $('hosts').replaceChildren(...items);
}
