import { describe, expect, it } from 'vitest';
import { FifoLock } from './engine/fifo-lock.ts';

describe('FifoLock (one request per model, the rest in arrival order)', () => {
  it('grants the lock in arrival order, one holder at a time', async () => {
    const lock = new FifoLock();
    const order: number[] = [];
    const releaseFirst = await lock.acquire();
    const waiters = [1, 2, 3].map((n) =>
      lock.acquire().then((release) => {
        order.push(n);
        release();
      }),
    );
    expect(lock.waiting).toBe(3);
    expect(order).toEqual([]);
    releaseFirst();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(lock.busy).toBe(false);
  });

  it('drops a waiter whose signal aborts, without ever granting it', async () => {
    const lock = new FifoLock();
    const release = await lock.acquire();
    const abort = new AbortController();
    const leaving = lock.acquire(abort.signal);
    const staying = lock.acquire();
    abort.abort(new Error('client left'));
    await expect(leaving).rejects.toThrow('client left');
    expect(lock.waiting).toBe(1);
    release();
    const next = await staying;
    expect(lock.busy).toBe(true);
    next();
    next(); // a second release is a no-op, not a release of someone else's hold
    expect(lock.busy).toBe(false);
  });
});
