import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.ts';
import { qualityGap, scoreOf } from '../../src/simulate/quality-gap.ts';
import type { Outcome } from '../../src/simulate/run-trace.ts';
import type { SimRequest } from '../../src/simulate/trace.ts';

const config = defaultConfig();
const req = (t: number, task: SimRequest['task_type'], urgency: SimRequest['urgency']): SimRequest => ({
  t,
  task_type: task,
  urgency,
  query: 'q',
});
const answered = (model: string): Outcome => ({ ok: true, latencyMs: 1, ttftMs: 1, model });

describe('qualityGap: where quality goes short of the ideal, and the bound', () => {
  it('splits the shortfall into what cannot fit, burst overflow and the rest, adding up to ideal − delivered', () => {
    // Reasoning: best deepseek-r1:32b (0.95, 18 GB: not on a 16 GB card), best fitting deepseek-r1:14b (0.82).
    const trace = [
      // A burst of four reasoning requests within 10 s: two on the 14b, two overflow to the 3b (0.4).
      req(0, 'reasoning', 'interactive'),
      req(1, 'reasoning', 'interactive'),
      req(2, 'reasoning', 'interactive'),
      req(3, 'reasoning', 'interactive'),
      // Alone, an hour later, on the 8b (0.55): not loaded in time, say.
      req(3600, 'reasoning', 'interactive'),
      // Batch may wait for the giant: all of its shortfall is the policy's.
      req(7200, 'reasoning', 'batch'),
    ];
    const outcomes = ['deepseek-r1:14b', 'deepseek-r1:14b', 'llama3.2:3b', 'llama3.2:3b', 'llama3.2:8b'].map(
      answered,
    );
    outcomes.push(answered('deepseek-r1:14b'));
    const g = qualityGap(
      trace,
      trace.map((r, i) => scoreOf(config, r, outcomes[i]!, 16)),
    );
    const n = trace.length;
    expect(g.not_fitting).toBeCloseTo((5 * (0.95 - 0.82)) / n, 4);
    expect(g.burst).toBeCloseTo((2 * (0.82 - 0.4)) / n, 4);
    expect(g.other).toBeCloseTo((0.82 - 0.55 + (0.95 - 0.82)) / n, 4);
    const delivered = (2 * 0.82 + 2 * 0.4 + 0.55 + 0.82) / n;
    expect(g.not_fitting + g.burst + g.other).toBeCloseTo(0.95 - delivered, 3);
    // The bound: batch at the best, the rest at the best that fits.
    expect(g.bound_vs_ideal).toBeCloseTo((5 * 0.82 + 0.95) / (6 * 0.95), 4);
  });

  it('counts a failed request as nothing delivered, and a bigger card moves the bound to the ideal', () => {
    const trace = [req(0, 'reasoning', 'interactive')];
    const failed: Outcome = { ok: false, latencyMs: 1, ttftMs: 1, model: '', code: 'RMM_X' };
    const g = qualityGap(trace, [scoreOf(config, trace[0]!, failed, 48)]);
    expect(g.bound_vs_ideal).toBe(1);
    expect(g.not_fitting).toBe(0);
    expect(g.other).toBeCloseTo(0.95, 4);
  });
});
