import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import {
  backoffCeiling,
  backoffDelay,
  backoffOptionsFrom,
  createBackoff,
  DEFAULT_BACKOFF,
} from '../../src/policy/backoff.ts';

describe('exponential backoff with full jitter', () => {
  it("has the seed's ceilings: 1, 2, 4 s, then stays at 4 s", () => {
    expect([0, 1, 2, 3, 10, 1000].map((r) => backoffCeiling(r, DEFAULT_BACKOFF))).toEqual([
      1000, 2000, 4000, 4000, 4000, 4000,
    ]);
  });

  it('draws the delay uniformly below the ceiling from the injected random source', () => {
    const opts = { ...DEFAULT_BACKOFF, random: () => 0.25 };
    expect([0, 1, 2].map((r) => backoffDelay(r, opts))).toEqual([250, 500, 1000]);
    expect(backoffDelay(1, { ...DEFAULT_BACKOFF, random: () => 0 })).toBe(0);
    expect(backoffDelay(1, { ...DEFAULT_BACKOFF, random: () => 0.999 })).toBeCloseTo(1998, 6);
  });

  it('stays within [0, ceiling] for any attempt and any random source, broken ones included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 2)),
        fc.double({ min: 0, max: 10_000, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        (retry, r, baseMs, factor) => {
          const opts = { baseMs, maxMs: baseMs * 4, factor, random: () => r };
          const d = backoffDelay(retry, opts);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(backoffCeiling(retry, opts));
          expect(Number.isFinite(d)).toBe(true);
        },
      ),
    );
  });

  it('spreads delays over the whole range (full jitter, not equal jitter)', () => {
    let seed = 7;
    // A small deterministic LCG: the test must not depend on Math.random.
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const next = createBackoff({ baseMs: 1000, maxMs: 4000, random });
    const delays = Array.from({ length: 2000 }, () => next(2));
    expect(Math.min(...delays)).toBeLessThan(200);
    expect(Math.max(...delays)).toBeGreaterThan(3800);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(1800);
    expect(mean).toBeLessThan(2200);
  });

  it('reads the retry section of the config, scaled or not', () => {
    const opts = backoffOptionsFrom(scaledConfig(1), () => 0.5);
    expect(opts).toMatchObject({ baseMs: 1000, maxMs: 4000, factor: 2 });
    const fast = backoffOptionsFrom(scaledConfig(0.001), () => 0.5);
    expect(fast.baseMs).toBeCloseTo(1, 9);
    expect(backoffDelay(2, fast)).toBeCloseTo(2, 9);
  });
});
