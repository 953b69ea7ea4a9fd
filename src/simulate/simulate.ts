import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { FaultSpec } from '../simulator/types.ts';
import { type Figures, figuresOf, type Target, targetsOf } from './figures.ts';
import { during } from './pump.ts';
import { runOllamaAlone, runService } from './run-trace.ts';
import type { SimRequest } from './trace.ts';
import { buildWorld, type SimWorld, startManager } from './world.ts';

export type Baseline = 'ollama' | 'lru' | 'none';

export interface SimulateOptions {
  config: Readonly<Config>;
  trace: readonly SimRequest[];
  seed: number;
  faults?: readonly FaultSpec[];
  baseline?: Baseline;
  /** The service's state folder (journal, snapshots): its contents go into the digest. */
  stateDir?: string;
}

export interface SimulateReport {
  seed: number;
  requests: number;
  span_h: number;
  service: Figures;
  baseline: { kind: Baseline; figures: Figures } | null;
  targets: Target[];
  /** SHA-256 of the figures and the service's journal: the same seed and inputs give the same digest. */
  digest: string;
}

/**
 * The real runtime (journey, supervisor and model actors, loader, policy, persistence) on a virtual clock
 * against simulated Ollama hosts in the same process; then, on a fresh world, the baseline on the same trace.
 */
export async function simulate(opts: SimulateOptions): Promise<SimulateReport> {
  const { config, trace, seed } = opts;
  const world = withFaults(buildWorld(config, seed), opts.faults);
  const manager = await startManager(world, {
    seed,
    ...(opts.stateDir !== undefined && { stateDir: opts.stateDir }),
  });
  const outcomes = await runService(world, manager, trace);
  const service = figuresOf(world.config, trace, outcomes, world.sims.values());
  await during(world, manager.close(), 'the service to shut down');
  await dispose(world);

  let baseline: SimulateReport['baseline'] = null;
  const kind = opts.baseline ?? 'ollama';
  if (kind !== 'none') {
    const other = withFaults(buildWorld(config, seed), opts.faults);
    let figures: Figures;
    if (kind === 'ollama') {
      figures = figuresOf(
        other.config,
        trace,
        await runOllamaAlone(other, other.config, trace),
        other.sims.values(),
      );
    } else {
      const lru = await startManager(other, { seed, evictionPolicy: 'lru' });
      figures = figuresOf(other.config, trace, await runService(other, lru, trace), other.sims.values());
      await during(other, lru.close(), 'the LRU service to shut down');
    }
    await dispose(other);
    baseline = { kind, figures };
  }
  const targets = targetsOf(service, baseline?.kind === 'ollama' ? baseline.figures : undefined);
  const span = trace.length > 0 ? trace[trace.length - 1]!.t - trace[0]!.t : 0;
  const body = {
    seed,
    requests: trace.length,
    span_h: Math.round(span / 36) / 100,
    service,
    baseline,
    targets,
  };
  return { ...body, digest: digestOf(body, opts.stateDir) };
}

function withFaults(world: SimWorld, faults: readonly FaultSpec[] | undefined): SimWorld {
  for (const sim of world.sims.values()) for (const f of faults ?? []) sim.faults.add(f);
  return world;
}

async function dispose(world: SimWorld): Promise<void> {
  for (const sim of world.sims.values()) await sim.close();
}

/**
 * The figures and every journal line the service wrote, in file order. The process id (in segment headers
 * and base checkpoint names, so two processes never share a file) is the one thing a rerun changes: it is
 * blanked before hashing.
 */
function digestOf(body: unknown, stateDir: string | undefined): string {
  const hash = createHash('sha256').update(JSON.stringify(body));
  if (stateDir) {
    const pid = String(process.pid);
    const journals = readdirSync(stateDir).filter((f) => f.startsWith('journal-'));
    for (const f of journals.sort()) {
      const text = readFileSync(join(stateDir, f), 'utf8')
        .replaceAll(`"pid":${pid}`, '"pid":0')
        .replaceAll(`-${pid}.json`, '-0.json');
      hash.update(f).update(text);
    }
  }
  return hash.digest('hex');
}
