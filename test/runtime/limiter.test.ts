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

describe('Limiter: earliest deadline first', () => {
  it('serves waiters by deadline, equal deadlines in arrival order, no deadline last', async () => {
    const limiter = new Limiter(1);
    const held = await limiter.acquire();
    const order: string[] = [];
    const wait = (name: string, due?: number) =>
      Promise.resolve(limiter.acquire(undefined, due)).then((release) => {
        order.push(name);
        release();
      });
    const all = [
      wait('batch', 900_000),
      wait('none'),
      wait('background', 30_000),
      wait('interactive', 5_000),
      wait('interactive-2', 5_000),
    ];
    expect(limiter.queued).toBe(5);
    // What an interactive request due at 5 000 would be served before: everything due later.
    expect(limiter.queuedAfter(5_000)).toBe(3);
    expect(limiter.queuedAfter(30_000)).toBe(2);
    expect(limiter.queuedAfter(Number.POSITIVE_INFINITY)).toBe(0);
    held();
    await Promise.all(all);
    expect(order).toEqual(['interactive', 'interactive-2', 'background', 'batch', 'none']);
    expect(limiter.inUse).toBe(0);
  });

  it('takes an aborted waiter out of the middle of the order', async () => {
    const limiter = new Limiter(1);
    const held = await limiter.acquire();
    const ac = new AbortController();
    const order: string[] = [];
    const first = Promise.resolve(limiter.acquire(undefined, 1)).then((r) => {
      order.push('first');
      r();
    });
    const gone = Promise.resolve(limiter.acquire(ac.signal, 2));
    const last = Promise.resolve(limiter.acquire(undefined, 3)).then((r) => {
      order.push('last');
      r();
    });
    ac.abort(new Error('client left'));
    await expect(gone).rejects.toThrow('client left');
    expect(limiter.queuedAfter(1)).toBe(1);
    held();
    await Promise.all([first, last]);
    expect(order).toEqual(['first', 'last']);
  });
});
