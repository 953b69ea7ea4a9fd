// The dashboard's only script: reads the status stream and renders it. No framework, no build step.
// Text always goes in through textContent, never innerHTML: model names and decision messages are data.

const EVENTS_URL = '/api/echo/resilient/events';
const KEY_STORAGE = 'rmm-api-key';
// The server sends a heartbeat every 15 s; three missed ones mean the stream is dead even if TCP says not.
const STALE_AFTER_MS = 45_000;
const MAX_DECISIONS = 40;
// Whether the reader has unfolded the probe groups in the decision list.
let probeGroupsOpen = false;

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

const $ = (id) => document.getElementById(id);

/** Builds an element; `attrs` keys starting with "data-"/"aria-" or "role" become attributes. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function stateClass(state) {
  return Object.hasOwn(STATE_LABELS, state) ? `state-${state}` : 'state-unknown';
}

function stateBadge(state) {
  const label = STATE_LABELS[state] ?? String(state);
  return el('span', { class: `state ${stateClass(state)}`, 'data-state': state }, label);
}

function gb(value) {
  if (!Number.isFinite(value)) return '–';
  return Number.isInteger(value) || value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function ms(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function duration(totalSeconds) {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 90) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} days`;
}

/** A time that the ticker keeps current: "12 s ago" or "in 40 s". */
function relativeTime(iso, mode) {
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

function updateRelative(node, now) {
  const at = Date.parse(node.getAttribute('datetime'));
  if (!Number.isFinite(at)) return;
  const seconds = (now - at) / 1000;
  if (node.dataset.mode === 'until') node.textContent = seconds >= 0 ? 'now' : `in ${duration(-seconds)}`;
  else node.textContent = seconds < 2 ? 'just now' : `${duration(seconds)} ago`;
}

// ---------------------------------------------------------------- rendering

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

function renderHeader(status) {
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

function updateUptime(now) {
  const node = $('uptime');
  const started = Date.parse(node.dataset.startedAt ?? '');
  const seconds = Number.isFinite(started) ? (now - started) / 1000 : Number(node.dataset.uptime);
  node.textContent = Number.isFinite(seconds) ? `· up ${duration(seconds)}` : '';
}

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

function renderModels(status) {
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

function renderHosts(status) {
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

function renderInFlight(status) {
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

function renderDecisions(status) {
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

function render(status) {
  renderHeader(status);
  renderModels(status);
  renderHosts(status);
  renderInFlight(status);
  renderDecisions(status);
  document.body.dataset.updatedAt = String(Date.now());
}

// ---------------------------------------------------------------- connection

const conn = { controller: null, lastActivity: 0, retryMs: 1000, retryTimer: 0 };

function setConnection(kind, text) {
  const node = $('conn');
  node.className = `conn conn-${kind}`;
  node.textContent = text;
  document.body.dataset.connection = kind;
}

function showFeedError(message) {
  const node = $('feed-error');
  node.hidden = !message;
  node.textContent = message ? `Status unavailable: ${message}` : '';
}

function handleFrame(frame) {
  let event = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join('\n'));
  if (event === 'feed-error') {
    showFeedError(payload.message ?? 'unknown error');
    return;
  }
  showFeedError('');
  render(payload);
}

function scheduleReconnect() {
  clearTimeout(conn.retryTimer);
  const wait = conn.retryMs;
  conn.retryMs = Math.min(conn.retryMs * 2, 15_000);
  setConnection('reconnecting', `Reconnecting in ${Math.round(wait / 1000)} s…`);
  conn.retryTimer = setTimeout(connect, wait);
}

async function connect() {
  conn.controller?.abort();
  const controller = new AbortController();
  conn.controller = controller;
  const headers = { accept: 'text/event-stream' };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.authorization = `Bearer ${key}`;
  if (document.body.dataset.connection !== 'reconnecting') setConnection('connecting', 'Connecting…');
  try {
    // fetch, not EventSource: EventSource cannot send the Authorization header.
    const res = await fetch(EVENTS_URL, { headers, signal: controller.signal, cache: 'no-store' });
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem(KEY_STORAGE);
      $('auth').hidden = false;
      setConnection('auth', 'API key needed');
      return;
    }
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    $('auth').hidden = true;
    conn.retryMs = 1000;
    conn.lastActivity = Date.now();
    setConnection('live', 'Live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      conn.lastActivity = Date.now();
      buffer += value.replace(/\r\n?/g, '\n');
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        handleFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (err) {
    if (controller !== conn.controller) return; // replaced by a newer connection on purpose
    console.warn('dashboard stream failed', err);
  }
  if (controller === conn.controller) scheduleReconnect();
}

function takeKeyFromUrl() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(KEY_STORAGE, decodeURIComponent(match[1]));
  // Keep the key out of the address bar, history and screenshots.
  history.replaceState(null, '', location.pathname + location.search);
}

function start() {
  takeKeyFromUrl();
  $('auth').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('auth-key').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('auth-key').value = '';
    connect();
  });
  setInterval(() => {
    const now = Date.now();
    updateUptime(now);
    for (const node of document.querySelectorAll('time.rel')) updateRelative(node, now);
    if (document.body.dataset.connection === 'live' && now - conn.lastActivity > STALE_AFTER_MS) {
      conn.controller?.abort();
      conn.controller = null;
      scheduleReconnect();
    }
  }, 1000);
  connect();
}

start();
