import type { CircuitView, HostView, ModelView, StatusView } from '../manager/status-view.ts';
import { textTable } from './text-table.ts';

/**
 * Fields a newer service may add; rendered when present, so this table works against older and newer
 * services alike (it is read over HTTP, never imported from the running code).
 */
type ModelRow = ModelView & { latency_p50_ms?: number | null; vram_gb?: number | null };
type HostRow = HostView;
export type StatusDocument = Omit<StatusView, 'models' | 'hosts'> & { models: ModelRow[]; hosts: HostRow[] };

export interface TableOptions {
  /** Where the status came from, shown in the title line. */
  url: string;
  /** Epoch ms for "ago" columns. */
  now: number;
  /** ANSI colours (a terminal that wants them). */
  color: boolean;
  /** How many decisions to list (newest first). */
  decisions: number;
}

/** Models that hold or take VRAM first, then the rest; by name within each group. */
const STATE_ORDER = ['loaded', 'degraded', 'loading', 'halfOpen', 'open', 'missing', 'unloading', 'unloaded'];

const COLOURS: Record<string, number> = {
  loaded: 32,
  degraded: 33,
  loading: 36,
  halfOpen: 33,
  half_open: 33,
  open: 31,
  missing: 35,
  down: 31,
  unreachable: 31,
};

/** `rmm status`: one line per model, one per host, then the last decisions that were not probes. */
export function renderStatusTable(status: StatusDocument, opts: TableOptions): string {
  const paint = (text: string, key: string) => {
    const code = COLOURS[key];
    return opts.color && code ? `\u001b[${code}m${text}\u001b[0m` : text;
  };
  const loaded = status.models.filter((m) => m.state === 'loaded' || m.state === 'degraded').length;
  const title =
    `rmm at ${opts.url}   backend ${status.backend}   up ${age(status.uptime_s * 1000)}   ` +
    `${loaded}/${status.models.length} models loaded`;
  const sections = [title];
  if (status.backend === 'simulated')
    sections.push('(answers come from the built-in simulator, not from real models)');
  const shared = sharedLine(status.shared_state);
  if (shared)
    sections.push(
      paint(shared, status.shared_state?.mode === 'redis' && status.shared_state.fallback ? 'down' : ''),
    );
  sections.push('', modelsTable(status, opts, paint), '', hostsTable(status, paint), '');
  sections.push(...decisionsSection(status, opts));
  return `${sections.join('\n')}\n`;
}

function modelsTable(
  status: StatusDocument,
  opts: TableOptions,
  paint: (text: string, key: string) => string,
): string {
  const circuits = new Map(status.circuits.map((c) => [c.id, c]));
  const resident = residentModels(status.hosts);
  const hasP50 = status.models.some((m) => m.latency_p50_ms !== undefined);
  const rows = [...status.models]
    .sort(
      (a, b) => rank(a.state) - rank(b.state) || a.name.localeCompare(b.name) || a.host.localeCompare(b.host),
    )
    .map((m) => {
      const latency = hasP50 ? m.latency_p50_ms : m.latency_ewma_ms;
      return [
        m.name,
        m.host,
        paint(m.state, m.state),
        circuitText(circuits.get(m.id), opts.now, paint),
        vramText(m, resident.get(`${m.host}\u0000${m.name}`)),
        String(m.in_flight),
        lastUsedText(m, opts.now),
        latency === null || latency === undefined ? '-' : `${Math.round(latency)}ms`,
      ];
    });
  const headers = [
    'MODEL',
    'HOST',
    'STATE',
    'CIRCUIT',
    'VRAM',
    'IN FLIGHT',
    'LAST USED',
    hasP50 ? 'P50' : 'EWMA',
  ];
  return rows.length ? textTable(headers, rows) : 'No models configured.';
}

