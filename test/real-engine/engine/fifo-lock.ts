/**
 * A first-come first-served lock: one holder at a time, waiters served in arrival order. A waiter whose
 * signal aborts leaves the line without ever holding the lock.
 */
export class FifoLock {
  private held = false;
  private readonly waiters: Array<() => void> = [];

  /** How many are waiting (not counting the holder). */
  get waiting(): number {
    return this.waiters.length;
  }

  get busy(): boolean {
    return this.held;
  }

  /** Resolves with a release function once the lock is ours; rejects with the signal's reason on abort. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', leave);
        resolve(this.releaser());
      };
      const leave = () => {
        const at = this.waiters.indexOf(grant);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.waiters.push(grant);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.held = false;
    };
  }
}
