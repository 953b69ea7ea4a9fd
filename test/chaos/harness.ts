import { expect } from 'vitest';
import { seedWorld } from '../../bench/lib/configs.ts';
import { postJson } from '../../bench/lib/http.ts';
import { type MixedLoadTally, runMixedLoad } from '../../bench/lib/mixed-load.ts';
import { waitSettled } from '../../bench/lib/stuck.ts';
import { benchLogger, startWorld, type World } from '../../bench/lib/world.ts';
import type { Config } from '../../src/config/schema.ts';
import type { FaultSpec } from '../../src/simulator/index.ts';

/** 1/100 of real time: a 5 s interactive deadline is 50 ms, a 4 s load 40 ms, a 60 s open circuit 0.6 s. */
export const SCALE = 0.01;

/** The seed's catalog on a 16 GB host; the open-circuit time is capped low so recovery fits in a test. */
export function chaosConfig(): Readonly<Config> {
  return seedWorld(SCALE, { circuit: { recovery_timeout_max_s: 240 } });
}

const unhandled: unknown[] = [];
let listening = false;

/** Counts unhandled rejections and uncaught exceptions for the whole file (the process would die on them). */
export function watchProcess(): { count(): number; reasons(): string[] } {
  if (!listening) {
    listening = true;
    process.on('unhandledRejection', (reason) => unhandled.push(reason));
    process.on('uncaughtException', (err) => unhandled.push(err));
  }
  return {
    count: () => unhandled.length,
    reasons: () => unhandled.map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r))),
  };
}

export interface CaseReport {
  tally: MixedLoadTally;
  /** Ollama evicting on its own (the manager's ledger should leave it no reason to). */
  schedulerEvictions: number;
  vramPeak: number;
  vramBudget: number;
  /** Models still busy, loading or open once faults are gone and time has passed. */
  stuck: string[];
  recovered: boolean;
  /** The last answer to the requests sent once the faults were cleared. */
  afterwards: string;
  closedInTime: boolean;
  /** Milliseconds spent under load, settling, and closing. */
  phases: { load: number; settle: number; close: number };
  unhandled: string[];
}

/**
 * One cell of the chaos matrix: concurrent mixed traffic while `faults` are installed, then the faults
 * are cleared and the service must settle (nothing in flight, no circuit open, nothing loading forever),
 * answer again, and close.
 */
export async function runChaosCase(
  faults: FaultSpec[],
  opts: { workers?: number; perWorker?: number; seed?: number; settleMs?: number } = {},
): Promise<CaseReport> {
  const watch = watchProcess();
  const before = watch.count();
  const world = await startWorld(chaosConfig(), 'chaos', benchLogger('silent'));
  let closed = false;
  try {
    for (const f of faults) world.sim.faults.add(f);
    const t0 = performance.now();
    const tally = await runMixedLoad({
      url: world.url,
      workers: opts.workers ?? 8,
      perWorker: opts.perWorker ?? 4,
      stop: () => false,
      seed: opts.seed ?? 1,
      timeoutMs: 10_000,
    });
    world.sim.faults.clear();
    const t1 = performance.now();
    const { stuck } = await waitSettled(world.service.manager, opts.settleMs ?? 6000);
    const t2 = performance.now();
    // One unlucky answer right after the storm is allowed (a load may still be racing a deadline):
    // the service must answer one of three requests sent 100 ms apart.
    let probe = await askAfterwards(world);
    for (let i = 0; i < 2 && probe.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      probe = await askAfterwards(world);
    }
    const state = world.sim.state();
    const t3 = performance.now();
    closed = await world.close();
    return {
      phases: {
        load: Math.round(t1 - t0),
        settle: Math.round(t2 - t1),
        close: Math.round(performance.now() - t3),
      },
      tally,
      schedulerEvictions: state.evictions_by_scheduler.length,
      vramPeak: state.vram_peak_bytes,
      vramBudget: state.vram_budget_bytes,
      stuck,
      recovered: probe.status === 200,
      afterwards: `${probe.status} ${probe.transportError ?? probe.text.slice(0, 300)}`,
      closedInTime: closed,
      unhandled: watch.reasons().slice(before),
    };
  } finally {
    if (!closed) await world.sim.close().catch(() => {});
  }
}

function askAfterwards(world: World) {
  return postJson(
    `${world.url}/api/echo/resilient/query`,
    { query: 'are you back?', task_type: 'simple', urgency: 'background' },
    { timeoutMs: 5000 },
  );
}

/** One line per cell, printed after a file's cells ran: what each cell saw, Ollama's own evictions included. */
export function summaryLine(name: string, r: CaseReport): string {
  const t = r.tally;
  return `${name.padEnd(58)} ${String(t.requests).padStart(3)} req, ${String(t.answered).padStart(3)} answered, ${String(t.clearErrors).padStart(3)} clear errors, ${t.lost} lost; Ollama evictions ${r.schedulerEvictions}; load/settle/close ${r.phases.load}/${r.phases.settle}/${r.phases.close} ms`;
}

/** The assertions every cell shares, with messages that say what went wrong. */
export function expectResilient(r: CaseReport): void {
  const t = r.tally;
  expect(t.answered + t.clearErrors + t.lost, 'every request was judged').toBe(t.requests);
  expect(t.lost, `requests lost: ${JSON.stringify(t.lostWhy)}`).toBe(0);
  expect(r.unhandled, 'unhandled rejections or uncaught exceptions').toEqual([]);
  expect(r.vramPeak, 'simulated VRAM peak within the budget').toBeLessThanOrEqual(r.vramBudget);
  expect(r.stuck, 'actors still busy, open or loading after the faults were cleared').toEqual([]);
  expect(r.recovered, `a request after the faults were cleared is answered; got ${r.afterwards}`).toBe(true);
  expect(r.closedInTime, 'the service closes within 5 s').toBe(true);
}
