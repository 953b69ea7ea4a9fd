import { afterAll, describe, it } from 'vitest';
import { COMBINATIONS, faultFor } from '../../bench/lib/fault-menu.ts';
import { expectResilient, runChaosCase, SCALE, summaryLine } from './harness.ts';

/** Faults together, each on a share of the requests, every other one scoped to the warm-set model. */
describe('chaos: faults combined under concurrent load', () => {
  const lines: string[] = [];
  afterAll(() => console.info(`chaos, faults combined:\n${lines.join('\n')}`));

  for (const kinds of COMBINATIONS) {
    const name = kinds.join(' + ');
    it(name, async () => {
      const faults = kinds.map((kind, i) =>
        faultFor(kind, SCALE, { rate: 0.3, ...(i % 2 === 1 && { model: 'llama3.2:3b' }) }),
      );
      const report = await runChaosCase(faults, { seed: kinds.length * 7 });
      lines.push(summaryLine(name, report));
      expectResilient(report);
    });
  }
});
