import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAINS } from '../../src/config/defaults.ts';
import { SWAP_MARGIN, swapVerdict } from '../../src/policy/residency.ts';

const chainOf = (task: string) => DEFAULT_CHAINS[task];
const residents = ['deepseek-r1:14b', 'llama3.2:3b', 'deepseek-coder:latest'];

describe('swapVerdict: is a speculative load worth what it evicts', () => {
  it('keeps the reasoning model through an afternoon of reasoning when a simple question wants the 8b', () => {
    const v = swapVerdict({
      newcomer: 'llama3.2:8b',
      victims: ['deepseek-r1:14b'],
      residents,
      demand: { reasoning: 6, general: 2, simple: 1 },
      chainOf,
    });
    // 8b adds 0.05 per simple request over the 3b; losing the 14b costs reasoning 0.42, general 0.15 each.
    expect(v.gain).toBeCloseTo(0.05 + 2 * 0.15 + 6 * 0.15, 5);
    expect(v.loss).toBeCloseTo(6 * 0.42 + 2 * 0.15, 5);
    expect(v.worth).toBe(false);
    expect(v.reason).toContain('not worth evicting deepseek-r1:14b for llama3.2:8b');
  });

  it('lets the 8b in once the evening is simple questions and small talk', () => {
    const v = swapVerdict({
      newcomer: 'llama3.2:8b',
      victims: ['deepseek-r1:14b'],
      residents,
      demand: { simple: 8, general: 1, reasoning: 0.2 },
      chainOf,
    });
    expect(v.gain).toBeGreaterThan(v.loss * SWAP_MARGIN);
    expect(v.worth).toBe(true);
  });

  it('does not flip on a tie: the margin keeps what is loaded', () => {
    // general scores both models 0.85: swapping one for the other gains nothing.
    const v = swapVerdict({
      newcomer: 'llama3.2:8b',
      victims: ['deepseek-r1:14b'],
      residents: ['deepseek-r1:14b', 'llama3.2:3b'],
      demand: { general: 5 },
      chainOf,
    });
    expect(v.gain).toBeCloseTo(v.loss, 9);
    expect(v.worth).toBe(false);
  });

  it('counts only what the victims give beyond the models that stay', () => {
    // The 3b stays: losing tinyllama costs only the 0.05 by which it beats the 3b on fast_response.
    const v = swapVerdict({
      newcomer: 'deepseek-coder:latest',
      victims: ['tinyllama:latest'],
      residents: ['tinyllama:latest', 'llama3.2:3b'],
      demand: { fast_response: 10, code_generation: 1 },
      chainOf,
    });
    expect(v.loss).toBeCloseTo(10 * (1.0 - 0.95), 9);
    expect(v.gain).toBeCloseTo(1 * 0.88, 9);
    expect(v.worth).toBe(true);
  });

  it('needs no verdict when nothing is evicted, and ignores task types without a chain', () => {
    expect(swapVerdict({ newcomer: 'x', victims: [], residents, demand: {}, chainOf }).worth).toBe(true);
    const v = swapVerdict({
      newcomer: 'llama3.2:8b',
      victims: ['deepseek-r1:14b'],
      residents,
      demand: { unknown_task: 100 },
      chainOf,
    });
    expect(v.gain).toBe(0);
    expect(v.loss).toBe(0);
  });
});