function hostsTable(status: StatusDocument, paint: (text: string, key: string) => string): string {
  const rows = status.hosts.map((h) => {
    // Older services (before the host breaker) report only whether the host answered.
    const health: string = h.health?.status ?? (h.reachable ? 'up' : 'unreachable');
    const down = health === 'down' && h.health?.since ? ` since ${h.health.since.slice(11, 19)}Z` : '';
    const share = h.vram_budget_gb > 0 ? Math.round((h.vram_used_gb / h.vram_budget_gb) * 100) : 0;
    return [
      h.name,
      h.url,
      h.backend,
      paint(health, health) + down,
      `${gb(h.vram_used_gb)}/${gb(h.vram_budget_gb)} GB (${share}%)`,
      h.loaded.join(', ') || '-',
      h.loading.join(', ') || '-',
    ];
  });
  return textTable(['HOST', 'URL', 'BACKEND', 'HEALTH', 'VRAM', 'LOADED', 'LOADING'], rows);
}

function decisionsSection(status: StatusDocument, opts: TableOptions): string[] {
  const all = status.recent_decisions ?? [];
  const probes = all.filter((d) => d.kind === 'probe').length;
  const shown = all.filter((d) => d.kind !== 'probe').slice(0, opts.decisions);
  const note = probes ? `, ${probes} probe${probes === 1 ? '' : 's'} not shown` : '';
  const head = `RECENT DECISIONS (newest first${note})`;
  if (shown.length === 0) return [head, 'none yet'];
  const rows = shown.map((d) => [
    age(opts.now - Date.parse(d.at)),
    d.kind,
    d.message + (d.request_id ? `  [${d.request_id.slice(0, 8)}]` : ''),
  ]);
  return [head, textTable(['AGE', 'KIND', 'WHAT'], rows)];
}

function circuitText(
  c: CircuitView | undefined,
  now: number,
  paint: (text: string, key: string) => string,
): string {
  if (!c) return '-';
  let text = c.state === 'half_open' ? 'half-open' : c.state;
  if (c.state === 'open' && c.retry_at) {
    const wait = Date.parse(c.retry_at) - now;
    text += wait > 0 ? ` (retry in ${age(wait)})` : ' (retry due)';
  } else if (c.failure_count > 0) {
    text += ` (${c.failure_count} failed)`;
  }
  return paint(text, c.state);
}

/** host + NUL + model → 'loaded' | 'loading', from each host's ledger lists. */
function residentModels(hosts: HostRow[]): Map<string, 'loaded' | 'loading'> {
  const out = new Map<string, 'loaded' | 'loading'>();
  for (const h of hosts) {
    for (const name of h.loaded) out.set(`${h.name}\u0000${name}`, 'loaded');
    for (const name of h.loading) out.set(`${h.name}\u0000${name}`, 'loading');
  }
  return out;
}

/** The model's VRAM by the ledger when the service reports it; else its size while it is resident. */
function vramText(m: ModelRow, resident: 'loaded' | 'loading' | undefined): string {
  if (typeof m.vram_gb === 'number') return m.vram_gb > 0 ? `${gb(m.vram_gb)} GB` : '-';
  if (!resident) return '-';
  return `${gb(m.size_gb)} GB${resident === 'loading' ? ' (loading)' : ''}`;
}

/** Probes measure latency without using a model: say so rather than "never" beside latency figures. */
function lastUsedText(m: ModelRow, now: number): string {
  if (m.last_used) return `${age(now - Date.parse(m.last_used))} ago`;
  return m.probe_latency_ms !== null && m.probe_latency_ms !== undefined ? 'probes only' : 'never';
}

function rank(state: string): number {
  const i = STATE_ORDER.indexOf(state);
  return i < 0 ? STATE_ORDER.length : i;
}

function gb(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Compact durations as kubectl prints ages: 45s, 3m12s, 2h5m, 3d. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Replicas sharing the fleet: this one's id, Redis, and who plans each host (nothing when alone). */
function sharedLine(shared: StatusDocument['shared_state'] | undefined): string | null {
  if (shared?.mode !== 'redis') return null;
  const planners = Object.entries(shared.planners)
    .map(([host, p]) => `${host} planned by ${p.this_replica ? 'this replica' : (p.replica ?? '?')}`)
    .join(', ');
  const redis = shared.redis.connected
    ? 'Redis connected'
    : `Redis unreachable since ${shared.redis.since}: planning alone`;
  return `replica ${shared.replica}   ${redis}   ${planners}`;
}
