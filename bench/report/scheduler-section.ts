import { pct, table } from '../lib/markdown.ts';
import { crossCheckSection } from '../scheduler/cross-check.ts';
import type { SchedulerResult } from '../scheduler/index.ts';

export function schedulerSection(s: SchedulerResult): string {
  const sys = [s.service, s.baseline];
  const row = (label: string, f: (x: (typeof sys)[number]) => string | number) => [label, ...sys.map(f)];
  return [
    '### Scheduler: a day of demand, service vs naive baseline',
    '',
    `${s.requests} requests, hours ${s.hours.length === 24 ? '0–23' : s.hours.join(', ')}; idle gaps cut to ${s.gap_cap_s} s (${s.span_sim_s} simulated s); timings × ${s.scale}. Seed catalog, one 16 GB host (num_parallel 1, 3 models max). Baseline: each request straight to its chain's best model on the simulator (Ollama's eviction order, 5 min keep-alive). Latencies in real-world seconds.`,
    '',
    table(
      ['', 'service', 'naive baseline'],
      [
        row(
          'interactive hit rate (p50 / p95 s)',
          (x) =>
            `${pct(x.hit_rate.interactive.hit_rate)} (${x.hit_rate.interactive.p50_s} / ${x.hit_rate.interactive.p95_s})`,
        ),
        row(
          'background hit rate (p50 / p95 s)',
          (x) =>
            `${pct(x.hit_rate.background.hit_rate)} (${x.hit_rate.background.p50_s} / ${x.hit_rate.background.p95_s})`,
        ),
        row(
          'batch hit rate (p50 / p95 s)',
          (x) => `${pct(x.hit_rate.batch.hit_rate)} (${x.hit_rate.batch.p50_s} / ${x.hit_rate.batch.p95_s})`,
        ),
        row('answered', (x) => `${x.answered} / ${x.requests}`),
        row('total load time (simulated s)', (x) => x.load_s),
        row('loads', (x) => `${x.loads} ${JSON.stringify(x.loads_by_model)}`),
        row(`mean quality of answers (ideal ${s.ideal_quality})`, (x) => x.mean_quality),
        row('mean quality, unanswered = 0', (x) => x.mean_quality_all),
        row('answered out of chain', (x) => x.out_of_chain),
        row(
          'evictions by Ollama / unloads by the manager / expiries',
          (x) => `${x.evictions_by_ollama} / ${x.unloads_by_manager} / ${x.expirations}`,
        ),
        row('VRAM peak (GB of 16)', (x) => x.vram_peak_gb),
        row('errors', (x) => JSON.stringify(x.errors)),
      ],
    ),
    '',
    'Interactive misses by cause:',
    '',
    table(
      ['system', 'cause', 'count'],
      sys.flatMap((x) =>
        Object.entries(x.interactive_misses)
          .slice(0, 8)
          .map(([k, v]) => [x.system, k, v]),
      ),
    ),
    '',
    'Eviction choice alone (simulateTrace, instantaneous requests, warm set pinned):',
    '',
    table(
      ['trace', 'requests', 'policy', 'loads', 'load s', 'evictions', 'hits', 'refused'],
      s.eviction_policies.map((p) => [
        p.trace,
        p.requests,
        p.policy,
        p.loads,
        p.load_s,
        p.evictions,
        p.hits,
        p.refused,
      ]),
    ),
    // Results recorded before the cross-check existed have none.
    ...(s.cross_check ? ['', crossCheckSection(s.cross_check)] : []),
  ].join('\n');
}
