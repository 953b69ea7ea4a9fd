import { describe, expect, it } from 'vitest';
import { withFields } from '../../src/with-fields.ts';

/** The request path's replacement for `{ ...base, key: value }`: the same object, built the fast way. */
describe('withFields', () => {
  it('equals the spread: same keys, same order, later fields winning, base untouched', () => {
    const base = { type: 'REQUEST_SUCCEEDED', latencyMs: 12, now: undefined as number | undefined };
    const spread = { ...base, now: 5, extra: true };
    const built = withFields(base, { now: 5, extra: true });
    expect(built).toStrictEqual(spread);
    expect(Object.keys(built)).toEqual(Object.keys(spread));
    expect(JSON.stringify(built)).toBe(JSON.stringify(spread));
    expect(base.now).toBeUndefined();
    expect(built).not.toBe(base);
  });

  it('copies own enumerable fields only, as a spread does', () => {
    const proto = { inherited: 1 };
    const base = Object.create(proto) as Record<string, unknown>;
    base['own'] = 2;
    Object.defineProperty(base, 'hidden', { value: 3, enumerable: false });
    expect(withFields(base, { added: 4 })).toStrictEqual({ own: 2, added: 4 });
  });
});
