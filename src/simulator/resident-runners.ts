import type { SimClock } from './clock.ts';
import type { SimCounters } from './counters.ts';
import { FOREVER_MS } from './duration.ts';
import type { Runner } from './runner.ts';
import { utcTimestamp } from './time-format.ts';

/**
 * The runners in (simulated) memory, one per model, and their keep-alive: the expiry clock runs only
 * while no request holds a runner, and a runner leaves on expiry, eviction or an explicit unload.
 */
export class ResidentRunners {
  private readonly runners = new Map<string, Runner>();

  constructor(
    private readonly clock: SimClock,
    private readonly counters: SimCounters,
    /** A runner left memory: the scheduler's loop may be waiting for the room. */
    private readonly onUnload: () => void,
  ) {}

  get(name: string): Runner | undefined {
    return this.runners.get(name);
  }

  add(runner: Runner): void {
    this.runners.set(runner.name, runner);
  }

  delete(name: string): void {
    this.runners.delete(name);
  }

  /** A snapshot, in load order. */
  list(): Runner[] {
    return [...this.runners.values()];
  }

  vramUsed(): number {
    let used = 0;
    for (const r of this.runners.values()) used += r.sizeVram;
    return used;
  }

  /** Runners in /api/ps order: latest expiry first. */
  byLatestExpiry(): Array<{ runner: Runner; expiresAtMs: number }> {
    const now = this.clock.wallNow();
    return [...this.runners.values()]
      .map((runner) => ({ runner, expiresAtMs: this.expiresAt(runner, now) }))
      .sort((a, b) => b.expiresAtMs - a.expiresAtMs);
  }

  private expiresAt(runner: Runner, now: number): number {
    if (runner.idleExpiresAt !== undefined) return runner.idleExpiresAt;
    return now + (Number.isFinite(runner.sessionMs) ? runner.sessionMs : FOREVER_MS);
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

  reference(runner: Runner, keepAliveMs: number | undefined): void {
    runner.refCount++;
    this.clock.cancel(runner.expiryTimer);
    runner.expiryTimer = undefined;
    runner.idleExpiresAt = undefined;
    if (keepAliveMs !== undefined) runner.sessionMs = keepAliveMs;
  }

  idle(runner: Runner): void {
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

  evict(victim: Runner): void {
    victim.evicting = true;
    victim.sessionMs = 0;
    this.counters.evictions_by_scheduler.push({ model: victim.name, at: utcTimestamp(this.clock.wallNow()) });
    if (victim.refCount <= 0) this.unload(victim);
  }

  unload(runner: Runner): void {
    if (this.runners.get(runner.name) !== runner) return;
    this.clock.cancel(runner.expiryTimer);
    this.runners.delete(runner.name);
    this.onUnload();
  }

  /** Host restart: every timer cancelled, every slot waiter rejected with `cancelled`, memory emptied. */
  dropAll(cancelled: Error): void {
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
  }
}
