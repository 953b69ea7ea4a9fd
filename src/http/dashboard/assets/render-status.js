// One status snapshot onto the whole page: every card is rebuilt from it, nothing is patched in place.
import { renderDecisions } from './render-decisions.js';
import { renderHeader } from './render-header.js';
import { renderHosts } from './render-hosts.js';
import { renderInFlight } from './render-in-flight.js';
import { renderModels } from './render-models.js';

export function renderStatus(status) {
  renderHeader(status);
  renderModels(status);
  renderHosts(status);
  renderInFlight(status);
  renderDecisions(status);
  document.body.dataset.updatedAt = String(Date.now());
}
