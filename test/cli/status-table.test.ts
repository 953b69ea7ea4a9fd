import { describe, expect, it } from 'vitest';
import { age, renderStatusTable, type StatusDocument } from '../../src/cli/status-table.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

function model(name: string, state: string, extra: Record<string, unknown> = {}) {
  return {
    id: `gpu/${name}`,
    name,
    host: 'gpu',
    state,
    size_gb: 2.5,
    load_time_s: 3,
    strengths: [],
    chains: [],
    in_flight: 0,
    latency_ewma_ms: null,
    latency_p95_ms: null,
    probe_latency_ms: null,
    last_used: null,
    ...extra,
  };
}

function circuit(name: string, state: string, extra: Record<string, unknown> = {}) {
  return {
    id: `gpu/${name}`,
    model: name,
    host: 'gpu',
    state,
    available: state === 'closed',
    is_open: state === 'open',
    failure_count: 0,
    times_opened: 0,
    retry_at: null,
    ...extra,
  };
}

function status(overrides: Partial<StatusDocument> = {}): StatusDocument {
  return {
    backend: 'real',
    started_at: at(3600),
    uptime_s: 3725,
    models: [
      model('small:1b', 'unloaded'),
      model('busy:3b', 'loaded', { in_flight: 2, latency_ewma_ms: 140.4, last_used: at(75) }),
      model('broken:7b', 'open', { probe_latency_ms: 900 }),
    ],
    circuits: [
      circuit('small:1b', 'closed'),
      circuit('busy:3b', 'closed', { failure_count: 2 }),
      circuit('broken:7b', 'open', { failure_count: 5, retry_at: new Date(NOW + 42_000).toISOString() }),
    ],
    hosts: [
      {
        name: 'gpu',
        url: 'http://gpu-box:11434',
        backend: 'real',
        reachable: true,
        vram_budget_gb: 16,
        vram_used_gb: 2.5,
        loaded: ['busy:3b'],
        loading: [],
      },
    ],
    recent_decisions: [
      { at: at(5), kind: 'probe', message: 'busy:3b on gpu: answered the probe correctly in 90 ms' },
      {
        at: at(9),
        kind: 'fallback',
        message: 'answered by busy:3b after broken:7b failed',
        request_id: 'abcdef0123456789',
      },
      { at: at(20), kind: 'probe', message: 'busy:3b on gpu: answered the probe correctly in 95 ms' },
      { at: at(30), kind: 'circuit', message: 'broken:7b on gpu: circuit opened after 5 failures' },
      { at: at(40), kind: 'load', message: 'busy:3b loaded on gpu in 3000 ms' },
    ],
    model_state: { circuits: {}, saved_at: null },
    ...overrides,
  } as StatusDocument;
}

const render = (doc: StatusDocument, decisions = 8) =>
  renderStatusTable(doc, { url: 'http://127.0.0.1:8309', now: NOW, color: false, decisions });

/** The line of a table that starts with `first`, split into its columns. */
function row(text: string, first: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(`${first} `));
  if (!line) throw new Error(`no line for ${first} in:\n${text}`);
  return line.split(/ {3,}/);
}

