import { describe, expect, it } from 'vitest';
import { serviceTimeMs, tokenTimeMs } from '../../src/runtime/attempt-helpers.ts';

describe('serviceTimeMs: the model’s share of a call, on our clock', () => {
  it('takes Ollama’s proportions, not its units: a compressed host reports simulated nanoseconds', () => {
    // 40 real ms for a call the host says took 4 s, 1 s of it queued: 30 of our ms were the answer.
    const f = { total_duration: 4e9, prompt_eval_duration: 0.5e9, eval_duration: 2.5e9 };
    expect(serviceTimeMs(40, f)).toBeCloseTo(30, 9);
  });

  it('is the whole call when the host spent all of it answering, and never more', () => {
    expect(serviceTimeMs(2000, { total_duration: 1e9, eval_duration: 1e9 })).toBe(2000);
    expect(serviceTimeMs(2000, { total_duration: 1e9, prompt_eval_duration: 1e9, eval_duration: 1e9 })).toBe(
      2000,
    );
  });

  it('says nothing when the host did not time the answer', () => {
    expect(serviceTimeMs(100, {})).toBeUndefined();
    expect(serviceTimeMs(100, { eval_duration: 1e6 })).toBeUndefined();
    expect(serviceTimeMs(100, { total_duration: 0, eval_duration: 1e6 })).toBeUndefined();
  });
});

describe('tokenTimeMs: one generated token on our clock', () => {
  it('is the call’s generation share over the tokens generated', () => {
    const f = { total_duration: 4e9, prompt_eval_duration: 0.5e9, eval_duration: 2e9, eval_count: 50 };
    expect(tokenTimeMs(40, f)).toBeCloseTo(0.4, 9);
  });

  it('says nothing without a count or a timing', () => {
    expect(tokenTimeMs(40, { total_duration: 4e9, eval_duration: 2e9 })).toBeUndefined();
    expect(tokenTimeMs(40, { total_duration: 4e9, eval_duration: 2e9, eval_count: 0 })).toBeUndefined();
    expect(tokenTimeMs(40, { eval_count: 5 })).toBeUndefined();
  });
});
