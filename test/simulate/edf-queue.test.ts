import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.ts';
import { validateConfig } from '../../src/config/load.ts';
import { during } from '../../src/simulate/pump.ts';
import { runService } from '../../src/simulate/run-trace.ts';
import type { SimRequest } from '../../src/simulate/trace.ts';
import { buildWorld, startManager } from '../../src/simulate/world.ts';

/**
 * The earliest-deadline-first queue, end to end on virtual time: the real manager against the in-process
 * simulator. deepseek-r1:14b (one slot) is answering an interactive question when background work queues
 * for it; a second interactive question then arrives. Only the answer in service is ahead of it (about
 * 2 s + its own 2 s, inside 5 s), so it goes to the 14b and is served before the background work. With a
 * first-come queue it would count both ahead (about 6 s) and go to llama3.2:3b.
 */
const reasoning = (t: number, urgency: SimRequest['urgency']): SimRequest => ({
  t,
  task_type: 'reasoning',
  urgency,
  query: 'Why does the sum of two odd numbers come out even?',
});

describe('a model queue served earliest deadline first', () => {
  it('puts an interactive request ahead of background work waiting for the same model', async () => {
    const base = defaultConfig();
    base.preload.predictive = false;
    const config = validateConfig(base);
    const trace: SimRequest[] = [
      // Cold: answered by the warm 3b while deepseek-r1:14b loads for the requests that follow.
      reasoning(0, 'interactive'),
      reasoning(120, 'interactive'),
      reasoning(120.1, 'background'),
      reasoning(120.2, 'interactive'),
    ];
    const world = buildWorld(config, 11);
    const manager = await startManager(world, { seed: 11 });
    const out = await runService(world, manager, trace);
    await during(world, manager.close(), 'close');

    expect(out.map((o) => o.ok)).toEqual([true, true, true, true]);
    expect(out[1]!.model).toBe('deepseek-r1:14b');
    expect(out[2]!.model).toBe('deepseek-r1:14b');
    expect(out[3]!.model).toBe('deepseek-r1:14b');
    // Answered in deadline order: the later interactive question finishes before the background work.
    const endOf = (i: number) => trace[i]!.t * 1000 + out[i]!.latencyMs;
    expect(endOf(3)).toBeLessThan(endOf(2));
    expect(out[3]!.latencyMs).toBeLessThanOrEqual(5000);
  }, 60_000);
});
