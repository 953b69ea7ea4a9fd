import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.ts';
import type { ChainEntry, Urgency } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import {
  type CandidateState,
  deadlineMs,
  expectedMs,
  generationMs,
  queueWaitMs,
  takesTraffic,
  timeToLoadedMs,
} from '../../src/policy/estimate.ts';
import { LOADED_BONUS, type SelectionInput, selectModels } from '../../src/policy/select.ts';
import { formatClock, formatDuration } from '../../src/policy/select-reason.ts';

const config = defaultConfig();
const NOW = 43_200_000; // 12:00:00 UTC on day 0

/** One candidate per catalog model on one 16 GB host, unloaded unless `over` says otherwise. */
function fleet(over: Record<string, Partial<CandidateState>> = {}, host = 'local'): CandidateState[] {
  return Object.entries(config.models).map(([model, spec]) => ({
    id: `${host}/${model}`,
    model,
    host,
    state: 'unloaded' as const,
    acceptsTraffic: true,
    inFlight: 0,
    parallelSlots: 1,
    latencyEwmaMs: null,
    loadMs: spec.load_time_s * 1000,
    loadingStartedAt: null,
    tokensPerS: spec.tokens_per_s,
    sizeGb: spec.size_gb,
    hostVramGb: 16,
    fitsNow: true,
    openUntil: null,
    ...over[model],
  }));
}

function input(over: Partial<SelectionInput> = {}): SelectionInput {
  const urgency: Urgency = over.urgency ?? 'interactive';
  const taskType = over.taskType ?? 'code_generation';
  return {
    taskType,
    urgency,
    deadlineMs: deadlineMs(urgency, config),
    now: NOW,
    chain: config.chains[taskType]!,
    candidates: fleet({ 'llama3.2:3b': { state: 'loaded' } }),
    outOfChainFallback: true,
    fallbackChain: config.chains['general']!,
    expectedOutputTokens: 64,
    partialOffloadSlowdown: 4,
    ...over,
  };
}

const models = (xs: Array<{ model: string }>) => xs.map((x) => x.model);

describe('deadlines', () => {
  it('interactive 5 s, background 30 s, batch from config', () => {
    expect(deadlineMs('interactive', config)).toBe(5000);
    expect(deadlineMs('background', config)).toBe(30_000);
    expect(deadlineMs('batch', config)).toBe(900_000);
    const scaled = scaledConfig(0.001);
    expect(deadlineMs('interactive', scaled)).toBeCloseTo(5);
    expect(deadlineMs('batch', scaled)).toBeCloseTo(900);
  });
});

describe('estimate', () => {
  const [base] = fleet();
  const c = { ...base!, model: 'm', loadMs: 10_000, tokensPerS: 50, sizeGb: 8, hostVramGb: 16 };

  it('time until loaded: 0 loaded, what is left of a load in progress, else a whole load', () => {
    expect(timeToLoadedMs({ ...c, state: 'loaded' }, NOW)).toBe(0);
    expect(timeToLoadedMs({ ...c, state: 'degraded' }, NOW)).toBe(0);
    expect(timeToLoadedMs({ ...c, state: 'loading', loadingStartedAt: NOW - 4000 }, NOW)).toBe(6000);
    expect(timeToLoadedMs({ ...c, state: 'loading', loadingStartedAt: NOW - 60_000 }, NOW)).toBe(0);
    expect(timeToLoadedMs(c, NOW)).toBe(10_000);
    expect(timeToLoadedMs({ ...c, state: 'halfOpen', resident: false }, NOW)).toBe(10_000);
  });

  it('generation: tokens ÷ rate, slowed when partially offloaded, measured latency preferred', () => {
    expect(generationMs(c, 100, 4)).toBe(2000);
    expect(generationMs({ ...c, sizeGb: 20 }, 100, 4)).toBe(8000);
    expect(generationMs({ ...c, offloaded: true }, 100, 3)).toBe(6000);
    expect(generationMs({ ...c, sizeGb: 20, latencyEwmaMs: 900 }, 100, 4)).toBe(900);
  });

  it('a cap below the usual answer takes off the tokens it stops; the prompt share stays', () => {
    // Usual answer: 100 tokens at 20 ms each out of 2500 ms (so 500 ms of prompt).
    const m = { ...c, latencyEwmaMs: 2500, answerTokens: 100, tokenMs: 20 };
    expect(generationMs(m, 64, 4)).toBe(2500);
    expect(generationMs(m, 64, 4, 5)).toBe(2500 - 95 * 20);
    expect(generationMs(m, 64, 4, 500)).toBe(2500);
    // Never below nothing, whatever the EWMAs say; unmeasured models read the cap as the answer's length.
    expect(generationMs({ ...m, tokenMs: 100 }, 64, 4, 1)).toBe(0);
    expect(generationMs({ ...m, answerTokens: null }, 64, 4, 5)).toBe(2500);
    expect(generationMs(c, 64, 4, 10)).toBe(200);
  });

  it('queue wait: none with a free slot, one service time per full wave ahead', () => {
    expect(queueWaitMs({ ...c, inFlight: 0, parallelSlots: 1 }, 1000)).toBe(0);
    expect(queueWaitMs({ ...c, inFlight: 1, parallelSlots: 2 }, 1000)).toBe(0);
    expect(queueWaitMs({ ...c, inFlight: 1, parallelSlots: 1 }, 1000)).toBe(1000);
    expect(queueWaitMs({ ...c, inFlight: 3, parallelSlots: 1 }, 1000)).toBe(3000);
    expect(queueWaitMs({ ...c, inFlight: 4, parallelSlots: 2 }, 1000)).toBe(2000);
  });

  it('expected = load + queue + generation', () => {
    expect(expectedMs({ ...c, inFlight: 1, latencyEwmaMs: 500 }, NOW, 64, 4)).toBe(10_000 + 500 + 500);
  });
});

