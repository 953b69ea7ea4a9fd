// The page header: backend badge, simulator banner, replica badge and the uptime the ticker keeps current.
import { $ } from './dom.js';
import { duration } from './format.js';

/** Replicas sharing the fleet: which one this page talks to, Redis, and who plans each host (hidden when alone). */
function renderReplica(shared) {
  const badge = $('replica');
  if (shared?.mode !== 'redis') {
    badge.hidden = true;
    return;
  }
  const planners = Object.entries(shared.planners ?? {})
    .map(([host, p]) => `${host} planned ${p.this_replica ? 'here' : `by ${p.replica ?? 'nobody yet'}`}`)
    .join(', ');
  const redis = shared.redis.connected ? 'Redis connected' : 'Redis unreachable: planning alone';
  badge.textContent = [`replica ${shared.replica}`, redis, planners].filter(Boolean).join(' · ');
  badge.className = `badge ${shared.redis.connected ? 'badge-replica' : 'badge-replica-alone'}`;
  badge.title = shared.redis.connected
    ? `Sharing circuits, estimates and plans with the other replicas through ${shared.redis.url}`
    : `Redis away since ${shared.redis.since}: this replica plans every host itself until it returns`;
  badge.hidden = false;
}

export function renderHeader(status) {
  const backend = $('backend');
  backend.textContent = `backend: ${status.backend}`;
  backend.className = `badge badge-${status.backend === 'simulated' ? 'simulated' : 'real'}`;
  $('sim-banner').hidden = status.backend !== 'simulated';
  renderReplica(status.shared_state);
  const uptime = $('uptime');
  uptime.dataset.startedAt = status.started_at ?? '';
  uptime.dataset.uptime = String(status.uptime_s ?? '');
  updateUptime(Date.now());
}

export function updateUptime(now) {
  const node = $('uptime');
  const started = Date.parse(node.dataset.startedAt ?? '');
  const seconds = Number.isFinite(started) ? (now - started) / 1000 : Number(node.dataset.uptime);
  node.textContent = Number.isFinite(seconds) ? `· up ${duration(seconds)}` : '';
}
