/**
 * Simulated time. Every simulated duration (load, tokens, keep-alive, latency) really elapses through
 * timers, multiplied by `timeScale`; durations reported to clients are the measured real time divided
 * by `timeScale`, so a scaled run still reports realistic figures.
 */
export class SimClock {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(readonly timeScale: number) {}

  /** Monotonic real milliseconds. */
  now(): number {
    return performance.now();
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
  after(simMs: number, fn: () => void): ReturnType<typeof setTimeout> {
    return this.afterReal(this.real(simMs), fn);
  }

  /** Runs `fn` after real milliseconds (capped at setTimeout's 24.8 days). */
  afterReal(realMs: number, fn: () => void): ReturnType<typeof setTimeout> {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        fn();
      },
      Math.min(Math.max(0, realMs), 2_147_483_647),
    );
    t.unref();
    this.timers.add(t);
    return t;
  }

  cancel(t: ReturnType<typeof setTimeout> | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
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
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
