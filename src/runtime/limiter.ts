import type { CancelSignal } from '../manager/cancel-signal.ts';

interface Waiter {
  /** Epoch ms by which its request must be answered: the queue is served earliest deadline first. */
  due: number;
  grant: () => void;
}

/**
 * A per-model concurrency limit with a queue served earliest deadline first (equal deadlines in arrival
 * order; no deadline counts as the latest). An interactive request that arrives while background or batch
 * work waits for the model goes ahead of it: that work can wait seconds or minutes, the interactive one
 * cannot, and without this it would be sent to a lesser model. Waiting counts against the caller's
 * deadline, so a waiter gives up (and leaves the queue) when its signal aborts. Slots are released exactly
 * once.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly limit: number) {}

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Waiters a request due at `due` would be served before (their deadlines are later). */
  queuedAfter(due: number): number {
    let n = 0;
    for (let i = this.waiting.length - 1; i >= 0 && this.waiting[i]!.due > due; i--) n++;
    return n;
  }

  /**
   * Resolves with a release function once a slot is free; rejects with the signal's reason on abort.
   * `due` is the request's deadline (epoch ms), its place in the queue.
   */
  acquire(signal?: CancelSignal, due = Number.POSITIVE_INFINITY): Promise<() => void> | (() => void) {
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const entry: Waiter = {
        due,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // After every waiter due no later: arrival order among equals. The queue is short (its model's
      // waiting requests), so a scan from the end is cheaper than any heap.
      let at = this.waiting.length;
      while (at > 0 && this.waiting[at - 1]!.due > due) at--;
      this.waiting.splice(at, 0, entry);
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
