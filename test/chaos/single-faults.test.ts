import { afterAll, describe, it } from 'vitest';
import { faultFor } from '../../bench/lib/fault-menu.ts';
import { FAULT_KINDS } from '../../src/simulator/index.ts';
import { expectResilient, runChaosCase, SCALE, summaryLine } from './harness.ts';

/**
 * Every simulator fault kind alone, host-wide on half the requests, under 8 concurrent clients of mixed
 * API shapes. A failure message names what broke: a lost request, a stuck actor, VRAM over budget, a
 * hung close.
 */
describe('chaos: each fault kind alone under concurrent load', () => {
  const lines: string[] = [];
  afterAll(() => console.info(`chaos, faults alone:\n${lines.join('\n')}`));

  for (const kind of FAULT_KINDS) {
    it(kind, async () => {
      const report = await runChaosCase([faultFor(kind, SCALE, { rate: 0.5 })], {
        seed: FAULT_KINDS.indexOf(kind) + 1,
      });
      lines.push(summaryLine(kind, report));
      expectResilient(report);
    });
  }

  it('http_500 after the first tokens (mid-stream)', async () => {
    const report = await runChaosCase([{ kind: 'http_500', rate: 0.5, after_tokens: 3 }], { seed: 99 });
    lines.push(summaryLine('http_500 mid-stream', report));
    expectResilient(report);
  });
});