describe('selectModels: cold start with the seed catalog', () => {
  it('interactive code request: answers out of chain from the warm model and loads a coder in background', () => {
    const plan = selectModels(input());
    const first = plan.attempts[0]!;
    expect(first.model).toBe('llama3.2:3b');
    expect(first.outOfChain).toBe(true);
    expect(first.needsLoad).toBe(false);
    expect(first.expectedMs).toBeLessThanOrEqual(5000);
    // deepseek-coder (6 s load, ~1.2 s answer) misses only because it is not loaded; qwen2.5-coder:32b
    // would miss even when loaded (partially offloaded on 16 GB), so it is not the one to load.
    expect(plan.loadInBackground).toEqual([
      { id: 'local/deepseek-coder:latest', model: 'deepseek-coder:latest', host: 'local' },
    ]);
    expect(plan.skipped.map((s) => [s.model, s.reason])).toEqual([
      ['qwen2.5-coder:32b', 'too_slow'],
      ['deepseek-coder:latest', 'too_slow'],
      ['deepseek-r1:32b', 'too_slow'],
      ['deepseek-r1:14b', 'too_slow'],
      ['llama3.2:8b', 'too_slow'],
    ]);
    expect(models(plan.late)).toEqual([
      'deepseek-coder:latest',
      'llama3.2:8b',
      'deepseek-r1:14b',
      'deepseek-r1:32b',
      'qwen2.5-coder:32b',
    ]);
    expect(plan.reason).toContain(
      'deepseek-coder:latest skipped: not loaded, load takes ~6 s > 5 s interactive deadline (loading in background)',
    );
    expect(plan.reason).toContain('partially offloaded');
    expect(plan.reason).toMatch(/answering out of chain from llama3\.2:3b \(loaded, ~\d+ ms expected\)$/);
  });

  it('promises a background load only when weighing lets it through, and says so when it does not', () => {
    const asked: string[] = [];
    const plan = selectModels({
      ...input(),
      weighBackground: (id) => {
        asked.push(id);
        return 'not worth evicting llama3.2:8b for deepseek-coder:latest';
      },
    });
    expect(asked).toEqual(['local/deepseek-coder:latest']);
    expect(plan.loadInBackground).toEqual([]);
    expect(plan.backgroundDeclined).toEqual({
      id: 'local/deepseek-coder:latest',
      model: 'deepseek-coder:latest',
      host: 'local',
      why: 'not worth evicting llama3.2:8b for deepseek-coder:latest',
    });
    expect(plan.reason).toContain(
      'deepseek-coder:latest skipped: not loaded, load takes ~6 s > 5 s interactive deadline (not loaded in background: worth less than what it would evict)',
    );
    expect(plan.reason).not.toContain('(loading in background)');
    // A weigher that lets it through changes nothing of the plan without one.
    const through = selectModels({ ...input(), weighBackground: () => undefined });
    const plain = selectModels(input());
    expect(through).toEqual(plain);
  });

  it('without out-of-chain fallback nothing meets the deadline: empty plan, late options, the coder loads', () => {
    const plan = selectModels(input({ outOfChainFallback: false }));
    expect(plan.attempts).toEqual([]);
    expect(plan.late[0]!.model).toBe('deepseek-coder:latest');
    expect(plan.loadInBackground.map((b) => b.model)).toEqual(['deepseek-coder:latest']);
    expect(plan.reason).toMatch(
      /no model can answer within the 5 s interactive deadline; soonest late option: deepseek-coder:latest/,
    );
  });

  it('batch is quality first: the 32b coder, loaded and partially offloaded, leads', () => {
    const plan = selectModels(input({ urgency: 'batch', deadlineMs: deadlineMs('batch', config) }));
    expect(models(plan.attempts)).toEqual([
      'qwen2.5-coder:32b',
      'deepseek-coder:latest',
      'deepseek-r1:32b',
      'deepseek-r1:14b',
      'llama3.2:8b',
      'llama3.2:3b',
    ]);
    expect(plan.attempts[0]!.needsLoad).toBe(true);
    expect(plan.attempts.at(-1)!.outOfChain).toBe(true);
    expect(plan.loadInBackground).toEqual([]);
    expect(plan.reason).toBe('chose qwen2.5-coder:32b (quality 0.95, needs a load, ~53 s expected)');
  });

  it('background: the best model that loads in time; no second load for this request', () => {
    const plan = selectModels(input({ urgency: 'background', deadlineMs: 30_000 }));
    expect(plan.attempts[0]!.model).toBe('deepseek-coder:latest');
    expect(plan.attempts[0]!.needsLoad).toBe(true);
    expect(plan.loadInBackground).toEqual([]);
    expect(plan.reason).toContain(
      'qwen2.5-coder:32b skipped: not loaded, load takes ~35 s > 30 s background deadline',
    );
  });

  it('once the coder is loaded it is chosen in chain, and the warm model stays as a last resort', () => {
    const plan = selectModels(
      input({
        candidates: fleet({
          'llama3.2:3b': { state: 'loaded' },
          'deepseek-coder:latest': { state: 'loaded' },
        }),
      }),
    );
    expect(plan.attempts.map((a) => [a.model, a.outOfChain])).toEqual([
      ['deepseek-coder:latest', false],
      ['llama3.2:3b', true],
    ]);
    expect(plan.reason).toMatch(
      /^qwen2\.5-coder:32b skipped: .*; chose deepseek-coder:latest \(quality 0\.88, loaded, ~1\.2 s expected\)$/,
    );
    // qwen would miss even loaded, so nothing is worth loading in background.
    expect(plan.loadInBackground).toEqual([]);
  });

  it('a loading candidate counts only what is left of its load', () => {
    const c = fleet({
      'llama3.2:3b': { state: 'loaded' },
      'llama3.2:8b': { state: 'loading', loadingStartedAt: NOW - 6000 },
    });
    const plan = selectModels(input({ candidates: c }));
    const a = plan.attempts.find((x) => x.model === 'llama3.2:8b')!;
    expect(a.needsLoad).toBe(true);
    expect(a.expectedMs).toBeCloseTo(2000 + (64 / 48) * 1000);
    expect(plan.attempts[0]!.model).toBe('llama3.2:8b');
    expect(plan.reason).toContain('chose llama3.2:8b (quality 0.5, loading,');
  });
});

