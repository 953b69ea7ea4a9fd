import type { Clock } from '../time/clock.ts';

/** A timer handle: Node's Timeout on real time, the base clock's handle on virtual time. */
export type SimTimer = unknown;

/**
 * Simulated time. Every simulated duration (load, tokens, keep-alive, latency) really elapses through
 * timers, multiplied by `timeScale`; durations reported to clients are the measured real time divided
 * by `timeScale`, so a scaled run still reports realistic figures.
 *
 * Given a `base` clock (the deterministic simulation's virtual clock), time and timers come from it
 * instead of the machine: the same simulator code then runs in virtual time, in-process, repeatably.
 */
export class SimClock {
  private readonly timers = new Set<SimTimer>();

  constructor(
    readonly timeScale: number,
    private readonly base?: Clock,
  ) {}

  /** Monotonic real milliseconds. */
  now(): number {
    return this.base ? this.base.now() : performance.now();
  }

  /** Wall-clock milliseconds since the epoch (timestamps in answers, keep-alive expiry shown by /api/ps). */
  wallNow(): number {
    return this.base ? this.base.now() : Date.now();
  }

  /** Real milliseconds a simulated duration takes. */
  real(simMs: number): number {
    return simMs * this.timeScale;
  }

  /** Simulated nanoseconds (integer) for a real elapsed time in milliseconds. */
  simNs(realMs: number): number {
    return Math.round((realMs / this.timeScale) * 1e6);
  }

  /** Runs `fn` after a simulated duration. Timers never keep the process alive; dispose() clears them. */
  after(simMs: number, fn: () => void): SimTimer {
    return this.afterReal(this.real(simMs), fn);
  }

  /** Runs `fn` after real milliseconds (capped at setTimeout's 24.8 days). */
  afterReal(realMs: number, fn: () => void): SimTimer {
    const ms = Math.min(Math.max(0, realMs), 2_147_483_647);
    const run = () => {
      this.timers.delete(t);
      fn();
    };
    let t: SimTimer;
    if (this.base) {
      t = this.base.setTimeout(run, ms);
    } else {
      const node = setTimeout(run, ms);
      node.unref();
      t = node;
    }
    this.timers.add(t);
    return t;
  }

  cancel(t: SimTimer | undefined): void {
    if (t === undefined) return;
    if (this.base) this.base.clearTimeout(t);
    else clearTimeout(t as ReturnType<typeof setTimeout>);
    this.timers.delete(t);
  }

  /** Resolves after a simulated duration, or early (false) when `signal` aborts. */
  sleep(simMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.cancel(t);
        resolve(false);
      };
      const t = this.after(simMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  dispose(): void {
    for (const t of this.timers) this.cancel(t);
    this.timers.clear();
  }
}
