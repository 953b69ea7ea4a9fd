import type { ChaosBenchResult } from '../chaos.ts';
import { pct } from '../lib/markdown.ts';
import { replicasTargets } from '../replicas.ts';
import type { BenchResults } from './bench-results.ts';

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

function chaosNote(c: ChaosBenchResult): string {
  const parts = [];
  if (c.lost) parts.push(`${c.lost} lost (${JSON.stringify(c.lost_why)})`);
  if (c.unhandled_rejections) parts.push(`${c.unhandled_rejections} unhandled rejections`);
  if (c.stuck_after.length) parts.push(`stuck: ${c.stuck_after.join('; ')}`);
  if (!c.closed_in_time) parts.push('close hung');
  return parts.join('; ');
}