describe('selectModels: skip rules', () => {
  it('skips open circuits with the time they reopen, and missing models', () => {
    const plan = selectModels(
      input({
        urgency: 'batch',
        deadlineMs: 900_000,
        candidates: fleet({
          'qwen2.5-coder:32b': { state: 'open', acceptsTraffic: false, openUntil: NOW + 3000 },
          'deepseek-coder:latest': { state: 'missing', acceptsTraffic: false },
          'llama3.2:3b': { state: 'loaded' },
        }),
      }),
    );
    expect(models(plan.attempts)).not.toContain('qwen2.5-coder:32b');
    expect(models(plan.attempts)).not.toContain('deepseek-coder:latest');
    expect(plan.skipped).toContainEqual(
      expect.objectContaining({ model: 'qwen2.5-coder:32b', reason: 'circuit_open' }),
    );
    expect(plan.skipped).toContainEqual(
      expect.objectContaining({ model: 'deepseek-coder:latest', reason: 'missing' }),
    );
    expect(plan.reason).toContain('qwen2.5-coder:32b skipped: circuit open until 12:00:03 (~3 s left)');
    expect(plan.attempts[0]!.model).toBe('deepseek-r1:32b');
  });

  it('an open circuit is skipped even if the flag wrongly says it accepts traffic', () => {
    const plan = selectModels(
      input({ candidates: fleet({ 'llama3.2:3b': { state: 'loaded' }, 'llama3.2:8b': { state: 'open' } }) }),
    );
    expect(models(plan.attempts)).not.toContain('llama3.2:8b');
  });

  it('a model on no host is reported as missing', () => {
    const plan = selectModels(
      input({ chain: [{ model: 'nope:1b', quality: 0.99 }, ...config.chains['code_generation']!] }),
    );
    expect(plan.skipped[0]).toEqual({
      id: null,
      model: 'nope:1b',
      host: '',
      quality: 0.99,
      reason: 'missing',
      detail: 'not on any host',
    });
  });

  it('half-open: a trial left lets it through, none left skips it', () => {
    const chain: ChainEntry[] = [{ model: 'llama3.2:8b', quality: 0.9 }];
    const open = selectModels(
      input({ chain, candidates: fleet({ 'llama3.2:8b': { state: 'halfOpen', acceptsTraffic: true } }) }),
    );
    expect(models(open.attempts)).toEqual(['llama3.2:8b']);
    const busy = selectModels(
      input({ chain, candidates: fleet({ 'llama3.2:8b': { state: 'halfOpen', acceptsTraffic: false } }) }),
    );
    expect(busy.attempts).toEqual([]);
    expect(busy.skipped[0]!.reason).toBe('half_open_busy');
  });

  it('requests queued with later deadlines do not count against an interactive one (EDF queue)', () => {
    const chain: ChainEntry[] = [
      { model: 'deepseek-r1:14b', quality: 0.9 },
      { model: 'llama3.2:3b', quality: 0.5 },
    ];
    const candidates = fleet({
      'deepseek-r1:14b': { state: 'loaded', inFlight: 3, latencyEwmaMs: 1500 },
      'llama3.2:3b': { state: 'loaded' },
    });
    const asked: string[] = [];
    // Two of the three wait with later deadlines: only the one in service is ahead (1.5 s + 1.5 s).
    const plan = selectModels(
      input({
        chain,
        candidates,
        queuedBehind: (id) => {
          asked.push(id);
          return id === 'local/deepseek-r1:14b' ? 2 : 0;
        },
      }),
    );
    expect(models(plan.attempts)).toEqual(['deepseek-r1:14b', 'llama3.2:3b']);
    expect(plan.attempts[0]!.expectedMs).toBe(3000);
    // Asked only where a queue exists: the idle 3b's queue is not looked into.
    expect(asked).toEqual(['local/deepseek-r1:14b']);
  });

  it('a busy loaded model whose queue misses the deadline is skipped as no_slot', () => {
    const chain: ChainEntry[] = [
      { model: 'deepseek-r1:14b', quality: 0.9 },
      { model: 'llama3.2:3b', quality: 0.5 },
    ];
    const plan = selectModels(
      input({
        chain,
        candidates: fleet({
          'deepseek-r1:14b': { state: 'loaded', inFlight: 3, latencyEwmaMs: 1500 },
          'llama3.2:3b': { state: 'loaded' },
        }),
      }),
    );
    expect(plan.skipped[0]).toMatchObject({ model: 'deepseek-r1:14b', reason: 'no_slot' });
    expect(plan.skipped[0]!.detail).toMatch(
      /^busy, ~4\.5 s queue wait, ~6 s expected > 5 s interactive deadline$/,
    );
    expect(models(plan.attempts)).toEqual(['llama3.2:3b']);
    expect(plan.late[0]!.model).toBe('deepseek-r1:14b');
  });

  it('a model that cannot load without evicting busy or pinned models is skipped as no_vram', () => {
    const plan = selectModels(
      input({
        urgency: 'batch',
        deadlineMs: 900_000,
        candidates: fleet({ 'qwen2.5-coder:32b': { fitsNow: false }, 'llama3.2:3b': { state: 'loaded' } }),
      }),
    );
    expect(plan.skipped[0]).toMatchObject({ model: 'qwen2.5-coder:32b', reason: 'no_vram' });
    expect(plan.attempts[0]!.model).toBe('deepseek-coder:latest');
    expect(models(plan.late)).toEqual(['qwen2.5-coder:32b']);
  });
});

