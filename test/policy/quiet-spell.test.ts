import { describe, expect, it } from 'vitest';
import { mayDisplaceWarmSet } from '../../src/policy/planner.ts';
import { InteractivePulse } from '../../src/runtime/interactive-pulse.ts';

/**
 * A model that cannot fit beside the warm set takes the whole card for minutes: background and batch work
 * may load it only in a quiet spell, never while interactive requests are arriving.
 */
describe('who may push the warm set out', () => {
  it('background and batch requests in a quiet spell; never interactive ones, warm or predicted loads', () => {
    expect(mayDisplaceWarmSet('request', 'batch', false, false)).toBe(true);
    expect(mayDisplaceWarmSet('request', 'background', false, false)).toBe(true);
    expect(mayDisplaceWarmSet('request', 'batch', false, true)).toBe(false);
    expect(mayDisplaceWarmSet('request', 'background', false, true)).toBe(false);
    expect(mayDisplaceWarmSet('request', 'interactive', false, false)).toBe(false);
    expect(mayDisplaceWarmSet('predicted', 'batch', false, false)).toBe(false);
    expect(mayDisplaceWarmSet('warm', 'batch', false, false)).toBe(false);
    expect(mayDisplaceWarmSet('preload', 'interactive', true, true)).toBe(true);
  });

  it('a quiet spell is giant_quiet_s without an interactive request; 0 turns the rule off', () => {
    const pulse = new InteractivePulse(600_000);
    expect(pulse.busy(1_000)).toBe(false);
    pulse.seen(1_000);
    expect(pulse.busy(1_000 + 599_999)).toBe(true);
    expect(pulse.busy(1_000 + 600_000)).toBe(false);
    const off = new InteractivePulse(0);
    off.seen(5);
    expect(off.busy(5)).toBe(false);
  });
});
