import type { SimClock } from './clock.ts';
import type { SimCounters } from './counters.ts';
import { chooseVictim, fitOnGpu } from './eviction.ts';
import type { HostLimits } from './host-limits.ts';
import { type LoadFaults, ModelLoader } from './model-loader.ts';
import { QUEUE_FULL } from './ollama-errors.ts';
import { type Pending, PendingQueue, type ScheduleRequest, settle } from './pending-queue.ts';
import { ResidentRunners } from './resident-runners.ts';
import type { Runner } from './runner.ts';
import { CancelledError, SchedulerError } from './scheduler-errors.ts';
import { localTimestamp } from './time-format.ts';
import type { SimModelState } from './types.ts';

/**
 * Ollama's scheduler (server/sched.go), event-driven. Requests for a loaded model take it at once;
 * the rest wait in a queue of max_queue (full → 503 at once) that one loop works through in order:
 * it loads one model at a time, waits on that load (so later requests for the model share it), fits
 * models into VRAM and evicts one idle model at a time when they do not fit, waiting when none is idle.
 */
export class Scheduler {
  private readonly queue = new PendingQueue();
  private readonly runners: ResidentRunners;
  private readonly loader: ModelLoader;
  private pumping = false;
  private disposed = false;

  constructor(
    private readonly limits: HostLimits,
    clock: SimClock,
    counters: SimCounters,
    faults: LoadFaults,
  ) {
    this.runners = new ResidentRunners(clock, counters, () => this.queue.wake());
    this.loader = new ModelLoader(limits, clock, counters, faults, this.runners, this.queue);
  }

  /** Resolves with the runner once it is loaded and referenced; call release() when done with it. */
  acquire(req: ScheduleRequest): Promise<Runner> {
    if (req.signal.aborted) return Promise.reject(new CancelledError('request cancelled'));
    const ready = this.runners.get(req.model.name);
    if (ready && ready.status === 'loaded' && !ready.evicting) {
      this.runners.reference(ready, req.keepAliveMs);
      return Promise.resolve(ready);
    }
    if (this.queueLength() >= this.limits.maxQueue)
      return Promise.reject(new SchedulerError(503, QUEUE_FULL));
    return new Promise<Runner>((resolve, reject) => {
      const onAbort = () => this.cancel(p);
      const p: Pending = {
        req,
        settled: false,
        resolve: (runner) => {
          req.signal.removeEventListener('abort', onAbort);
          resolve(runner);
        },
        reject: (err) => {
          req.signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(p);
      void this.pump();
    });
  }

  /** The request is done with the runner: at zero references the keep-alive clock starts. */
  release(runner: Runner): void {
    runner.refCount--;
    if (runner.refCount <= 0) this.runners.idle(runner);
  }

  /** Waits for one of the runner's num_parallel slots. */
  takeSlot(runner: Runner, signal: AbortSignal): Promise<void> {
    return runner.takeSlot(this.limits.numParallel, signal);
  }

  releaseSlot(runner: Runner): void {
    runner.releaseSlot();
  }

  /** keep_alive 0 with no prompt; see ResidentRunners.requestUnload. */
  requestUnload(model: string): boolean {
    return this.runners.requestUnload(model);
  }

  /** Host restart: everything unloaded, every waiter cancelled, no timer left behind. */
  dispose(): void {
    this.disposed = true;
    const cancelled = new CancelledError('host restarted');
    this.queue.settleAll(cancelled);
    this.runners.dropAll(cancelled);
    this.queue.wake();
  }

  queueLength(): number {
    return this.queue.length();
  }

  vramUsed(): number {
    return this.runners.vramUsed();
  }

  /** Runners in /api/ps order: latest expiry first. */
  residents(): Array<{ runner: Runner; expiresAtMs: number }> {
    return this.runners.byLatestExpiry();
  }

  modelStates(): SimModelState[] {
    return this.residents().map(({ runner, expiresAtMs }) => ({
      name: runner.name,
      size: runner.model.sizeBytes,
      size_vram: runner.sizeVram,
      status: runner.status,
      in_flight: runner.active,
      queued: runner.slotWaiters.length + this.queue.queuedFor(runner.name),
      expires_at: localTimestamp(expiresAtMs),
      keep_alive_ms: Number.isFinite(runner.sessionMs) ? runner.sessionMs : null,
    }));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let p = this.queue.shift(); p && !this.disposed; p = this.queue.shift()) {
        if (p.settled) continue;
        this.queue.current = p;
        await this.place(p);
      }
    } finally {
      this.queue.current = undefined;
      this.pumping = false;
    }
  }

  /** sched.go's processPending for one request: loops until it has a runner, an error, or is gone. */
  private async place(p: Pending): Promise<void> {
    const name = p.req.model.name;
    while (!p.settled && !this.disposed) {
      const runner = this.runners.get(name);
      if (runner?.status === 'loading') {
        await runner.loaded;
        continue;
      }
      if (runner && !runner.evicting) {
        this.runners.reference(runner, p.req.keepAliveMs);
        settle(p, runner);
        return;
      }
      if (runner) {
        // Being evicted (busy when chosen): its unload wakes us, then it loads afresh.
        await this.queue.nextUnload(p);
        continue;
      }
      const residents = this.runners.list();
      const sizeVram =
        residents.length >= this.limits.maxLoaded
          ? undefined
          : fitOnGpu(p.req.model.sizeBytes, this.limits.budgetBytes, residents);
      if (sizeVram !== undefined) {
        await this.loader.load(p, sizeVram);
        return;
      }
      // fitOnGpu always fits when nothing is resident, so there is a victim here.
      const victim = chooseVictim(residents)!;
      if (!victim.evicting) this.runners.evict(victim);
      // An idle victim is already gone; a busy one unloads when its last request finishes.
      if (this.runners.get(victim.name) === victim) await this.queue.nextUnload(p);
    }
  }

  private cancel(p: Pending): void {
    if (p.settled) return;
    settle(p, new CancelledError('request cancelled'));
    this.queue.remove(p);
    const runner = this.runners.get(p.req.model.name);
    if (runner) this.loader.abandonIfUnwanted(runner);
    this.queue.wake();
  }
}
