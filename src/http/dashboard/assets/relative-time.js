// Relative times ("12 s ago", "in 40 s") as <time class="rel"> elements that the ticker in app.js keeps current.
import { el } from './dom.js';
import { duration } from './format.js';

/** A time that the ticker keeps current: "12 s ago" or "in 40 s". */
export function relativeTime(iso, mode) {
  if (!iso) return el('span', { class: 'muted' }, mode === 'ago' ? 'never' : '–');
  const node = el('time', {
    class: 'rel',
    datetime: iso,
    'data-mode': mode,
    title: new Date(iso).toLocaleString(),
  });
  updateRelative(node, Date.now());
  return node;
}

export function updateRelative(node, now) {
  const at = Date.parse(node.getAttribute('datetime'));
  if (!Number.isFinite(at)) return;
  const seconds = (now - at) / 1000;
  if (node.dataset.mode === 'until') node.textContent = seconds >= 0 ? 'now' : `in ${duration(-seconds)}`;
  else node.textContent = seconds < 2 ? 'just now' : `${duration(seconds)} ago`;
}
