import type { CancelSignal } from '../manager/cancel-signal.ts';
/**
 * A per-model concurrency limit with a FIFO queue. Waiting counts against the caller's deadline, so a
 * waiter gives up (and leaves the queue) when its signal aborts. Slots are released exactly once.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void; fail: (err: unknown) => void }> = [];

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason on abort. */
  acquire(signal?: CancelSignal): Promise<() => void> | (() => void) {
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve(this.releaser());
        },
        fail: reject,
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.grant();
    };
  }
}
