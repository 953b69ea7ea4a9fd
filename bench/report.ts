import type { Figures } from '../src/simulate/figures.ts';
import type { ChaosBenchResult } from './chaos.ts';
import type { FailoverResult } from './failover.ts';
import type { ProfileSummary } from './lib/cpu-profile.ts';
import type { MachineFacts } from './lib/machine.ts';
import { ok, pct, table, us } from './lib/markdown.ts';
import type { OverheadResult } from './overhead.ts';
import { overheadSection } from './overhead-report.ts';
import { type ReplicasBenchResult, replicasSection, replicasTargets } from './replicas.ts';
import { crossCheckSection } from './scheduler/cross-check.ts';
import type { SchedulerResult } from './scheduler/index.ts';
import type { SimulationBenchResult } from './simulation.ts';
import type { SoakResult } from './soak.ts';

export interface BenchResults {
  started_at: string;
  finished_at: string;
  command: string;
  quick: boolean;
  machine: MachineFacts;
  git: string;
  overhead?: OverheadResult;
  profile?: ProfileSummary;
  profile_streaming?: ProfileSummary;
  failover?: FailoverResult;
  scheduler?: SchedulerResult;
  simulation?: SimulationBenchResult;
  chaos?: ChaosBenchResult;
  soak?: SoakResult;
  replicas?: ReplicasBenchResult;
  close_problems: string[];
  errors: Record<string, string>;
  /** Benches not run this time, carried over from the previous results file: bench → that run's commit. */
  carried?: Record<string, string>;
  /** The targets of the run before this one (name → value and commit), for the "previous" column. */
  previous?: { git: string; targets: Record<string, string | number> };
}

