import { afterEach, describe, expect, it } from 'vitest';
import { RmmError } from '../../src/manager/errors.ts';
import {
  eventually,
  midHourClock,
  SMALL_CATALOG,
  type Stack,
  startStack,
  stateOf,
  unloadBehindOurBack,
} from './harness.ts';

// 0.05: a 60 s recovery takes 3 s, the 5 s interactive deadline is 250 ms, the 30 s background one 1.5 s.
const SCALE = 0.05;
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('request journey against the simulator', () => {
  it('falls back when the top model returns 500s, opens its circuit after 5 failures, and heals by probe', async () => {
    stack = await startStack(SCALE, SMALL_CATALOG);
    const { sim, manager } = stack;
    const fault = sim.faults.add({ kind: 'http_500', model: 'alpha' });

    const first = await manager.complete({
      kind: 'generate',
      prompt: 'hello there',
      taskType: 'general',
      urgency: 'background',
    });
    expect(first.model_used).toBe('beta');
    expect(first.fallback_used).toBe(true);
    expect(first.attempts).toBeGreaterThanOrEqual(2);
    expect(first.attempts_detail[0]).toMatchObject({ model: 'alpha', outcome: 'failure' });

    await eventually(
      async () => {
        await manager.complete({
          kind: 'generate',
          prompt: 'again',
          taskType: 'general',
          urgency: 'background',
        });
        return stateOf(manager, 'alpha') === 'open';
      },
      10_000,
      'alpha circuit to open',
    );
    const circuit = manager.status().circuits.find((c) => c.model === 'alpha')!;
    expect(circuit).toMatchObject({ is_open: true, available: false });
    expect(circuit.failure_count).toBeGreaterThanOrEqual(5);

    const skipped = await manager.complete({
      kind: 'generate',
      prompt: 'skip it',
      taskType: 'general',
      urgency: 'background',
    });
    expect(skipped.model_used).toBe('beta');
    expect(skipped.attempts).toBe(1);
    expect(skipped.attempts_detail.some((a) => a.model === 'alpha')).toBe(false);
    expect(skipped.selection_reason).toMatch(/alpha.*circuit open/);

    sim.faults.remove(fault);
    // Recovery timeout (3 s scaled) passes with no traffic: half-open by time, closed by the probe.
    await eventually(() => stateOf(manager, 'alpha') === 'loaded', 10_000, 'alpha to heal');
    const healed = await manager.complete({
      kind: 'generate',
      prompt: 'healed?',
      taskType: 'general',
      urgency: 'background',
    });
    expect(healed.model_used).toBe('alpha');
    expect(healed.fallback_used).toBe(false);
    expect(manager.decisions.recent(100).some((d) => d.kind === 'probe' && d.message.includes('alpha'))).toBe(
      true,
    );
  });

  it('skips a missing model at once, never retries it, and shows it missing', async () => {
    stack = await startStack(SCALE, SMALL_CATALOG);
    const { sim, manager } = stack;
    sim.faults.add({ kind: 'missing', model: 'alpha' });
    const r = await manager.complete({
      kind: 'generate',
      prompt: 'x',
      taskType: 'general',
      urgency: 'background',
    });
    expect(r.model_used).toBe('beta');
    const alphaAttempts = r.attempts_detail.filter((a) => a.model === 'alpha');
    expect(alphaAttempts).toHaveLength(1);
    expect(alphaAttempts[0]).toMatchObject({ outcome: 'failure', error_class: 'FATAL' });
    expect(stateOf(manager, 'alpha')).toBe('missing');
    const again = await manager.complete({
      kind: 'generate',
      prompt: 'y',
      taskType: 'general',
      urgency: 'background',
    });
    expect(again.attempts_detail.some((a) => a.model === 'alpha')).toBe(false);
    expect(manager.status().circuits.find((c) => c.model === 'alpha')).toMatchObject({
      state: 'missing',
      available: false,
    });
  });

  it('answers from a fallback within the deadline when the top model hangs, without blocking others', async () => {
    stack = await startStack(SCALE, SMALL_CATALOG);
    const { sim, manager, config } = stack;
    sim.faults.add({ kind: 'hang', model: 'alpha' });
    const deadline = config.deadlines.background_s * 1000;
    const [hung, other] = await Promise.all([
      manager.complete({ kind: 'generate', prompt: 'x', taskType: 'general', urgency: 'background' }),
      manager.complete({ kind: 'generate', prompt: 'y', model: 'gamma', urgency: 'background' }),
    ]);
    expect(hung.model_used).not.toBe('alpha');
    expect(hung.fallback_used).toBe(true);
    expect(hung.attempts_detail[0]).toMatchObject({
      model: 'alpha',
      outcome: 'failure',
      error_class: 'TRANSIENT',
    });
    expect(hung.latency_ms).toBeLessThan(deadline);
    expect(other.model_used).toBe('gamma');
    expect(other.attempts).toBe(1);
  });

  it('serves an interactive request from a loaded model while the best one loads; batch waits for the best', async () => {
    stack = await startStack(SCALE, SMALL_CATALOG);
    const { manager } = stack;
    expect(stateOf(manager, 'delta')).toBe('unloaded');
    const quick = await manager.complete({
      kind: 'generate',
      prompt: 'design it',
      taskType: 'complex',
      urgency: 'interactive',
    });
    // Answered by a warm model, not by the cold delta: normally beta, the chain's loaded model. At this scale
    // the interactive deadline is 250 ms, and on a starved CPU (the whole suite beside a CI run) beta can
    // miss it, and the warm alpha (outside the chain) answers instead; seen once. Either way the request
    // did not wait for delta's load, which is what this checks.
    expect(['beta', 'alpha']).toContain(quick.model_used);
    expect(quick.attempts_detail.some((a) => a.model === 'delta')).toBe(false);
    expect(quick.selection_reason).toMatch(/delta/);
    // The load was started for the requests that follow, and is not cut by the request's end.
    await eventually(
      () => ['loading', 'loaded'].includes(stateOf(manager, 'delta') ?? ''),
      2000,
      'delta load to start',
    );
    await eventually(() => stateOf(manager, 'delta') === 'loaded', 10_000, 'delta to load');

    await unloadBehindOurBack(stack, 'delta');
    const batch = await manager.complete({
      kind: 'generate',
      prompt: 'design it',
      taskType: 'complex',
      urgency: 'batch',
    });
    expect(batch.model_used).toBe('delta');
    expect(batch.fallback_used).toBe(false);
  });

  it('rejects an unknown model with a clear error and never calls upstream', async () => {
    stack = await startStack(SCALE, SMALL_CATALOG);
    const err = await stack.manager
      .complete({ kind: 'generate', prompt: 'x', model: 'gpt-7' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RmmError);
    expect((err as RmmError).code).toBe('RMM_UNKNOWN_MODEL');
    expect((err as RmmError).message).toContain('alpha');
  });
});

describe('late answers and predictive preloading', () => {
  it('answers with the best late option when no candidate can meet the deadline', async () => {
    stack = await startStack(SCALE, { ...SMALL_CATALOG, selection: { out_of_chain_fallback: false } });
    const { manager, config } = stack;
    // complex: delta is not loaded (2 s scaled load > 250 ms) and beta, the only fast candidate, turns out missing.
    stack.sim.faults.add({ kind: 'missing', model: 'beta' });
    const r = await manager.complete({
      kind: 'generate',
      prompt: 'plan it',
      taskType: 'complex',
      urgency: 'interactive',
    });
    expect(r.model_used).toBe('delta');
    expect(r.latency_ms).toBeGreaterThan(config.deadlines.interactive_s * 1000);
    expect(r.selection_reason).toMatch(/after the interactive deadline/);
    expect(r.late_ms).toBeGreaterThan(0);
  });

  it('preloads the model the hour is asking for, without displacing the warm set', async () => {
    stack = await startStack(
      SCALE,
      { ...SMALL_CATALOG, preload: { predictive: true, interval_s: 3600 } },
      { clock: midHourClock() },
    );
    const { manager } = stack;
    for (let i = 0; i < 24; i++) {
      await manager.complete({
        kind: 'generate',
        prompt: `p${i}`,
        taskType: 'complex',
        urgency: 'interactive',
      });
    }
    const delta = manager.fleet.ids().find((id) => id.endsWith('/delta'))!;
    await eventually(() => stateOf(manager, 'delta') === 'loaded', 5000, 'background load of delta');
    await unloadBehindOurBack(stack, 'delta');
    expect(manager.fleet.view(delta)?.resident).toBe(false);
    const suggestions = await manager.predictivePreload();
    expect(suggestions.map((s) => s.model)).toContain('delta');
    expect(suggestions.find((s) => s.model === 'delta')!.reason).toMatch(/complex/);
    await eventually(() => stateOf(manager, 'delta') === 'loaded', 5000, 'predictive preload of delta');
    for (const warm of ['alpha', 'beta', 'gamma']) expect(stateOf(manager, warm)).toBe('loaded');
  });
});
