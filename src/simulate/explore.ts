import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { replay } from '../replay/replay.ts';
import { Prng } from '../simulator/prng.ts';
import { FAULT_KINDS, type FaultSpec } from '../simulator/types.ts';
import { during, runUntil } from './pump.ts';
import { runService } from './run-trace.ts';
import { dayRequests, type SimRequest } from './trace.ts';
import { buildWorld, DAY_START, type SimWorld, startManager } from './world.ts';

/**
 * Randomised fault search. Each seed replays two busy hours of its own day while a random schedule of faults
 * (every kind, on one model or a whole host, host restarts with downtime) comes and goes during the first
 * 80 minutes, then checks the invariants the product promises. A failing seed reproduces by running it again.
 */
export interface ExploreFailure {
  seed: number;
  broken: string[];
  /** How many times the schedule's faults fired (a run where none did tested nothing). */
  fired: number;
  faults: Array<FaultSpec & { from_s: number; to_s: number }>;
}

export interface ExploreResult {
  runs: number;
  failures: ExploreFailure[];
  summary: string;
}

const FAULTS_END_S = 80 * 60;

export async function explore(opts: {
  config: Readonly<Config>;
  runs: number;
  firstSeed: number;
  log?: (line: string) => void;
}): Promise<ExploreResult> {
  const failures: ExploreFailure[] = [];
  for (let seed = opts.firstSeed; seed < opts.firstSeed + opts.runs; seed++) {
    const result = await exploreSeed(opts.config, seed);
    if (result.broken.length > 0) failures.push(result);
    opts.log?.(`seed ${seed}: ${result.broken.length === 0 ? 'ok' : result.broken.join('; ')}`);
  }
  const summary = failures.map((f) => `seed ${f.seed}: ${f.broken.join('; ')}`).join('\n');
  return { runs: opts.runs, failures, summary };
}

export async function exploreSeed(config: Readonly<Config>, seed: number): Promise<ExploreFailure> {
  const trace = busyHours(seed);
  const world = buildWorld(config, seed);
  const schedule = faultSchedule(world, seed);
  const stateDir = mkdtempSync(join(tmpdir(), `rmm-explore-${seed}-`));
  const manager = await startManager(world, { seed, stateDir });
  const fired = arm(world, schedule);
  const outcomes = await runService(world, manager, trace);
  // Ten quiet minutes after the last request: circuits half-open and probes close them, loads finish.
  const quietUntil = world.clock.now() + 10 * 60_000;
  await runUntil(world, () => world.clock.now() >= quietUntil, 'the quiet period');

  const broken: string[] = [];
  const lost = outcomes.filter((o) => o === undefined).length;
  if (lost > 0) broken.push(`${lost} requests never settled`);
  const unexplained = outcomes.filter((o) => o && !o.ok && !o.code?.startsWith('RMM_'));
  if (unexplained.length > 0)
    broken.push(`${unexplained.length} failed without an RMM_ code (${unexplained[0]!.code})`);
  for (const [host, sim] of world.sims) {
    const budget = Math.round((world.config.hosts.find((h) => h.name === host)?.vram_gb ?? 0) * 1e9);
    if (sim.counters.vram_peak_bytes > budget)
      broken.push(`${host}: VRAM peak ${sim.counters.vram_peak_bytes} over ${budget}`);
  }
  const status = manager.status();
  const open = status.circuits.filter((c) => c.is_open).map((c) => c.id);
  if (open.length > 0) broken.push(`circuits still open after the faults ended: ${open.join(', ')}`);
  const stuck = status.models.filter((m) => m.state === 'loading').map((m) => m.id);
  if (stuck.length > 0) broken.push(`loads stuck after the faults ended: ${stuck.join(', ')}`);
  await during(world, manager.close(), 'the service to shut down');
  for (const sim of world.sims.values()) await sim.close();
  try {
    const verified = replay(stateDir, { verify: true });
    if (verified.divergence) broken.push(`replay --verify: ${verified.divergence}`);
  } catch (err) {
    broken.push(`replay --verify failed: ${(err as Error).message}`);
  }
  return {
    seed,
    broken,
    fired: fired(),
    faults: schedule.map(({ spec, from, to }) => ({ ...spec, from_s: from, to_s: to })),
  };
}

/** Hours 9 and 10 of the seed's day, from t = 0. */
function busyHours(seed: number): SimRequest[] {
  const from = 9 * 3600;
  return dayRequests(seed)
    .filter((r) => r.t >= from && r.t < from + 2 * 3600)
    .map((r) => ({ ...r, t: r.t - from }));
}

interface Scheduled {
  host: string;
  spec: FaultSpec;
  from: number;
  to: number;
}

function faultSchedule(world: SimWorld, seed: number): Scheduled[] {
  const rng = new Prng(seed * 2654435761);
  const hosts = [...world.sims.keys()];
  const models = Object.keys(world.config.models);
  const out: Scheduled[] = [];
  const n = 4 + rng.int(6);
  for (let i = 0; i < n; i++) {
    const kind = rng.pick(FAULT_KINDS);
    const from = Math.round(rng.next() * (FAULTS_END_S - 600));
    const to = Math.min(FAULTS_END_S, from + 60 + Math.round(rng.next() * 900));
    const spec: FaultSpec = { kind };
    if (kind === 'host_restart') {
      spec.count = 1;
      spec.down_ms = 1000 + rng.int(60_000);
    } else {
      spec.rate = Math.round((0.1 + rng.next() * 0.6) * 100) / 100;
      if (rng.next() < 0.6) spec.model = rng.pick(models);
    }
    if (kind === 'latency') spec.ms = 100 + rng.int(5000);
    if (kind === 'slow_tokens') spec.factor = 2 + rng.int(8);
    out.push({ host: rng.pick(hosts), spec, from, to });
  }
  return out;
}

/** Adds each fault at its start and removes it at its end, on virtual time; returns a count of firings. */
function arm(world: SimWorld, schedule: readonly Scheduled[]): () => number {
  const base = DAY_START;
  let fired = 0;
  const firedOf = (s: Scheduled, id: string) =>
    world.sims
      .get(s.host)!
      .faults.list()
      .find((f) => f.id === id)?.fired ?? 0;
  const live: Array<[Scheduled, string]> = [];
  for (const s of schedule) {
    const sim = world.sims.get(s.host)!;
    let id: string | undefined;
    world.clock.setTimeout(
      () => {
        id = sim.faults.add(s.spec);
        live.push([s, id]);
      },
      Math.max(0, base + s.from * 1000 - world.clock.now()),
    );
    world.clock.setTimeout(
      () => {
        if (id === undefined) return;
        fired += firedOf(s, id);
        sim.faults.remove(id);
        live.splice(
          live.findIndex(([, l]) => l === id),
          1,
        );
      },
      Math.max(0, base + s.to * 1000 - world.clock.now()),
    );
  }
  return () => fired + live.reduce((n, [s, id]) => n + firedOf(s, id), 0);
}
