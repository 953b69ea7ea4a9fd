import type { Figures } from '../../src/simulate/figures.ts';
import { pct, table } from '../lib/markdown.ts';
import type { SimulationBenchResult } from '../simulation.ts';

export function simulationSection(s: SimulationBenchResult): string {
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
