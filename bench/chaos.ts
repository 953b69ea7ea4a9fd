import { startConductor } from './lib/conductor.ts';
import { seedWorld } from './lib/configs.ts';
import { runMixedLoad } from './lib/mixed-load.ts';
import { round, type Summary, summarise } from './lib/stats.ts';
import { waitSettled } from './lib/stuck.ts';
import { startWorld } from './lib/world.ts';

export interface ChaosBenchResult {
  duration_s: number;
  connections: number;
  fault_rate: number;
  scale: number;
  requests: number;
  answered: number;
  clear_errors: number;
  lost: number;
  lost_why: Record<string, number>;
  errors_by_code: Record<string, number>;
  latency: Summary;
  fault_sets: number;
  kinds_seen: string[];
  unhandled_rejections: number;
  stuck_after: string[];
  settle_ms: number;
  vram_peak_gb: number;
  vram_budget_gb: number;
  evictions_by_ollama: number;
  closed_in_time: boolean;
  pass: boolean;
}

/**
 * 64 closed-loop clients of mixed shapes for `duration` while a conductor keeps ~20% of requests under
 * some fault, every kind in turn and in pairs. Pass: nothing lost, no unhandled rejection, the service
 * settles once the faults stop (nothing in flight, no circuit open, nothing loading), VRAM within budget.
 */
export async function runChaosBench(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<ChaosBenchResult> {
  const durationS = opts.quick ? 15 : 60;
  const connections = 64;
  const scale = 0.02;
  const config = seedWorld(scale, { circuit: { recovery_timeout_max_s: 240 } });
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown) => unhandled.push(r);
  process.on('unhandledRejection', onUnhandled);
  const world = await startWorld(config, 'chaos');
  try {
    const conductor = startConductor({
      add: (spec) => world.sim.faults.add(spec),
      clear: () => world.sim.faults.clear(),
      scale,
      rate: 0.2,
      everyMs: 3000,
      seed: 5,
      models: Object.keys(config.models),
    });
    const until = performance.now() + durationS * 1000;
    const tally = await runMixedLoad({
      url: world.url,
      workers: connections,
      stop: () => performance.now() >= until,
      seed: 3,
      timeoutMs: 30_000,
      urgencies: ['interactive', 'interactive', 'background', 'batch'],
    });
    await conductor.stop();
    const { stuck, ms: settleMs } = await waitSettled(world.service.manager, 15_000);
    const state = world.sim.state();
    const closed = await world.close();
    const result: ChaosBenchResult = {
      duration_s: durationS,
      connections,
      fault_rate: 0.2,
      scale,
      requests: tally.requests,
      answered: tally.answered,
      clear_errors: tally.clearErrors,
      lost: tally.lost,
      lost_why: tally.lostWhy,
      errors_by_code: tally.byCode,
      latency: summarise(tally.latency),
      fault_sets: conductor.history.length,
      kinds_seen: [...new Set(conductor.history.flatMap((h) => h.split('+')))].sort(),
      unhandled_rejections: unhandled.length,
      stuck_after: stuck,
      settle_ms: settleMs,
      vram_peak_gb: round(state.vram_peak_bytes / 1e9, 2),
      vram_budget_gb: round(state.vram_budget_bytes / 1e9, 2),
      evictions_by_ollama: state.evictions_by_scheduler.length,
      closed_in_time: closed,
      pass: false,
    };
    result.pass =
      result.lost === 0 &&
      result.unhandled_rejections === 0 &&
      stuck.length === 0 &&
      state.vram_peak_bytes <= state.vram_budget_bytes &&
      closed;
    opts.log(
      `chaos: ${result.requests} requests, ${result.answered} answered, ${result.clear_errors} clear errors, ${result.lost} lost; ${stuck.length} stuck; ${result.pass ? 'PASS' : 'FAIL'}`,
    );
    return result;
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await world.sim.close().catch(() => {});
  }
}