/** Every target of a run as rows: bench, name, goal, value, met, note. */
export function targetRows(
  r: BenchResults,
): Array<[string, string, string, string | number, boolean, string]> {
  const rows: Array<[string, string, string, string | number, boolean, string]> = [];
  for (const t of r.overhead?.targets ?? []) rows.push(['overhead', t.name, t.goal, t.value, t.met, t.note]);
  for (const t of r.scheduler?.targets ?? [])
    rows.push(['scheduler', t.name, t.goal, t.value, t.met, t.note]);
  if (r.scheduler?.cross_check)
    rows.push([
      'scheduler',
      'socket bench vs simulation, same trace',
      'agree within tolerance',
      `${r.scheduler.cross_check.rows.filter((x) => x.agrees).length} of ${r.scheduler.cross_check.rows.length} figures`,
      r.scheduler.cross_check.agrees,
      r.scheduler.cross_check.rows
        .filter((x) => !x.agrees)
        .map((x) => `${x.figure}: ${x.socket} vs ${x.simulated}`)
        .join('; '),
    ]);
  for (const t of r.simulation?.targets ?? [])
    rows.push([
      'simulation',
      t.name,
      t.goal,
      Math.min(...t.values),
      t.met_on === t.of,
      `met on ${t.met_on} of ${t.of} seeds; per seed ${t.values.join(', ')}`,
    ]);
  if (r.simulation)
    rows.push([
      'simulation',
      'explore: seeds with a broken invariant',
      '0',
      r.simulation.explore.failing_seeds.length,
      r.simulation.explore.failing_seeds.length === 0,
      `${r.simulation.explore.runs} seeds in ${r.simulation.explore.wall_s} s${r.simulation.explore.failing_seeds.length ? `: ${r.simulation.explore.failing_seeds.join(', ')}` : ''}`,
    ]);
  if (r.chaos) {
    const rate = r.chaos.answered / Math.max(1, r.chaos.requests);
    rows.push([
      'chaos',
      'no request lost, no unhandled rejection, nothing stuck, VRAM within budget',
      'all',
      r.chaos.pass ? 'yes' : 'no',
      r.chaos.pass,
      r.chaos.pass ? '' : chaosNote(r.chaos),
    ]);
    rows.push([
      'chaos',
      `requests answered (64 clients, ${pct(r.chaos.fault_rate)} under a fault; the rest clear errors)`,
      '≥ 99%',
      pct(rate),
      rate >= 0.99,
      `${r.chaos.answered} of ${r.chaos.requests}; ${r.chaos.evictions_by_ollama} evictions by Ollama's own scheduler`,
    ]);
  }
  if (r.soak) {
    const rate = r.soak.answered / Math.max(1, r.soak.requests);
    rows.push([
      'soak',
      `RSS and heap flat after warm-up (${r.soak.minutes} min)`,
      'flat',
      r.soak.flat ? 'flat' : 'growing',
      r.soak.flat,
      r.soak.verdict,
    ]);
    rows.push([
      'soak',
      `requests answered (${r.soak.workers} clients, ${pct(r.soak.fault_rate)} faults, ${r.soak.minutes} min)`,
      '≥ 99%',
      pct(rate),
      rate >= 0.99,
      `${r.soak.answered} of ${r.soak.requests}${
        r.soak.errors_by_code
          ? `; errors: ${Object.entries(r.soak.errors_by_code)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`
          : ''
      }`,
    ]);
  }
  if (r.replicas) rows.push(...replicasTargets(r.replicas));
  return rows;
}

/** The results as markdown: one section per bench, targets first. */
export function renderResults(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `_Run ${r.started_at} → ${r.finished_at}${r.quick ? ' (**--quick**: shortened, not the reference figures)' : ''}; \`${r.command}\`; commit ${r.git}._`,
  );
  out.push('');
  out.push(
    `Machine: ${m.cpu_model}, ${m.nproc} CPUs (nproc), ${m.memory_gb} GB RAM, ${m.platform}, kernel ${m.kernel}, Node ${m.node}.`,
  );
  out.push('');
  const previous = r.previous;
  const targets = targetRows(r).map(([bench, name, goal, value, met, note]) => {
    const carried = r.carried?.[bench];
    return [
      bench,
      name,
      goal,
      value,
      ok(met),
      previous?.targets[`${bench}: ${name}`] ?? '–',
      `${carried ? `(not re-run: from ${carried}) ` : ''}${note}`,
    ];
  });
  out.push('### Targets');
  out.push('');
  out.push(
    table(
      [
        'bench',
        'target',
        'goal',
        'value',
        'result',
        `previous run${previous ? ` (${previous.git})` : ''}`,
        'note',
      ],
      targets as Array<Array<string | number>>,
    ),
  );
  for (const [name, err] of Object.entries(r.errors)) out.push(`\n**${name} did not complete:** ${err}`);
  if (r.overhead) out.push('', overheadSection(r.overhead));
  if (r.profile) out.push('', profileSection(r.profile, 'non-streaming'));
  if (r.profile_streaming) out.push('', profileSection(r.profile_streaming, 'streaming'));
  if (r.failover) out.push('', failoverSection(r.failover));
  if (r.scheduler) out.push('', schedulerSection(r.scheduler));
  if (r.simulation) out.push('', simulationSection(r.simulation));
  if (r.chaos) out.push('', chaosSection(r.chaos));
  if (r.soak) out.push('', soakSection(r.soak));
  if (r.replicas) out.push('', replicasSection(r.replicas));
  if (r.close_problems.length) {
    const counts = new Map<string, number>();
    for (const p of r.close_problems) counts.set(p, (counts.get(p) ?? 0) + 1);
    out.push(
      '',
      '### Shutdown problems seen',
      '',
      ...[...counts].map(([p, n]) => `- ${p}${n > 1 ? ` (${n}×)` : ''}`),
    );
  }
  return out.join('\n');
}

function chaosNote(c: ChaosBenchResult): string {
  const parts = [];
  if (c.lost) parts.push(`${c.lost} lost (${JSON.stringify(c.lost_why)})`);
  if (c.unhandled_rejections) parts.push(`${c.unhandled_rejections} unhandled rejections`);
  if (c.stuck_after.length) parts.push(`stuck: ${c.stuck_after.join('; ')}`);
  if (!c.closed_in_time) parts.push('close hung');
  return parts.join('; ');
}

/** NaN survives JSON as null: both print as a dash. */
function num(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '—' : String(x);
}

