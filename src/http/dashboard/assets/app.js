// The dashboard's entry module: reads the status stream and renders it. No framework, no build step: the
// browser fetches each module this one imports from /dashboard/, and the server answers only for the file
// names listed in DASHBOARD_SCRIPTS (dashboard-assets.ts), so a new module must be added to that list too.
// Text always goes in through textContent, never innerHTML: model names and decision messages are data.
import { saveApiKey, takeKeyFromUrl } from './api-key.js';
import { $ } from './dom.js';
import { updateRelative } from './relative-time.js';
import { updateUptime } from './render-header.js';
import { connect, dropIfStale } from './status-stream.js';

function start() {
  takeKeyFromUrl();
  $('auth').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('auth-key').value.trim();
    if (!key) return;
    saveApiKey(key);
    $('auth-key').value = '';
    connect();
  });
  // One ticker for everything that ages between two statuses: the uptime, relative times, the stream's liveness.
  setInterval(() => {
    const now = Date.now();
    updateUptime(now);
    for (const node of document.querySelectorAll('time.rel')) updateRelative(node, now);
    dropIfStale(now);
  }, 1000);
  connect();
}

start();
