import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import { defaultConfig } from '../../src/config/defaults.ts';
import { validateConfig } from '../../src/config/load.ts';
import { replay } from '../../src/replay/replay.ts';
import { exploreSeed } from '../../src/simulate/explore.ts';
import { simulate } from '../../src/simulate/simulate.ts';
import { dayRequests } from '../../src/simulate/trace.ts';

/**
 * The deterministic simulation: the real runtime on virtual time against in-process simulated hosts. Its
 * figures are not asserted here (they are the bench's), only that a run is exactly repeatable, that the
 * journal it leaves replays, and that the exploration's invariant checks hold on a few seeds.
 */
const config = validateConfig(defaultConfig());
/** An hour of a busy morning: enough to load, evict and fall back, short enough for CI. */
const hour = (seed: number) =>
  dayRequests(seed)
    .filter((r) => r.t >= 9 * 3600 && r.t < 10 * 3600)
    .map((r) => ({ ...r, t: r.t - 9 * 3600 }));
const dir = () => mkdtempSync(join(tmpdir(), 'rmm-sim-test-'));

afterEach(() => vi.restoreAllMocks());

describe('rmm simulate', () => {
  it('the same seed and inputs give the same figures and journal; other faults give others', async () => {
    const a = await simulate({ config, trace: hour(3), seed: 3, stateDir: dir(), baseline: 'none' });
    const b = await simulate({ config, trace: hour(3), seed: 3, stateDir: dir(), baseline: 'none' });
    expect(a.requests).toBeGreaterThan(40);
    expect(b.digest).toBe(a.digest);
    expect(b.service).toEqual(a.service);
    const c = await simulate({
      config,
      trace: hour(3),
      seed: 3,
      stateDir: dir(),
      baseline: 'none',
      faults: [{ kind: 'http_500', rate: 0.2 }],
    });
    expect(c.digest).not.toBe(a.digest);
  }, 120_000);

  it('reports the service beside Ollama alone, and its journal replays and verifies', async () => {
    const stateDir = dir();
    const r = await simulate({ config, trace: hour(5), seed: 5, stateDir, baseline: 'ollama' });
    expect(r.service.answered_pct).toBeGreaterThan(99);
    expect(r.baseline?.kind).toBe('ollama');
    // Ollama alone evicts on its own; the service plans its evictions and Ollama never has to.
    expect(r.service.evictions_by_ollama).toBe(0);
    expect(r.baseline!.figures.evictions_by_ollama).toBeGreaterThan(0);
    expect(r.targets.map((t) => t.name)).toEqual([
      'interactive deadline hit',
      'load time vs Ollama alone',
      'quality vs ideal',
    ]);
    expect(replay(stateDir, { verify: true }).divergence).toBeNull();
  }, 120_000);

  it('explores seeds with random faults and finds every invariant holding', async () => {
    for (const seed of [1, 2]) {
      const result = await exploreSeed(config, seed);
      expect(result.faults.length).toBeGreaterThan(3);
      expect(result.fired, `seed ${seed}: faults fired`).toBeGreaterThan(10);
      expect(result.broken, `seed ${seed}: ${JSON.stringify(result.faults)}`).toEqual([]);
    }
  }, 120_000);

  it('bad flags and traces get a clear message and exit 2', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main(['simulate', '--baseline', 'magic'])).toBe(2);
    expect(err.mock.calls.flat().join('\n')).toMatch(/--baseline must be ollama/);
    expect(await main(['simulate', '--faults', 'meteor:0.5'])).toBe(2);
    expect(err.mock.calls.flat().join('\n')).toMatch(/--faults: .*kind/);
    const bad = join(dir(), 'trace.jsonl');
    writeFileSync(bad, '{"t": 1, "query": "hi"}\n{"t": -5, "query": "x"}\n');
    expect(await main(['simulate', '--trace', bad])).toBe(2);
    expect(err.mock.calls.flat().join('\n')).toMatch(/trace\.jsonl:2: "t" must be seconds/);
    expect(await main(['simulate', '--trace', '/no/such/file'])).toBe(2);
    expect(err.mock.calls.flat().join('\n')).toMatch(/cannot read trace/);
  });

  it('a JSONL trace runs and prints JSON with the digest', async () => {
    const file = join(dir(), 'mine.jsonl');
    writeFileSync(
      file,
      [
        { t: 0, task_type: 'code_generation', urgency: 'batch', query: 'write a parser' },
        { t: 5, task_type: 'fast_response', urgency: 'interactive', query: 'capital of France?' },
        { t: 9, urgency: 'background', query: 'summarise this', model: 'llama3.2:3b' },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(['simulate', '--trace', file, '--seed', '9', '--baseline', 'none', '--json'])).toBe(0);
    const out = JSON.parse(log.mock.calls.flat().join('\n')) as {
      requests: number;
      digest: string;
      service: { answered_pct: number };
    };
    expect(out.requests).toBe(3);
    expect(out.service.answered_pct).toBe(100);
    expect(out.digest).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);
});
