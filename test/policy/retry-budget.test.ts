import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import { RetryBudget, retryBudgetOptionsFrom } from '../../src/policy/retry-budget.ts';

const T0 = 1_700_000_000_000;

describe('retry budget', () => {
  it('always allows the minimum per window, then a share of the requests', () => {
    const b = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minRetries: 3 });
    expect([1, 2, 3, 4].map(() => b.tryAcquireRetry(T0))).toEqual([true, true, true, false]);
    for (let i = 0; i < 10; i++) b.recordRequest(T0 + 1);
    // 3 + 0.2 × 10 = 5 allowed, 3 taken.
    expect(b.view(T0 + 1)).toEqual({ requests: 10, retries: 3, allowed: 5, available: 2 });
    expect(b.tryAcquireRetry(T0 + 2)).toBe(true);
    expect(b.tryAcquireRetry(T0 + 2)).toBe(true);
    expect(b.tryAcquireRetry(T0 + 2)).toBe(false);
    expect(b.canRetry(T0 + 2)).toBe(false);
  });

  it('forgets what slid out of the window', () => {
    const b = new RetryBudget({ ratio: 0.5, windowMs: 1000, minRetries: 0, buckets: 10 });
    for (let i = 0; i < 10; i++) b.recordRequest(T0);
    expect(b.view(T0).allowed).toBe(5);
    expect(b.view(T0 + 899).requests).toBe(10);
    expect(b.view(T0 + 1000).requests).toBe(0);
    expect(b.canRetry(T0 + 1000)).toBe(false);
  });

  it('an outage cannot turn into a retry storm: each granted retry fits min + ratio × requests of its window', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 10, max: 10_000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.boolean()), { minLength: 1, maxLength: 400 }),
        (ratio, minRetries, windowMs, steps) => {
          const b = new RetryBudget({ ratio, windowMs, minRetries, buckets: 10 });
          const bucketMs = windowMs / 10;
          let now = T0;
          const log: Array<{ at: number; retry: boolean }> = [];
          let granted = 0;
          for (const [dt, isRetry] of steps) {
            now += dt;
            if (!isRetry) {
              b.recordRequest(now);
              log.push({ at: now, retry: false });
              continue;
            }
            if (!b.tryAcquireRetry(now)) continue;
            granted++;
            log.push({ at: now, retry: true });
            // Reference model on exact times: the bucketed window always covers the last
            // (window − one bucket) and never reaches back a whole window.
            const retries = log.filter((e) => e.retry && e.at >= now - (windowMs - bucketMs)).length;
            const requests = log.filter((e) => !e.retry && e.at > now - windowMs).length;
            expect(retries).toBeLessThanOrEqual(minRetries + ratio * requests + 1e-9);
          }
          // With no requests at all, only the minimum per window is ever granted.
          if (!steps.some(([, isRetry]) => !isRetry)) {
            const span = now - T0;
            expect(granted).toBeLessThanOrEqual(minRetries * (Math.floor(span / bucketMs) + 1));
          }
        },
      ),
    );
  });

  it('counts a bucket in its window whatever rounding does at epoch-millisecond magnitudes (found by fast-check)', () => {
    const b = new RetryBudget({ ratio: 0, windowMs: 516, minRetries: 1, buckets: 10 });
    let now = T0;
    const granted: boolean[] = [];
    for (const [dt, retry] of [
      [196, false],
      [11, false],
      [22, false],
      [109, true],
      [20, false],
      [176, false],
      [235, true],
    ] as const) {
      now += dt;
      if (retry) granted.push(b.tryAcquireRetry(now));
      else b.recordRequest(now);
    }
    // 431 ms apart, inside one 516 ms window: with no ratio, one retry per window.
    expect(granted).toEqual([true, false]);
  });

  it('saves and restores its state', () => {
    const b = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minRetries: 1 });
    for (let i = 0; i < 20; i++) b.recordRequest(T0 + i);
    b.tryAcquireRetry(T0 + 30);
    const saved = JSON.parse(JSON.stringify(b.toJSON()));
    const c = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minRetries: 1 }, saved);
    expect(c.view(T0 + 40)).toEqual(b.view(T0 + 40));
    // A state saved with another bucket count is not misread: the budget starts empty.
    const d = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minRetries: 1, buckets: 5 }, saved);
    expect(d.view(T0 + 40).requests).toBe(0);
  });

  it('counts a late event (clock stepped back) in the bucket it finds, without clearing it', () => {
    const b = new RetryBudget({ ratio: 1, windowMs: 1000, minRetries: 0, buckets: 10 });
    b.recordRequest(T0 + 500);
    b.recordRequest(T0 + 450);
    expect(b.view(T0 + 500).requests).toBe(2);
  });

  it('rejects nonsense options and tolerates a zero window', () => {
    expect(() => new RetryBudget({ ratio: -1, windowMs: 1000, minRetries: 0 })).toThrow(RangeError);
    const z = new RetryBudget({ ratio: 0.2, windowMs: 0, minRetries: 2 });
    expect(z.tryAcquireRetry(T0)).toBe(true);
    expect(z.tryAcquireRetry(T0)).toBe(true);
    expect(z.tryAcquireRetry(T0)).toBe(false);
    expect(z.tryAcquireRetry(T0 + 1000)).toBe(true);
  });

  it('reads the retry section of the config', () => {
    expect(retryBudgetOptionsFrom(scaledConfig(1))).toEqual({ ratio: 0.2, windowMs: 10_000, minRetries: 3 });
  });
});
