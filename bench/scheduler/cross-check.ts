import type { DayRequest } from '../../src/simulate/day-trace.ts';
import { simulate } from '../../src/simulate/simulate.ts';
import { seedWorld } from '../lib/configs.ts';
import { round } from '../lib/stats.ts';

/**
 * The socket bench and `rmm simulate` on the same trace: the service over HTTP in compressed real time, and
 * the same runtime in virtual time against the simulator in-process. They must agree within a stated
 * tolerance, or one of them does not measure what it claims. The compressed run pays HTTP and event-loop
 * time at × scale (a millisecond of noise is 100 simulated ms at × 0.01), so the tolerances are wide where
 * timing decides (deadline hits, what got loaded when) and narrow for quality.
 */
/** What the socket run measured, as far as the cross-check reads it (the scheduler bench's SystemFigures). */
export interface SocketFigures {
  requests: number;
  answered: number;
  hit_rate: Record<'interactive' | 'background', { hit_rate: number }>;
  mean_quality_all: number;
  load_s: number;
}

export interface CrossCheckRow {
  figure: string;
  socket: number;
  simulated: number;
  /** Largest difference accepted; `relative` ones are a share of the larger value. */
  tolerance: number;
  relative: boolean;
  agrees: boolean;
}

export interface CrossCheck {
  rows: CrossCheckRow[];
  agrees: boolean;
  wall_s: number;
}

export async function crossCheck(trace: readonly DayRequest[], socket: SocketFigures): Promise<CrossCheck> {
  const started = performance.now();
  const report = await simulate({
    config: seedWorld(1),
    trace: trace.map((r) => ({ t: r.t, task_type: r.task_type, urgency: r.urgency, query: r.prompt })),
    seed: 1,
    baseline: 'none',
  });
  const sim = report.service;
  const rows = [
    row(
      'interactive deadline hit',
      socket.hit_rate.interactive.hit_rate,
      sim.urgency.interactive.deadline_hit,
      0.05,
    ),
    row(
      'background deadline hit',
      socket.hit_rate.background.hit_rate,
      sim.urgency.background.deadline_hit,
      0.05,
    ),
    row('mean quality (unanswered = 0)', socket.mean_quality_all, sim.quality, 0.03),
    row('answered share', socket.answered / Math.max(1, socket.requests), sim.answered_pct / 100, 0.01),
    row('load time (simulated s)', socket.load_s, sim.load_s, 0.5, true),
  ];
  return {
    rows,
    agrees: rows.every((r) => r.agrees),
    wall_s: round((performance.now() - started) / 1000, 1),
  };
}

function row(
  figure: string,
  socket: number,
  simulated: number,
  tolerance: number,
  relative = false,
): CrossCheckRow {
  const diff = Math.abs(socket - simulated);
  const limit = relative ? tolerance * Math.max(Math.abs(socket), Math.abs(simulated)) : tolerance;
  return {
    figure,
    socket: round(socket, 4),
    simulated: round(simulated, 4),
    tolerance,
    relative,
    agrees: diff <= limit + 1e-9,
  };
}

/** The cross-check as a markdown block for bench/README.md. */
export function crossCheckSection(c: CrossCheck): string {
  const lines = [
    `Cross-check: the same trace through \`rmm simulate\`'s engine in virtual time (${c.wall_s} s wall): ${c.agrees ? 'agrees' : 'DISAGREES'} within the tolerances below.`,
    '',
    '| figure | socket bench | simulated | tolerance | agrees |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const r of c.rows) {
    const tol = r.relative ? `±${Math.round(r.tolerance * 100)}% of the larger` : `±${r.tolerance}`;
    lines.push(`| ${r.figure} | ${r.socket} | ${r.simulated} | ${tol} | ${r.agrees ? 'yes' : 'NO'} |`);
  }
  return lines.join('\n');
}
