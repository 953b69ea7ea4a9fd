import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import { decodeEnvelope, encodeEnvelope, stringifyPayload } from '../../src/persistence/index.ts';
import { replay } from '../../src/replay/replay.ts';
import { type PersistedState, SCHEMA_VERSION } from '../../src/runtime/persistence.ts';
import { SMALL_CATALOG, startStack } from './harness.ts';

/** A chaos run with several fault kinds, journaled into a fresh state folder. */
async function chaosRun(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rmm-replay-'));
  const s = await startStack(0.05, SMALL_CATALOG, { stateDir: dir });
  s.sim.faults.add({ kind: 'http_500', model: 'alpha', count: 14 });
  s.sim.faults.add({ kind: 'busy_503', model: 'beta', rate: 0.3 });
  s.sim.faults.add({ kind: 'cut_stream', model: 'gamma', rate: 0.3 });
  const jobs = Array.from({ length: 40 }, (_, i) =>
    s.manager
      .complete({
        kind: 'generate',
        prompt: `q${i}`,
        taskType: 'general',
        urgency: 'background',
        ...(i % 3 === 0 && { onChunk: () => {} }),
      })
      .catch(() => undefined),
  );
  await Promise.all(jobs);
  // Long enough for alpha's (scaled) recovery deadline to fire, so deadlines are in the journal too.
  await new Promise((r) => setTimeout(r, 3300));
  await s.close();
  return dir;
}

describe('rmm replay', () => {
  it('reproduces the persisted snapshot of a chaos run exactly, and prints its timeline', async () => {
    const dir = await chaosRun();
    const result = replay(dir, { verify: true });
    expect(result.divergence).toBeNull();
    expect(result.events).toBeGreaterThan(40);
    expect(result.timeline.some((r) => r.model === 'local/alpha' && r.to === 'open')).toBe(true);
    expect(result.timeline.some((r) => r.event === 'DEADLINE_REACHED')).toBe(true);
    const alphaOnly = replay(dir, { model: 'alpha' }).timeline;
    expect(alphaOnly.length).toBeGreaterThan(0);
    expect(alphaOnly.every((r) => r.model === 'local/alpha')).toBe(true);
    const firstOpen = result.timeline.find((r) => r.to === 'open')!;
    expect(replay(dir, { until: firstOpen.at - 1 }).timeline.some((r) => r.to === 'open')).toBe(false);

    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main(['replay', '--state-dir', dir, '--verify'])).toBe(0);
      expect(log.mock.calls.flat().join('\n')).toMatch(/local\/alpha\s+loaded → open/);
      expect(err.mock.calls.flat().join('\n')).toContain('reproduces state.json');

      // Tamper with the saved snapshot (validly re-sealed): verify must now find the divergence.
      const file = join(dir, 'state.json');
      const decoded = decodeEnvelope(readFileSync(file, 'utf8'), SCHEMA_VERSION);
      if (!decoded.ok) throw new Error('state.json unreadable');
      const payload = decoded.envelope.payload as PersistedState & {
        supervisor: { children: Record<string, { snapshot: { context: { timesOpened: number } } }> };
      };
      payload.supervisor.children['local/alpha']!.snapshot.context.timesOpened += 7;
      writeFileSync(
        file,
        encodeEnvelope(stringifyPayload(payload), {
          schemaVersion: SCHEMA_VERSION,
          savedAt: decoded.envelope.saved_at,
          ...(decoded.envelope.journal_checkpoint && {
            journalCheckpoint: decoded.envelope.journal_checkpoint,
          }),
        }),
      );
      err.mockClear();
      expect(await main(['replay', '--state-dir', dir, '--verify'])).toBe(1);
      expect(err.mock.calls.flat().join('\n')).toMatch(/FAILED.*timesOpened/);
      expect(await main(['replay', '--state-dir', join(dir, 'nope')])).toBe(1);
      expect(await main(['replay', '--state-dir', dir, '--until', 'yesterday'])).toBe(2);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
