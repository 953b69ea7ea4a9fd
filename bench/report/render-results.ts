import { ok, table } from '../lib/markdown.ts';
import { overheadSection } from '../overhead-report.ts';
import { replicasSection } from '../replicas.ts';
import type { BenchResults } from './bench-results.ts';
import { chaosSection } from './chaos-section.ts';
import { failoverSection } from './failover-section.ts';
import { profileSection } from './profile-section.ts';
import { schedulerSection } from './scheduler-section.ts';
import { simulationSection } from './simulation-section.ts';
import { soakSection } from './soak-section.ts';
import { targetRows } from './target-rows.ts';

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
