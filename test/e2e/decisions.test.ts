import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import { replay } from '../../src/replay/replay.ts';
import { eventually, type Stack, startStack } from './harness.ts';

/**
 * Three 7 GB models beside a 2 GB warm model on a 22 GB card: only two fit at once, so asking for them in
 * turn evicts one each time. `cheap` reloads in 10 s, `dear` in 60 s: the value policy evicts the one that
 * is cheap to bring back, LRU the one used longest ago — so the two disagree on this journal.
 */
const CATALOG = {
  models: {
    warm: { size_gb: 2, load_time_s: 2, tokens_per_s: 100, strengths: ['general'] },
    cheap: { size_gb: 7, load_time_s: 10, tokens_per_s: 100, strengths: ['general'] },
    dear: { size_gb: 7, load_time_s: 60, tokens_per_s: 100, strengths: ['general'] },
    other: { size_gb: 7, load_time_s: 10, tokens_per_s: 100, strengths: ['general'] },
  },
  chains: { general: [{ model: 'warm', quality: 0.5 }] },
  warm_set: ['warm'],
  // Generous waits at this compression (× 0.005): on a loaded CI machine an eviction, its unload wait and a
  // load took longer than the 1.5 s a 300 s load timeout scales to, and the request fell back to another model.
  load: { timeout_s: 6000, keep_alive: '-1' },
  // Likewise what judges a model slow or broken: scaled, a call over 50 ms counted as slow and a probe over
  // 50 ms as failed, and under load a circuit that opens sends the ask to another model.
  circuit: { slow_call_s: 1000 },
  // And no idle probes: scaled, each loaded model was probed every 150 ms, and a probe in flight makes its
  // model busy, so an eviction it was the victim of was refused and the ask went elsewhere (seen in CI:
  // "other skipped: ... loading it now would evict a busy or pinned model; chose dear").
  health: { probe_timeout_s: 1000, probe_interval_s: 100_000, ttl_s: 100_000 },
  deadlines: { interactive_s: 5, background_s: 30, batch_s: 12_000 },
  hosts: [
    { name: 'local', url: 'http://127.0.0.1:11434', vram_gb: 22, num_parallel: 2, max_loaded_models: 4 },
  ],
};

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function ask(s: Stack, model: string) {
  return s.manager.complete({ kind: 'generate', prompt: 'hello', model, urgency: 'batch' });
}

describe('decisions in the journal', () => {
  it('lists every eviction with its victim, what it made room for and why; verify recomputes them; another policy fails verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmm-decisions-'));
    stack = await startStack(0.005, { ...CATALOG, state_dir: dir }, { stateDir: dir });
    // dear then cheap fill the card; from then on most requests need one of the other two gone.
    for (const model of ['dear', 'cheap', 'other', 'cheap', 'other', 'dear', 'cheap']) {
      // Each ask finds the card settled: the previous answer's model idle, no load or unload under way
      // (under CI load its bookkeeping could still be running, and a busy victim sends the ask elsewhere).
      const s = stack;
      await eventually(
        () =>
          s.manager.fleet.candidates().every((c) => c.inFlight === 0) &&
          Object.values(s.manager.fleet.host('local')!.ledger).every((slot) => slot.status === 'loaded'),
        10_000,
      );
      const r = await ask(stack, model);
      expect(r.model_used, r.selection_reason).toBe(model);
    }
    await stack.close();
    stack = undefined;

    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main(['replay', '--state-dir', dir, '--decisions', '--json'])).toBe(0);
      const listed = JSON.parse(log.mock.calls.flat().join('\n')) as {
        decisions: Array<{ kind: string; model: string; reason: string; detail: Record<string, unknown> }>;
      };
      const evictions = listed.decisions.filter((d) => d.kind === 'eviction');
      expect(evictions.length).toBeGreaterThanOrEqual(3);
      for (const e of evictions) {
        expect(['cheap', 'dear', 'other']).toContain(e.model);
        expect(['cheap', 'dear', 'other']).toContain(e.detail['for_model']);
        expect(e.detail['for_model']).not.toBe(e.model);
        expect(e.reason).toMatch(/make room for/);
      }
      // The value policy keeps the model that is dear to reload: it is never the victim while cheap ones can go.
      expect(evictions[0]!.model).not.toBe('dear');
      // Each request left one selection record too.
      expect(listed.decisions.filter((d) => d.kind === 'selection').length).toBeGreaterThanOrEqual(6);

      err.mockClear();
      expect(await main(['replay', '--state-dir', dir, '--verify'])).toBe(0);
      expect(err.mock.calls.flat().join('\n')).toMatch(
        /reproduces state\.json .* and all \d+ journaled decisions/,
      );

      // Swapping the eviction order for LRU: the journal's choices no longer follow from their inputs.
      err.mockClear();
      expect(await main(['replay', '--state-dir', dir, '--verify', '--eviction-policy', 'lru'])).toBe(1);
      expect(err.mock.calls.flat().join('\n')).toMatch(/FAILED.*decision #\d+/);

      log.mockClear();
      const victim = evictions[0]!.model;
      expect(await main(['why', 'evict', victim, '--state-dir', dir])).toBe(0);
      const paragraph = log.mock.calls.flat().join('\n');
      expect(paragraph).toMatch(new RegExp(`${victim} was evicted from local to make room for`));
      expect(paragraph).toMatch(/value = \(recent demand/);
      // warm is never a candidate: kept as the warm set, or (when the prober was testing it then) busy.
      expect(paragraph).toMatch(/warm \((warm set|busy, \d+ in flight)\)/);
      expect(await main(['why', 'evict', 'warm', '--state-dir', dir])).toBe(1);
      expect(await main(['why', 'nonsense', '--state-dir', dir])).toBe(2);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    // The programmatic API agrees with the CLI.
    expect(replay(dir, { verify: true }).divergence).toBeNull();
    expect(replay(dir, { verify: true, evictionPolicy: 'lru' }).divergence).toMatch(/decision #/);
  });
});
