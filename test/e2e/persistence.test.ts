import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import { readJournal } from '../../src/persistence/index.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { eventually, SMALL_CATALOG, type Stack, startStack, stateOf } from './harness.ts';

const SCALE = 0.05;
let stack: Stack | undefined;
let sim: SimulatorHandle | undefined;
afterEach(async () => {
  await stack?.close();
  await sim?.close();
  stack = undefined;
  sim = undefined;
});

async function openAlpha(s: Stack) {
  s.sim.faults.add({ kind: 'http_500', model: 'alpha' });
  await eventually(
    async () => {
      await s.manager.complete({ kind: 'generate', prompt: 'x', taskType: 'general', urgency: 'background' });
      return stateOf(s.manager, 'alpha') === 'open';
    },
    10_000,
    'alpha to open',
  );
}

describe('persistence across restarts', () => {
  it('resumes an open circuit and the measured statistics after a graceful restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmm-state-'));
    // A long recovery: the circuit must still be open after the restart, not healed by time.
    const patch = { ...SMALL_CATALOG, circuit: { recovery_timeout_s: 600, recovery_timeout_max_s: 600 } };
    sim = await startSimulator({ config: scaledConfig(SCALE, patch) });
    stack = await startStack(SCALE, patch, { stateDir: dir }, sim);
    await openAlpha(stack);
    const before = stack.manager.status();
    const timesOpened = before.circuits.find((c) => c.model === 'alpha')!.times_opened;
    await stack.close();

    stack = await startStack(SCALE, patch, { stateDir: dir }, sim);
    const after = stack.manager.status();
    expect(stateOf(stack.manager, 'alpha')).toBe('open');
    expect(after.circuits.find((c) => c.model === 'alpha')).toMatchObject({
      is_open: true,
      times_opened: timesOpened,
    });
    expect(after.model_state.circuits['alpha']).toEqual({ is_open: true, failure_count: expect.any(Number) });
    expect(after.persistence).toMatchObject({ last_load: 'restored', quarantined: null });
    // Beta's measured latency came back too.
    expect(after.models.find((m) => m.name === 'beta')!.latency_ewma_ms).not.toBeNull();
    const journal = readJournal(dir);
    expect(journal.records.length).toBeGreaterThan(10);
    expect(journal.tornLines).toBe(0);
  });

  it('re-arms the recovery deadline: a circuit whose deadline passed while down heals after restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmm-state-'));
    sim = await startSimulator({ config: scaledConfig(SCALE, SMALL_CATALOG) });
    stack = await startStack(SCALE, SMALL_CATALOG, { stateDir: dir }, sim);
    await openAlpha(stack);
    await stack.close();
    sim.faults.clear();
    // Down for longer than the (scaled) 60 s recovery timeout.
    await new Promise((r) => setTimeout(r, 3500));
    stack = await startStack(SCALE, SMALL_CATALOG, { stateDir: dir }, sim);
    await eventually(
      () => stateOf(stack!.manager, 'alpha') === 'loaded',
      5000,
      'alpha to heal after restart',
    );
  });

  it('moves a corrupt state file aside, reports it, and starts fresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmm-state-'));
    writeFileSync(
      join(dir, 'state.json'),
      '{"schema_version":1,"saved_at":"2026-01-01T00:00:00Z","checksum":"sha256:00","payl',
    );
    stack = await startStack(SCALE, SMALL_CATALOG, { stateDir: dir });
    const status = stack.manager.status();
    expect(status.persistence?.last_load).toBe('quarantined');
    expect(status.persistence?.quarantined).toMatch(/state\.json\.corrupt-/);
    expect(readdirSync(dir).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
    expect(stateOf(stack.manager, 'alpha')).toBe('loaded');
    await stack.close();
    stack = undefined;
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
  });

  it('starts fresh (quarantining the old state) when the configured models changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmm-state-'));
    stack = await startStack(SCALE, SMALL_CATALOG, { stateDir: dir });
    await stack.close();
    stack = await startStack(SCALE, {}, { stateDir: dir });
    expect(stack.manager.status().persistence).toMatchObject({ last_load: 'quarantined' });
  });
});