function profileSection(p: ProfileSummary, mode: string): string {
  return [
    `### Where the service spends its CPU (V8 profile, ${mode}, 10 connections)`,
    '',
    `${p.samples} busy samples; idle excluded. Native frames name the nearest caller in our code.`,
    '',
    table(
      ['self %', 'function'],
      p.functions.slice(0, 15).map((f) => [f.self_pct, f.where]),
    ),
    '',
    table(
      ['self %', 'area'],
      p.areas.slice(0, 12).map((f) => [f.self_pct, f.where]),
    ),
    '',
    table(
      ['inclusive %', 'our file (and all it calls)'],
      p.inclusive_src.slice(0, 12).map((f) => [f.self_pct, f.where]),
    ),
    '',
    table(
      ['inclusive %', 'dependency on the stack'],
      p.inclusive_deps.slice(0, 12).map((f) => [f.self_pct, f.where]),
    ),
  ].join('\n');
}

function failoverSection(f: FailoverResult): string {
  return [
    '### Failover (time from a fault to an answer from the fallback)',
    '',
    `Chain \`simple\`: llama3.2:8b preferred, llama3.2:3b the fallback; timings × ${f.scale} (a 5 s interactive deadline is ${5000 * f.scale} ms). Median of ${f.samples} (closed: each on a fresh stack) or ${f.samples * 2} (open) requests. Healthy: 8b answers in ${f.healthy_ms} ms, 3b in ${f.fallback_healthy_ms} ms. "real-world" = measured ÷ scale (fixed costs such as HTTP are inflated by the same factor).`,
    '',
    table(
      [
        'fault',
        'circuit closed: ms (p90)',
        'real-world s',
        'open/missing: ms (p90)',
        'real-world s',
        'state after',
        'requests to open',
        'answered by',
        'errors',
      ],
      f.rows.map((r) => [
        r.fault,
        num(r.closed_ms) === '—' ? 'no fallback answer' : `${num(r.closed_ms)} (${num(r.closed_p90_ms)})`,
        num(r.closed_real_s),
        num(r.open_ms) === '—' ? 'no fallback answer' : `${num(r.open_ms)} (${num(r.open_p90_ms)})`,
        num(r.open_real_s),
        r.open_state,
        r.requests_to_open,
        r.answered_by_fallback,
        r.errors,
      ]),
    ),
  ].join('\n');
}