describe('rmm status table', () => {
  it('prints one aligned line per model with host, state, circuit, VRAM, in flight, last used and latency', () => {
    const text = render(status());
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('MODEL'))!;
    expect(header.split(/ {3,}/)).toEqual([
      'MODEL',
      'HOST',
      'STATE',
      'CIRCUIT',
      'VRAM',
      'IN FLIGHT',
      'LAST USED',
      'EWMA',
    ]);
    expect(row(text, 'busy:3b')).toEqual([
      'busy:3b',
      'gpu',
      'loaded',
      'closed (2 failed)',
      '2.5 GB',
      '2',
      '1m15s ago',
      '140ms',
    ]);
    expect(row(text, 'broken:7b').slice(2, 5)).toEqual(['open', 'open (retry in 42s)', '-']);
    // Columns line up: every model row starts its HOST column where the header does.
    const hostColumn = header.indexOf('HOST');
    for (const name of ['busy:3b', 'broken:7b', 'small:1b'])
      expect(lines.find((l) => l.startsWith(`${name} `))!.indexOf('gpu')).toBe(hostColumn);
  });

  it('lists models holding VRAM first, then by name', () => {
    const text = render(status());
    const order = ['busy:3b', 'broken:7b', 'small:1b'].map((n) => text.indexOf(`\n${n} `));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('says "probes only" rather than "never" beside latency measured by probes', () => {
    const text = render(status());
    expect(row(text, 'broken:7b')[6]).toBe('probes only');
    expect(row(text, 'small:1b')[6]).toBe('never');
  });

  it('uses p50 and per-model VRAM when the service reports them', () => {
    const doc = status();
    doc.models = doc.models.map((m) => ({
      ...m,
      latency_p50_ms: m.name === 'busy:3b' ? 120 : null,
      vram_gb: m.name === 'busy:3b' ? 1.8 : 0,
    }));
    const text = render(doc);
    expect(text).toMatch(/^MODEL .* P50$/m);
    expect(row(text, 'busy:3b').slice(4)).toEqual(['1.8 GB', '2', '1m15s ago', '120ms']);
  });

  it('prints one line per host with its health, VRAM share and models; host health when reported', () => {
    expect(row(render(status()), 'gpu')).toEqual([
      'gpu',
      'http://gpu-box:11434',
      'real',
      'up',
      '2.5/16 GB (16%)',
      'busy:3b',
      '-',
    ]);
    const doc = status();
    doc.hosts = [
      {
        ...doc.hosts[0]!,
        reachable: false,
        health: {
          status: 'down',
          since: '2026-01-01T11:58:00.000Z',
          reason: 'connection_refused',
          outages: 1,
          version: null,
        },
      },
    ];
    expect(row(render(doc), 'gpu')[3]).toBe('down since 11:58:00Z');
  });

  it('lists the last decisions that are not probes, newest first, and counts the probes left out', () => {
    const text = render(status(), 2);
    expect(text).toContain('RECENT DECISIONS (newest first, 2 probes not shown)');
    const section = text.slice(text.indexOf('RECENT DECISIONS'));
    expect(section).toContain('9s    fallback   answered by busy:3b after broken:7b failed  [abcdef01]');
    expect(section).toContain('circuit');
    expect(section).not.toContain('probe correctly');
    expect(section).not.toContain('load ');
  });

  it('says when the answers are simulated, and colours states only on request', () => {
    const sim = status({ backend: 'simulated' });
    expect(render(sim)).toContain('built-in simulator');
    expect(render(status())).not.toContain('\u001b[');
    const coloured = renderStatusTable(status(), { url: 'u', now: NOW, color: true, decisions: 8 });
    expect(coloured).toContain('\u001b[32mloaded\u001b[0m');
    // Colour codes do not shift the columns.
    const lines = coloured.split('\n');
    const header = lines.find((l) => l.startsWith('MODEL'))!;
    const busy = lines
      .find((l) => l.startsWith('busy:3b'))!
      .replaceAll('\u001b[32m', '')
      .replaceAll('\u001b[0m', '');
    expect(busy.indexOf('2.5 GB')).toBe(header.indexOf('VRAM'));
  });

  it('says which replica this is, whether Redis answers, and who plans each host; nothing when alone', () => {
    expect(render(status())).not.toContain('replica');
    const shared = (connected: boolean) =>
      render(
        status({
          shared_state: {
            mode: 'redis',
            replica: 'a',
            redis: { url: 'redis://127.0.0.1:6379', connected, since: at(60), last_error: null },
            fallback: !connected,
            lease_s: 3,
            planners: { gpu: { replica: 'b', token: 4, this_replica: false } },
          },
        }),
      );
    expect(shared(true)).toContain('replica a   Redis connected   gpu planned by b');
    expect(shared(false)).toContain(`Redis unreachable since ${at(60)}: planning alone`);
  });

  it('prints ages the way kubectl does', () => {
    expect([age(0), age(59_400), age(60_000), age(75_000), age(7_500_000), age(3 * 86_400_000)]).toEqual([
      '0s',
      '59s',
      '1m',
      '1m15s',
      '2h5m',
      '3d',
    ]);
  });
});
