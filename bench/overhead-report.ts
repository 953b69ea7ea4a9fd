import { table, us } from './lib/markdown.ts';
import type { OverheadResult } from './overhead.ts';
import { type Spread, TARGET_NAMES } from './overhead-judge.ts';

const MODE = { non_streaming: 'whole', streaming: 'stream (TTFB)' } as const;

/** median [min–max] of the repeats. */
function sp(s: Spread, unit = ''): string {
  if (!Number.isFinite(s.median)) return '–';
  return s.min === s.max ? `${s.median}${unit}` : `${s.median}${unit} [${s.min}–${s.max}]`;
}

export function overheadSection(o: OverheadResult): string {
  // Results written before the endpoints, repeats and memory were measured have none of them.
  if (!Array.isArray(o.ratios) || o.ratios[0]?.endpoint === undefined)
    return '### Overhead\n\n(results in an older format; run `npm run bench -- --only overhead`)';
  const cellRows = o.cells
    .sort(
      (a, b) =>
        a.endpoint.localeCompare(b.endpoint) ||
        a.mode.localeCompare(b.mode) ||
        a.connections - b.connections ||
        TARGET_NAMES.indexOf(a.target) - TARGET_NAMES.indexOf(b.target),
    )
    .map((c) => [
      c.endpoint,
      MODE[c.mode],
      c.connections,
      c.target,
      us(c.req_per_s.median),
      us(c.p50_us.median),
      us(c.p99_us.median),
      sp(c.cpu_us_per_req),
      us(c.backend_cpu_us_per_req.median),
      c.failed,
    ]);
  const ratioRows = o.ratios.map((x) => [
    x.endpoint,
    MODE[x.mode],
    x.connections,
    sp(x.cpu_vs_floor, '×'),
    sp(x.req_per_s_vs_floor, '×'),
    sp(x.p50_added_us_vs_direct),
    sp(x.p99_vs_floor, '×'),
  ]);
  const m = o.memory;
  const memRows = TARGET_NAMES.map((t) => [
    t,
    m.idle_rss_mb[t],
    m.peak_rss_mb[t],
    `${Math.round((m.idle_rss_mb[t] / m.idle_rss_mb.proxy) * 100) / 100}×`,
    `${Math.round((m.peak_rss_mb[t] / m.peak_rss_mb.proxy) * 100) / 100}×`,
  ]);
  const r = o.restart;
  return [
    '### Overhead (simulator directly vs the floor, a bare Fastify + undici proxy, vs the service)',
    '',
    `The service is \`rmm serve\` as users run it (compiled JavaScript from dist/, no transpiler; logs at info to /dev/null; journal and snapshots on). Each cell: ${o.repeats} repeat(s) of ${o.duration_s} s of autocannon (pipelining 1) per target, the three targets round-robin within each repeat; each server in its own process; CPU from /proc/<pid>/stat (user+system, all threads) ÷ responses. Figures are the median of the repeats, [lowest–highest] where they differ; each ratio is taken within a repeat. Latency per response in µs: whole answer, or time to first body byte when streaming. Bodies: ${Object.entries(
      o.payloads,
    )
      .map(([e, b]) => `${e} \`${JSON.stringify(b)}\``)
      .join('; ')} (stream:true for the streaming rows).`,
    '',
    table(
      [
        'endpoint',
        'mode',
        'conns',
        'service CPU ÷ floor',
        'req/s ÷ floor',
        'p50 added vs direct (µs)',
        'p99 ÷ floor',
      ],
      ratioRows,
    ),
    '',
    table(
      [
        'endpoint',
        'mode',
        'conns',
        'target',
        'req/s',
        'p50 µs',
        'p99 µs',
        'CPU µs/req',
        'simulator CPU µs/req',
        'failed',
      ],
      cellRows,
    ),
    '',
    table(['process', 'RSS idle MB', 'RSS peak MB', 'idle ÷ floor', 'peak ÷ floor'], memRows),
    '',
    r
      ? `Restart to ready with ${r.actors} model actors restored (spawn of \`rmm serve\` to the first 200 from /readyz): ${r.runs.join(', ')} ms (median ${r.ready_ms.median}); first start without a snapshot ${r.first_start_ms} ms.`
      : 'Restart to ready: not measured in this run.',
  ].join('\n');
}
