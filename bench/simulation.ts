import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config/defaults.ts';
import { validateConfig } from '../src/config/load.ts';
import { explore } from '../src/simulate/explore.ts';
import type { Target } from '../src/simulate/figures.ts';
import { type SimulateReport, simulate } from '../src/simulate/simulate.ts';
import { dayRequests } from '../src/simulate/trace.ts';

/**
 * The deterministic simulation (`rmm simulate`): the seed's catalog on one 16 GB host, a whole 24-hour day
 * per seed, service beside "Ollama alone", seeds 1–5; then a randomised fault search. Figures are in
 * simulated time, so they do not move from run to run: only the wall times do.
 */
export interface SimulationSeed {
  seed: number;
  wall_s: number;
  report: SimulateReport;
}

export interface SimulationBenchResult {
  seeds: SimulationSeed[];
  explore: { runs: number; failing_seeds: number[]; summary: string; wall_s: number };
  /** Each target over the seeds: met on how many, and the worst value. */
  targets: Array<{ name: string; goal: string; met_on: number; of: number; values: number[] }>;
}

export async function runSimulationBench(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<SimulationBenchResult> {
  const config = validateConfig(defaultConfig());
  const seeds: SimulationSeed[] = [];
  for (const seed of opts.quick ? [1] : [1, 2, 3, 4, 5]) {
    const t0 = performance.now();
    const stateDir = mkdtempSync(join(tmpdir(), `rmm-bench-sim-${seed}-`));
    const report = await simulate({ config, trace: dayRequests(seed), seed, stateDir, baseline: 'ollama' });
    const wall = Math.round((performance.now() - t0) / 100) / 10;
    seeds.push({ seed, wall_s: wall, report });
    opts.log(
      `simulation seed ${seed}: ${report.requests} requests in ${wall} s; ${report.targets.map((t) => `${t.name} ${t.value}`).join(', ')}`,
    );
  }
  const runs = opts.quick ? 5 : 60;
  const t0 = performance.now();
  const found = await explore({ config, runs, firstSeed: 1, log: opts.log });
  const names = seeds[0]!.report.targets.map((t) => t.name);
  const targets = names.map((name) => {
    const per = seeds.map((s) => s.report.targets.find((t) => t.name === name) as Target);
    return {
      name,
      goal: per[0]!.goal,
      met_on: per.filter((t) => t.met).length,
      of: per.length,
      values: per.map((t) => t.value),
    };
  });
  return {
    seeds,
    explore: {
      runs,
      failing_seeds: found.failures.map((f) => f.seed),
      summary: found.summary,
      wall_s: Math.round((performance.now() - t0) / 1000),
    },
    targets,
  };
}