function schedulerSection(s: SchedulerResult): string {
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

function chaosSection(c: ChaosBenchResult): string {
  return [
    `### Chaos: ${c.duration_s} s, ${c.connections} connections, ${pct(c.fault_rate)} of requests under a fault`,
    '',
    `Timings × ${c.scale}. Fault kinds seen: ${c.kinds_seen.join(', ')} (${c.fault_sets} fault sets, one or two kinds at a time). Answered: ${pct(c.answered / Math.max(1, c.requests))} of requests.`,
    '',
    table(
      [
        'requests',
        'answered',
        'clear errors',
        'lost',
        'unhandled rejections',
        'stuck after',
        'settled in',
        'VRAM peak',
        'evictions by Ollama',
        'p50 / p99 ms',
      ],
      [
        [
          c.requests,
          c.answered,
          c.clear_errors,
          c.lost,
          c.unhandled_rejections,
          c.stuck_after.join('; ') || 'none',
          `${c.settle_ms} ms`,
          `${c.vram_peak_gb} / ${c.vram_budget_gb} GB`,
          c.evictions_by_ollama,
          `${us(c.latency.p50_us / 1000)} / ${us(c.latency.p99_us / 1000)}`,
        ],
      ],
    ),
    '',
    `Clear errors by code: ${JSON.stringify(c.errors_by_code)}${c.lost ? `; lost: ${JSON.stringify(c.lost_why)}` : ''}.`,
  ].join('\n');
}

function soakSection(s: SoakResult): string {
  const first = s.samples.find((x) => x.t_s >= s.warmup_s) ?? s.samples[0];
  const last = s.samples.at(-1);
  return [
    `### Soak: ${s.minutes} min, ${s.workers} clients, ${pct(s.fault_rate)} faults`,
    '',
    `Samples every few seconds after a forced full GC in the service's process; warm-up ${s.warmup_s} s. "data" is the V8 heap without code space.`,
    '',
    table(
      [
        'requests',
        'answered',
        'clear errors',
        'lost',
        'heap MB (data + code) after warm-up → end',
        'RSS MB after warm-up → end',
        'data / code / RSS MB per min',
        'verdict',
      ],
      [
        [
          s.requests,
          s.answered,
          s.clear_errors,
          s.lost,
          `${first?.heap_mb} (${first?.data_mb} + ${first?.code_mb}) → ${last?.heap_mb} (${last?.data_mb} + ${last?.code_mb})`,
          `${first?.rss_mb} → ${last?.rss_mb}`,
          `${s.data_mb_per_min} / ${s.code_mb_per_min} / ${s.rss_mb_per_min}`,
          s.verdict,
        ],
      ],
    ),
    ...(s.grew
      ? [
          '',
          `Heap snapshot diff over one more minute of load, largest growth: ${s.grew
            .slice(0, 6)
            .map((g) => `${g.what} ${Math.round(g.bytes / 1024)} KB (${g.count >= 0 ? '+' : ''}${g.count})`)
            .join(
              ', ',
            )}. "(code)" is bytecode and compiled code: error paths compile lazily as new fault kinds show up.`,
        ]
      : []),
  ].join('\n');
}

function simulationSection(s: SimulationBenchResult): string {
  const rows = s.seeds.map(({ seed, wall_s, report: r }) => {
    const b = r.baseline?.figures;
    const f = r.service;
    return [
      seed,
      r.requests,
      `${pct(f.urgency.interactive.deadline_hit)} (${b ? pct(b.urgency.interactive.deadline_hit) : '–'})`,
      `${f.urgency.interactive.ttft_p50_s} / ${f.urgency.interactive.ttft_p95_s} (${b ? `${b.urgency.interactive.ttft_p50_s} / ${b.urgency.interactive.ttft_p95_s}` : '–'})`,
      `${f.load_s} (${b?.load_s ?? '–'})`,
      `${f.quality_vs_ideal} (${b?.quality_vs_ideal ?? '–'}); fitting ${f.quality_vs_fitting_ideal}${gapWords(f)}`,
      `${f.interactive_misses.late} / ${f.interactive_misses.failed}`,
      `${f.evictions_by_us} / ${f.evictions_by_ollama} (${b ? `${b.evictions_by_us} / ${b.evictions_by_ollama}` : '–'})`,
      `${f.answered_pct}%`,
      wall_s,
      r.digest.slice(0, 12),
    ];
  });
  return [
    '### Simulation: whole days in virtual time (`rmm simulate --trace day --seed N`)',
    '',
    "The real runtime on a virtual clock against the simulator in-process: the seed catalog, one 16 GB host, a 24-hour day at its real pace per seed. Service figures first, \"Ollama alone\" (each request straight to its chain's best model, Ollama's own eviction) in brackets. Deadline hit = answered within the urgency's deadline; times to first token in simulated seconds.",
    '',
    table(
      [
        'seed',
        'requests',
        'interactive hit',
        'interactive first token p50 / p95 s',
        'load s',
        'quality vs ideal',
        'interactive late / failed',
        'evictions us / Ollama',
        'answered',
        'wall s',
        'digest',
      ],
      rows,
    ),
    '',
    `Fault search: ${s.explore.runs} seeds, each two busy hours under a random schedule of every fault kind (one model or a whole host; host restarts with downtime) for 80 minutes, then checked: no request lost or failed without an RMM_ code, VRAM never over budget, no circuit open and no load stuck 10 minutes after the faults end, \`replay --verify\` holds. ${s.explore.failing_seeds.length === 0 ? 'No invariant broken.' : `Broken on seeds ${s.explore.failing_seeds.join(', ')}:\n\n${s.explore.summary}`} (${s.explore.wall_s} s)`,
  ].join('\n');
}

/** Where the quality went, when the results have it (older results do not). */
function gapWords(f: Figures): string {
  // Optional: results/latest.json written before the gap existed is still rendered.
  const g = f.quality_gap as Figures['quality_gap'] | undefined;
  if (!g) return '';
  return `; bound ${g.bound_vs_ideal}; lost: ${g.not_fitting} does not fit, ${g.burst} bursts, ${g.other} other`;
}
