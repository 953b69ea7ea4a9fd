import { type CatalogModel, DEFAULT_NUM_CTX } from './catalog.ts';
import type { SimClock } from './clock.ts';
import type { SimCounters } from './counters.ts';
import { FOREVER_MS } from './duration.ts';
import { chooseVictim, fitOnGpu } from './eviction.ts';
import { loadTimeoutText, outOfMemoryText, QUEUE_FULL } from './ollama-errors.ts';
import { Runner } from './runner.ts';
import { CancelledError, SchedulerError } from './scheduler-errors.ts';
import { localTimestamp, utcTimestamp } from './time-format.ts';
import type { SimModelState } from './types.ts';

export interface HostLimits {
  budgetBytes: number;
  numParallel: number;
  maxLoaded: number;
  maxQueue: number;
  defaultKeepAliveMs: number;
  version: string;
}

/** Asked when a load is about to start, so count-limited faults count only loads. */
export interface LoadFaults {
  outOfMemory(model: string): boolean;
  /** undefined: the load succeeds; otherwise it runs for `ms` (default: the model's load time) and fails. */
  loadTimeout(model: string): { ms?: number | undefined } | undefined;
}

export interface ScheduleRequest {
  model: CatalogModel;
  /** undefined keeps the runner's earlier keep-alive (the default on a fresh load). */
  keepAliveMs: number | undefined;
  numCtx?: number | undefined;
  signal: AbortSignal;
}

interface Pending {
  req: ScheduleRequest;
  settled: boolean;
  resolve(runner: Runner): void;
  reject(err: Error): void;
}

/**
 * Ollama's scheduler (server/sched.go), event-driven. Requests for a loaded model take it at once;
 * the rest wait in a queue of max_queue (full → 503 at once) that one loop works through in order:
 * it loads one model at a time, waits on that load (so later requests for the model share it), fits
 * models into VRAM and evicts one idle model at a time when they do not fit, waiting when none is idle.
 */
export class Scheduler {
  private readonly runners = new Map<string, Runner>();
  private readonly pending: Pending[] = [];
  private current: Pending | undefined;
  private pumping = false;
  private disposed = false;
  private wakers = new Set<() => void>();

  constructor(
    private readonly limits: HostLimits,
    private readonly clock: SimClock,
    private readonly counters: SimCounters,
    private readonly faults: LoadFaults,
  ) {}