describe('selectModels: ordering', () => {
  it('the named model goes first when it can answer in time, then its chain', () => {
    const plan = selectModels(
      input({
        namedModel: 'llama3.2:8b',
        candidates: fleet({
          'llama3.2:8b': { state: 'loaded' },
          'deepseek-coder:latest': { state: 'loaded' },
        }),
      }),
    );
    expect(models(plan.attempts).slice(0, 2)).toEqual(['llama3.2:8b', 'deepseek-coder:latest']);
    expect(plan.attempts[0]!.named).toBe(true);
    expect(plan.reason).toMatch(/^chose llama3\.2:8b as requested \(quality 0\.5, loaded/);
    // The caller got the model it named: no better chain model is loaded on its behalf.
    expect(plan.loadInBackground).toEqual([]);
  });

  it('a named model whose usual answer is too slow still goes first for a capped request it can answer', () => {
    // 6 s for the usual 200 tokens, 29 ms each: 5 tokens fit the 5 s deadline easily, 200 do not.
    const slow = { state: 'loaded' as const, latencyEwmaMs: 6000, answerTokens: 200, tokenMs: 29 };
    const over = {
      namedModel: 'llama3.2:8b',
      candidates: fleet({ 'llama3.2:8b': slow, 'llama3.2:3b': { state: 'loaded' } }),
    };
    expect(selectModels(input(over)).attempts[0]).toMatchObject({ model: 'llama3.2:3b' });
    const capped = selectModels(input({ ...over, outputCap: 5 })).attempts[0]!;
    expect(capped).toMatchObject({ model: 'llama3.2:8b', named: true });
    expect(capped.expectedMs).toBe(6000 - 195 * 29);
  });

  it('a named model outside the chain still goes first', () => {
    const plan = selectModels(
      input({
        namedModel: 'tinyllama:latest',
        candidates: fleet({ 'tinyllama:latest': { state: 'loaded' } }),
      }),
    );
    expect(plan.attempts[0]).toMatchObject({ model: 'tinyllama:latest', named: true, outOfChain: false });
  });

  it('a named model that must load past the deadline is loaded in background, unless the caller waits', () => {
    const plain = selectModels(input({ namedModel: 'deepseek-r1:14b' }));
    expect(plain.attempts[0]!.model).toBe('llama3.2:3b');
    expect(plain.loadInBackground.map((b) => b.model)).toEqual(['deepseek-r1:14b']);
    expect(plain.reason).toContain('deepseek-r1:14b skipped: not loaded, load takes ~15 s');

    const waits = selectModels(input({ namedModel: 'deepseek-r1:14b', waitForNamedModel: true }));
    expect(waits.attempts[0]).toMatchObject({ model: 'deepseek-r1:14b', named: true, needsLoad: true });
  });

  it('a named model with an open circuit falls back to its chain and says why', () => {
    const plan = selectModels(
      input({
        namedModel: 'deepseek-coder:latest',
        candidates: fleet({
          'deepseek-coder:latest': { state: 'open', acceptsTraffic: false, openUntil: NOW + 60_000 },
          'llama3.2:8b': { state: 'loaded' },
        }),
      }),
    );
    expect(plan.attempts[0]!.model).toBe('llama3.2:8b');
    expect(plan.reason).toMatch(/^deepseek-coder:latest skipped: circuit open until 12:01:00/);
  });

  it('equal quality: lower expected time first; equal both: chain order', () => {
    const chain: ChainEntry[] = [
      { model: 'deepseek-r1:14b', quality: 0.8 },
      { model: 'llama3.2:8b', quality: 0.8 },
      { model: 'llama3.2:3b', quality: 0.8 },
    ];
    const loaded = { state: 'loaded' as const };
    const byTime = selectModels(
      input({
        chain,
        candidates: fleet({ 'deepseek-r1:14b': loaded, 'llama3.2:8b': loaded, 'llama3.2:3b': loaded }),
      }),
    );
    expect(models(byTime.attempts)).toEqual(['llama3.2:3b', 'llama3.2:8b', 'deepseek-r1:14b']);
    const same = { state: 'loaded' as const, latencyEwmaMs: 800 };
    const byChain = selectModels(
      input({
        chain,
        candidates: fleet({ 'deepseek-r1:14b': same, 'llama3.2:8b': same, 'llama3.2:3b': same }),
      }),
    );
    expect(models(byChain.attempts)).toEqual(['deepseek-r1:14b', 'llama3.2:8b', 'llama3.2:3b']);
  });

  it('out-of-chain models rank by their general-chain quality, then speed', () => {
    const plan = selectModels(
      input({
        candidates: fleet({
          'llama3.2:3b': { state: 'loaded' },
          'tinyllama:latest': { state: 'loaded' },
          'llama3.1:70b': { state: 'loaded', latencyEwmaMs: 1000 },
        }),
      }),
    );
    // code_generation's chain: none loaded. general: llama3.2:3b 0.7, tinyllama 0.5, 70b not in it (0).
    expect(models(plan.attempts)).toEqual(['llama3.2:3b', 'tinyllama:latest', 'llama3.1:70b']);
    expect(plan.attempts.every((a) => a.outOfChain)).toBe(true);
  });

  it('a model on two hosts: the open one is skipped, the other serves; labels name the host', () => {
    const candidates = [
      ...fleet(
        { 'deepseek-coder:latest': { state: 'open', acceptsTraffic: false, openUntil: NOW + 1000 } },
        'a',
      ),
      ...fleet({ 'deepseek-coder:latest': { state: 'loaded' } }, 'b'),
    ];
    const plan = selectModels(input({ candidates }));
    expect(plan.attempts[0]).toMatchObject({ id: 'b/deepseek-coder:latest', host: 'b' });
    expect(plan.reason).toContain('deepseek-coder:latest@a skipped: circuit open');
    expect(plan.reason).toContain('chose deepseek-coder:latest@b');
  });

  it('a model loaded on two hosts gives two attempts, the idle host first', () => {
    const candidates = [
      ...fleet({ 'llama3.2:8b': { state: 'loaded', inFlight: 1 } }, 'a'),
      ...fleet({ 'llama3.2:8b': { state: 'loaded' } }, 'b'),
    ];
    const plan = selectModels(input({ chain: [{ model: 'llama3.2:8b', quality: 0.9 }], candidates }));
    expect(plan.attempts.map((a) => a.id)).toEqual(['b/llama3.2:8b', 'a/llama3.2:8b']);
  });
});

describe('selectModels: properties', () => {
  const MODELS = Object.keys(config.models);
  const states = [
    'unloaded',
    'loading',
    'loaded',
    'degraded',
    'open',
    'halfOpen',
    'missing',
    'unloading',
  ] as const;
  const candidateArb = (model: string, host: string) =>
    fc
      .record({
        state: fc.constantFrom(...states),
        acceptsTraffic: fc.boolean(),
        inFlight: fc.nat(4),
        parallelSlots: fc.integer({ min: 1, max: 3 }),
        latency: fc.option(fc.integer({ min: 50, max: 20_000 }), { nil: null }),
        loadMs: fc.integer({ min: 0, max: 60_000 }),
        loadingFor: fc.integer({ min: 0, max: 60_000 }),
        fitsNow: fc.boolean(),
        fitsIfWarmYields: fc.boolean(),
        trialsLeft: fc.nat(1),
        openFor: fc.integer({ min: -5_000, max: 60_000 }),
        hostUp: fc.boolean(),
      })
      .map((r): CandidateState => {
        const openUntil = r.state === 'open' ? NOW + r.openFor : null;
        const trialsLeft = r.state === 'halfOpen' ? r.trialsLeft : 0;
        return {
          ...fleet({}, host).find((c) => c.model === model)!,
          state: r.state,
          // As the runtime maps it: the one definition, at the time of the view.
          acceptsTraffic: takesTraffic(r.state, openUntil, trialsLeft, NOW),
          trialsLeft,
          openUntil,
          hostUp: r.hostUp || r.acceptsTraffic,
          inFlight: r.inFlight,
          parallelSlots: r.parallelSlots,
          latencyEwmaMs: r.latency,
          loadMs: r.loadMs,
          loadingStartedAt: r.state === 'loading' ? NOW - r.loadingFor : null,
          fitsNow: r.fitsNow,
          fitsIfWarmYields: r.fitsNow || r.fitsIfWarmYields,
        };
      });
  const worldArb = fc
    .record({
      hosts: fc.constantFrom(['h1'], ['h1', 'h2']),
      task: fc.constantFrom(...Object.keys(config.chains)),
      urgency: fc.constantFrom<Urgency>('interactive', 'background', 'batch'),
      named: fc.option(fc.constantFrom(...MODELS, 'unknown:1b'), { nil: undefined }),
      wait: fc.boolean(),
      fallback: fc.boolean(),
      seed: fc.nat(),
    })
    .chain((w) =>
      fc.tuple(...w.hosts.flatMap((h) => MODELS.map((m) => candidateArb(m, h)))).map(
        (candidates): SelectionInput => ({
          ...input({
            taskType: w.task as SelectionInput['taskType'],
            urgency: w.urgency,
            deadlineMs: deadlineMs(w.urgency, config),
            chain: config.chains[w.task]!,
            namedModel: w.named,
            waitForNamedModel: w.wait,
            outOfChainFallback: w.fallback,
          }),
          candidates,
        }),
      ),
    );

  it('the plan never contains a candidate that takes no traffic now, or whose host is down', () => {
    fc.assert(
      fc.property(worldArb, (inp) => {
        const plan = selectModels(inp);
        for (const a of plan.attempts) {
          const c = inp.candidates.find((x) => x.id === a.id)!;
          expect(takesTraffic(c.state, c.openUntil, c.trialsLeft ?? 0, inp.now)).toBe(true);
          expect(c.hostUp).not.toBe(false);
          expect(c.state).not.toBe('missing');
          // An open circuit only once its open time is over: that request is its half-open trial.
          if (c.state === 'open') expect(c.openUntil).toBeLessThanOrEqual(inp.now);
        }
        for (const b of plan.loadInBackground) {
          const c = inp.candidates.find((x) => x.id === b.id)!;
          expect(c.acceptsTraffic && c.state !== 'loading' && c.fitsNow).toBe(true);
        }
      }),
    );
  });

  it('the named model goes first whenever it accepts traffic and can answer in time (or the caller waits)', () => {
    fc.assert(
      fc.property(worldArb, (inp) => {
        const plan = selectModels(inp);
        const feasibleNamed = plan.attempts.some((a) => a.named);
        if (inp.namedModel === undefined) {
          expect(feasibleNamed).toBe(false);
          return;
        }
        const open = inp.candidates.filter(
          (c) => c.model === inp.namedModel && c.acceptsTraffic && c.hostUp !== false,
        );
        const inTime = open.some(
          (c) =>
            expectedMs(c, NOW, inp.expectedOutputTokens, inp.partialOffloadSlowdown) <= inp.deadlineMs &&
            (c.state === 'loaded' ||
              c.state === 'degraded' ||
              c.state === 'halfOpen' ||
              c.state === 'loading' ||
              c.fitsNow ||
              (inp.urgency !== 'interactive' && c.fitsIfWarmYields === true)),
        );
        if (inTime || (inp.waitForNamedModel && open.length > 0)) {
          expect(plan.attempts[0]!.model).toBe(inp.namedModel);
        } else {
          expect(feasibleNamed).toBe(false);
        }
      }),
    );
  });

  it('every attempt meets the deadline, unless it is the named model the caller waits for', () => {
    fc.assert(
      fc.property(worldArb, (inp) => {
        for (const a of selectModels(inp).attempts) {
          if (a.named && inp.waitForNamedModel) continue;
          expect(a.expectedMs).toBeLessThanOrEqual(inp.deadlineMs);
        }
      }),
    );
  });

  it('chain attempts come by quality (a loaded model is worth its urgency bonus more); out-of-chain ones come after them', () => {
    fc.assert(
      fc.property(worldArb, (inp) => {
        const plan = selectModels(inp);
        const bonus = LOADED_BONUS[inp.urgency];
        const worth = (a: { quality: number; needsLoad: boolean }) => a.quality + (a.needsLoad ? 0 : bonus);
        const chainPart = plan.attempts.filter((a) => !a.named && !a.outOfChain);
        for (let i = 1; i < chainPart.length; i++) {
          expect(worth(chainPart[i - 1]!)).toBeGreaterThanOrEqual(worth(chainPart[i]!));
        }
        const firstOut = plan.attempts.findIndex((a) => a.outOfChain);
        if (firstOut >= 0) {
          expect(plan.attempts.slice(firstOut).every((a) => a.outOfChain && !a.needsLoad)).toBe(true);
          expect(inp.outOfChainFallback).toBe(true);
        }
        const ids = plan.attempts.map((a) => a.id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('every named or chain candidate is either attempted or skipped with a reason', () => {
    fc.assert(
      fc.property(worldArb, (inp) => {
        const plan = selectModels(inp);
        const wanted = new Set([
          ...inp.chain.map((e) => e.model),
          ...(inp.namedModel ? [inp.namedModel] : []),
        ]);
        for (const c of inp.candidates) {
          if (!wanted.has(c.model)) continue;
          const attempted = plan.attempts.some((a) => a.id === c.id);
          const skipped = plan.skipped.some((s) => s.id === c.id);
          expect(attempted !== skipped).toBe(true);
        }
        expect(plan.reason.length).toBeGreaterThan(0);
      }),
    );
  });

  it('is pure: the same input gives the same plan, call after call', () => {
    const inp = input();
    const first = selectModels(inp);
    for (let i = 0; i < 2000; i++)
      selectModels(i % 2 ? inp : input({ urgency: 'batch', deadlineMs: 900_000 }));
    expect(selectModels(inp)).toEqual(first);
  });
});

describe('reason formatting', () => {
  it('durations and clock times', () => {
    expect(formatDuration(350)).toBe('~350 ms');
    expect(formatDuration(1234)).toBe('~1.2 s');
    expect(formatDuration(35_000)).toBe('~35 s');
    expect(formatClock(NOW + 3000)).toBe('12:00:03');
    expect(formatClock(86_400_000 + 3_723_000)).toBe('01:02:03');
  });
});

describe('loaded models by urgency (the seed: interactive heavily favours loaded models)', () => {
  const base = {
    taskType: 'fast_response' as const,
    deadlineMs: 5000,
    now: 0,
    chain: [
      { model: 'llama3.2:3b', quality: 0.95 },
      { model: 'tinyllama:latest', quality: 1.0 },
    ],
    outOfChainFallback: true,
    expectedOutputTokens: 64,
    partialOffloadSlowdown: 4,
  };
  const cand = (model: string, state: 'loaded' | 'unloaded', loadMs: number) => ({
    id: `local/${model}`,
    model,
    host: 'local',
    state,
    acceptsTraffic: true,
    inFlight: 0,
    parallelSlots: 1,
    latencyEwmaMs: null,
    loadMs,
    loadingStartedAt: null,
    tokensPerS: 100,
    sizeGb: 1,
    hostVramGb: 16,
    fitsNow: true,
    openUntil: null,
  });
  const candidates = [cand('llama3.2:3b', 'loaded', 4000), cand('tinyllama:latest', 'unloaded', 2000)];

  it('interactive: the loaded model answers and the better cold one loads for the requests that follow', () => {
    const plan = selectModels({ ...base, urgency: 'interactive', candidates });
    expect(plan.attempts[0]!.model).toBe('llama3.2:3b');
    expect(plan.loadInBackground.map((b) => b.model)).toEqual(['tinyllama:latest']);
  });

  it('background: a cold model must beat the loaded one by more than the margin', () => {
    expect(selectModels({ ...base, urgency: 'background', candidates }).attempts[0]!.model).toBe(
      'llama3.2:3b',
    );
    const wide = [
      { model: 'llama3.2:3b', quality: 0.7 },
      { model: 'tinyllama:latest', quality: 1.0 },
    ];
    expect(selectModels({ ...base, urgency: 'background', chain: wide, candidates }).attempts[0]!.model).toBe(
      'tinyllama:latest',
    );
  });

  it('batch: quality first, whatever is loaded', () => {
    expect(selectModels({ ...base, urgency: 'batch', candidates }).attempts[0]!.model).toBe(
      'tinyllama:latest',
    );
  });
});
