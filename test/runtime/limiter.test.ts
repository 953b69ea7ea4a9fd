import { describe, expect, it } from 'vitest';
import { Limiter } from '../../src/runtime/limiter.ts';

describe('Limiter', () => {
  it('grants up to the limit at once and queues the rest in order', async () => {
    const limiter = new Limiter(2);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const order: string[] = [];
    const c = Promise.resolve(limiter.acquire()).then((release) => {
      order.push('c');
      return release;
    });
    const d = Promise.resolve(limiter.acquire()).then((release) => {
      order.push('d');
      return release;
    });
    expect(limiter.inUse).toBe(2);
    expect(limiter.queued).toBe(2);
    a();
    a(); // a double release must not free a second slot
    const releaseC = await c;
    expect(order).toEqual(['c']);
    expect(limiter.queued).toBe(1);
    b();
    await d;
    expect(order).toEqual(['c', 'd']);
    releaseC();
    expect(limiter.inUse).toBe(1);
  });

  it('removes an aborted waiter from the queue', async () => {
    const limiter = new Limiter(1);
    const release = await limiter.acquire();
    const ac = new AbortController();
    const waiting = Promise.resolve(limiter.acquire(ac.signal));
    ac.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(limiter.queued).toBe(0);
    release();
    expect(limiter.inUse).toBe(0);
  });
});