  /** Resolves with the runner once it is loaded and referenced; call release() when done with it. */
  acquire(req: ScheduleRequest): Promise<Runner> {
    if (req.signal.aborted) return Promise.reject(new CancelledError('request cancelled'));
    const ready = this.runners.get(req.model.name);
    if (ready && ready.status === 'loaded' && !ready.evicting) {
      this.reference(ready, req.keepAliveMs);
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
      this.pending.push(p);
      void this.pump();
    });
  }

  /** The request is done with the runner: at zero references the keep-alive clock starts. */
  release(runner: Runner): void {
    runner.refCount--;
    if (runner.refCount <= 0) this.idle(runner);
  }

  /** Waits for one of the runner's num_parallel slots. */
  takeSlot(runner: Runner, signal: AbortSignal): Promise<void> {
    return runner.takeSlot(this.limits.numParallel, signal);
  }

  releaseSlot(runner: Runner): void {
    runner.releaseSlot();
  }

  /**
   * keep_alive 0 with no prompt: unload now, or once in-flight requests finish. Returns false when the
   * model is not in memory (Ollama answers "unload" all the same).
   */
  requestUnload(model: string): boolean {
    const runner = this.runners.get(model);
    if (!runner) return false;
    runner.sessionMs = 0;
    this.clock.cancel(runner.expiryTimer);
    if (runner.status === 'loaded' && runner.refCount <= 0) this.unload(runner);
    return true;
  }

  /** Host restart: everything unloaded, every waiter cancelled, no timer left behind. */
  dispose(): void {
    this.disposed = true;
    const cancelled = new CancelledError('host restarted');
    for (const p of [...this.pending, ...(this.current ? [this.current] : [])]) this.settle(p, cancelled);
    this.pending.length = 0;
    for (const runner of this.runners.values()) {
      this.clock.cancel(runner.expiryTimer);
      this.clock.cancel(runner.loadTimer);
      for (const w of runner.slotWaiters) {
        w.settled = true;
        w.reject(cancelled);
      }
      runner.slotWaiters = [];
      runner.settleLoad();
    }
    this.runners.clear();
    this.wake();
  }

  queueLength(): number {
    return this.pending.filter((p) => !p.settled).length;
  }

  vramUsed(): number {
    let used = 0;
    for (const r of this.runners.values()) used += r.sizeVram;
    return used;
  }

  /** Runners in /api/ps order: latest expiry first. */
  residents(): Array<{ runner: Runner; expiresAtMs: number }> {
    const now = this.clock.wallNow();
    return [...this.runners.values()]
      .map((runner) => ({ runner, expiresAtMs: this.expiresAt(runner, now) }))
      .sort((a, b) => b.expiresAtMs - a.expiresAtMs);
  }

  modelStates(): SimModelState[] {
    return this.residents().map(({ runner, expiresAtMs }) => ({
      name: runner.name,
      size: runner.model.sizeBytes,
      size_vram: runner.sizeVram,
      status: runner.status,
      in_flight: runner.active,
      queued:
        runner.slotWaiters.length +
        this.pending.filter((p) => !p.settled && p.req.model.name === runner.name).length,
      expires_at: localTimestamp(expiresAtMs),
      keep_alive_ms: Number.isFinite(runner.sessionMs) ? runner.sessionMs : null,
    }));
  }

  private expiresAt(runner: Runner, now: number): number {
    if (runner.idleExpiresAt !== undefined) return runner.idleExpiresAt;
    return now + (Number.isFinite(runner.sessionMs) ? runner.sessionMs : FOREVER_MS);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let p = this.pending.shift(); p && !this.disposed; p = this.pending.shift()) {
        if (p.settled) continue;
        this.current = p;
        await this.place(p);
      }
    } finally {
      this.current = undefined;
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
        this.reference(runner, p.req.keepAliveMs);
        this.settle(p, runner);
        return;
      }
      if (runner) {
        // Being evicted (busy when chosen): its unload wakes us, then it loads afresh.
        await this.nextUnload(p);
        continue;
      }
      const residents = [...this.runners.values()];
      const sizeVram =
        residents.length >= this.limits.maxLoaded
          ? undefined
          : fitOnGpu(p.req.model.sizeBytes, this.limits.budgetBytes, residents);
      if (sizeVram !== undefined) {
        await this.load(p, sizeVram);
        return;
      }
      // fitOnGpu always fits when nothing is resident, so there is a victim here.
      const victim = chooseVictim(residents)!;
      if (!victim.evicting) this.evict(victim);
      // An idle victim is already gone; a busy one unloads when its last request finishes.
      if (this.runners.get(victim.name) === victim) await this.nextUnload(p);
    }
  }

  private async load(p: Pending, sizeVram: number): Promise<void> {
    const model = p.req.model;
    if (this.faults.outOfMemory(model.name)) {
      const free = this.limits.budgetBytes - this.vramUsed();
      this.settle(p, new SchedulerError(500, outOfMemoryText(this.limits.version, model.sizeBytes, free)));
      return;
    }
    const doomed = this.faults.loadTimeout(model.name);
    const keepAlive = p.req.keepAliveMs ?? this.limits.defaultKeepAliveMs;
    const runner = new Runner(model, sizeVram, keepAlive, p.req.numCtx ?? DEFAULT_NUM_CTX);
    this.runners.set(model.name, runner);
    this.counters.loads_total++;
    this.counters.vram_peak_bytes = Math.max(this.counters.vram_peak_bytes, this.vramUsed());
    const loadMs = doomed ? (doomed.ms ?? model.spec.load_time_s * 1000) : model.spec.load_time_s * 1000;
    runner.loadTimer = this.clock.after(loadMs, () => {
      runner.loadTimer = undefined;
      this.counters.load_ms_total += loadMs;
      if (doomed) this.failLoad(runner, p);
      else this.finishLoad(runner, p);
    });
    // A disconnect of `p` reaches cancel(), which abandons the load unless someone else still wants it.
    await runner.loaded;
  }

  private finishLoad(runner: Runner, trigger: Pending): void {
    runner.status = 'loaded';
    if (!trigger.settled) {
      this.reference(runner, trigger.req.keepAliveMs);
      this.settle(trigger, runner);
    } else {
      // Loaded for requests that are still queued behind the one that triggered it.
      this.idle(runner);
    }
    runner.settleLoad();
  }

  private failLoad(runner: Runner, trigger: Pending): void {
    this.runners.delete(runner.name);
    this.counters.loads_failed++;
    this.settle(trigger, new SchedulerError(500, loadTimeoutText(this.limits.version)));
    runner.settleLoad();
    this.wake();
  }

  /** Ollama abandons a load whose client went away, unless another queued request wants the model. */
  private abandonIfUnwanted(runner: Runner): void {
    if (runner.status !== 'loading' || this.runners.get(runner.name) !== runner) return;
    const wants = (p: Pending | undefined) =>
      p !== undefined && !p.settled && p.req.model.name === runner.name;
    if (wants(this.current) || this.pending.some(wants)) return;
    this.clock.cancel(runner.loadTimer);
    this.runners.delete(runner.name);
    this.counters.loads_abandoned++;
    runner.settleLoad();
    this.wake();
  }

  private cancel(p: Pending): void {
    if (p.settled) return;
    this.settle(p, new CancelledError('request cancelled'));
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
    const runner = this.runners.get(p.req.model.name);
    if (runner) this.abandonIfUnwanted(runner);
    this.wake();
  }

  private settle(p: Pending, outcome: Runner | Error): void {
    if (p.settled) return;
    p.settled = true;
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  private reference(runner: Runner, keepAliveMs: number | undefined): void {
    runner.refCount++;
    this.clock.cancel(runner.expiryTimer);
    runner.expiryTimer = undefined;
    runner.idleExpiresAt = undefined;
    if (keepAliveMs !== undefined) runner.sessionMs = keepAliveMs;
  }

  private idle(runner: Runner): void {
    if (this.runners.get(runner.name) !== runner || runner.refCount > 0) return;
    if (runner.evicting || runner.sessionMs <= 0) {
      if (!runner.evicting) this.counters.expirations_total++;
      this.unload(runner);
      return;
    }
    if (!Number.isFinite(runner.sessionMs)) return;
    runner.idleExpiresAt = this.clock.wallNow() + runner.sessionMs;
    runner.expiryTimer = this.clock.after(runner.sessionMs, () => {
      runner.expiryTimer = undefined;
      if (runner.refCount > 0) return;
      this.counters.expirations_total++;
      this.unload(runner);
    });
  }

  private evict(victim: Runner): void {
    victim.evicting = true;
    victim.sessionMs = 0;
    this.counters.evictions_by_scheduler.push({ model: victim.name, at: utcTimestamp(this.clock.wallNow()) });
    if (victim.refCount <= 0) this.unload(victim);
  }

  private unload(runner: Runner): void {
    if (this.runners.get(runner.name) !== runner) return;
    this.clock.cancel(runner.expiryTimer);
    this.runners.delete(runner.name);
    this.wake();
  }

  /** Resolves at the next unload, failed or abandoned load, or cancellation: the loop looks again. */
  private nextUnload(p: Pending): Promise<void> {
    if (p.settled) return Promise.resolve();
    return new Promise((resolve) => this.wakers.add(resolve));
  }

  private wake(): void {
    const wakers = this.wakers;
    this.wakers = new Set();
    for (const w of wakers) w();
  }
}
