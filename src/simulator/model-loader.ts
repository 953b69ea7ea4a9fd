import { DEFAULT_NUM_CTX } from './catalog.ts';
import type { SimClock } from './clock.ts';
import type { SimCounters } from './counters.ts';
import type { HostLimits } from './host-limits.ts';
import { loadTimeoutText, outOfMemoryText } from './ollama-errors.ts';
import { type Pending, type PendingQueue, settle } from './pending-queue.ts';
import type { ResidentRunners } from './resident-runners.ts';
import { Runner } from './runner.ts';
import { SchedulerError } from './scheduler-errors.ts';

/** Asked when a load is about to start, so count-limited faults count only loads. */
export interface LoadFaults {
  outOfMemory(model: string): boolean;
  /** undefined: the load succeeds; otherwise it runs for `ms` (default: the model's load time) and fails. */
  loadTimeout(model: string): { ms?: number | undefined } | undefined;
}

/**
 * Loads a model for the request that triggered it: the runner is resident (and counted in VRAM) from the
 * start, and the load ends after the model's load time, fails on an injected fault, or is abandoned.
 */
export class ModelLoader {
  constructor(
    private readonly limits: HostLimits,
    private readonly clock: SimClock,
    private readonly counters: SimCounters,
    private readonly faults: LoadFaults,
    private readonly runners: ResidentRunners,
    private readonly queue: PendingQueue,
  ) {}

  async load(p: Pending, sizeVram: number): Promise<void> {
    const model = p.req.model;
    if (this.faults.outOfMemory(model.name)) {
      const free = this.limits.budgetBytes - this.runners.vramUsed();
      settle(p, new SchedulerError(500, outOfMemoryText(this.limits.version, model.sizeBytes, free)));
      return;
    }
    const doomed = this.faults.loadTimeout(model.name);
    const keepAlive = p.req.keepAliveMs ?? this.limits.defaultKeepAliveMs;
    const runner = new Runner(model, sizeVram, keepAlive, p.req.numCtx ?? DEFAULT_NUM_CTX);
    this.runners.add(runner);
    this.counters.loads_total++;
    this.counters.vram_peak_bytes = Math.max(this.counters.vram_peak_bytes, this.runners.vramUsed());
    const loadMs = doomed ? (doomed.ms ?? model.spec.load_time_s * 1000) : model.spec.load_time_s * 1000;
    runner.loadTimer = this.clock.after(loadMs, () => {
      runner.loadTimer = undefined;
      this.counters.load_ms_total += loadMs;
      if (doomed) this.failLoad(runner, p);
      else this.finishLoad(runner, p);
    });
    // A disconnect of `p` reaches abandonIfUnwanted(), which abandons the load unless someone else still
    // wants it.
    await runner.loaded;
  }

  /** Ollama abandons a load whose client went away, unless another queued request wants the model. */
  abandonIfUnwanted(runner: Runner): void {
    if (runner.status !== 'loading' || this.runners.get(runner.name) !== runner) return;
    if (this.queue.wants(runner.name)) return;
    this.clock.cancel(runner.loadTimer);
    this.runners.delete(runner.name);
    this.counters.loads_abandoned++;
    runner.settleLoad();
    this.queue.wake();
  }

  private finishLoad(runner: Runner, trigger: Pending): void {
    runner.status = 'loaded';
    if (!trigger.settled) {
      this.runners.reference(runner, trigger.req.keepAliveMs);
      settle(trigger, runner);
    } else {
      // Loaded for requests that are still queued behind the one that triggered it.
      this.runners.idle(runner);
    }
    runner.settleLoad();
  }

  private failLoad(runner: Runner, trigger: Pending): void {
    this.runners.delete(runner.name);
    this.counters.loads_failed++;
    settle(trigger, new SchedulerError(500, loadTimeoutText(this.limits.version)));
    runner.settleLoad();
    this.queue.wake();
  }
}
