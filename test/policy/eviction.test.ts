import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseVictims,
  type EvictionCandidate,
  evictionValue,
  lruPolicy,
  ollamaPolicy,
  simulateTrace,
  type TraceRequest,
  valuePolicy,
} from '../../src/policy/eviction.ts';

function cand(model: string, over: Partial<EvictionCandidate> = {}): EvictionCandidate {
  return {
    model,
    sizeGb: 4,
    loadSeconds: 8,
    demand: 0,
    lastUsed: 0,
    keepAliveS: Number.POSITIVE_INFINITY,
    ...over,
  };
}

describe('eviction value', () => {
  it('grows with demand and load cost, falls with size', () => {
    const base = cand('m', { demand: 2, loadSeconds: 10, sizeGb: 5 });
    expect(evictionValue({ ...base, demand: 4 })).toBeGreaterThan(evictionValue(base));
    expect(evictionValue({ ...base, loadSeconds: 20 })).toBeGreaterThan(evictionValue(base));
    expect(evictionValue({ ...base, sizeGb: 10 })).toBeLessThan(evictionValue(base));
  });

  it('with no demand at all, cheap-to-reload big models go first', () => {
    const victims = chooseVictims(
      [cand('slow-small', { sizeGb: 2, loadSeconds: 30 }), cand('fast-big', { sizeGb: 6, loadSeconds: 5 })],
      1,
      0,
      valuePolicy,
    );
    expect(victims).toEqual(['fast-big']);
  });
});

describe('chooseVictims', () => {
  it('nothing needed → no victims', () => {
    expect(chooseVictims([cand('a')], 0, 0, valuePolicy)).toEqual([]);
    expect(chooseVictims([cand('a')], -3, 0, lruPolicy)).toEqual([]);
  });

  it('null when even every candidate together is not enough', () => {
    expect(chooseVictims([cand('a', { sizeGb: 2 }), cand('b', { sizeGb: 2 })], 5, 0, valuePolicy)).toBeNull();
    expect(chooseVictims([cand('a')], 0, 2, valuePolicy)).toBeNull();
  });

  it('value policy evicts lowest value first and no more than needed', () => {
    const cs = [
      cand('hot', { demand: 10, sizeGb: 9, loadSeconds: 15 }),
      cand('cold-a', { demand: 0.1, sizeGb: 2 }),
      cand('cold-b', { demand: 0.2, sizeGb: 5 }),
    ];
    expect(chooseVictims(cs, 4, 0, valuePolicy)).toEqual(['cold-b']);
    expect(chooseVictims(cs, 6, 0, valuePolicy)).toEqual(['cold-b', 'cold-a']);
  });

  it('value policy prunes a low-value victim the later ones already make room for (fewest victims)', () => {
    // In value order: tiny (0.5 GB) first, then big (8 GB). 8 GB alone frees the 6 GB needed.
    const cs = [cand('tiny', { sizeGb: 0.5, loadSeconds: 1 }), cand('big', { sizeGb: 8, loadSeconds: 20 })];
    expect(evictionValue(cs[0]!)).toBeLessThan(evictionValue(cs[1]!));
    expect(chooseVictims(cs, 6, 0, valuePolicy)).toEqual(['big']);
    // The baselines do not prune: they evict in order until it fits.
    expect(chooseVictims(cs, 6, 0, { ...lruPolicy, compare: valuePolicy.compare })).toEqual(['tiny', 'big']);
  });

  it('slots count too: one victim frees one loaded-model slot', () => {
    expect(chooseVictims([cand('a', { lastUsed: 5 }), cand('b', { lastUsed: 1 })], 0, 1, lruPolicy)).toEqual([
      'b',
    ]);
  });

  it("Ollama's order: shortest keep-alive first, ties by name, kept-forever last — demand ignored", () => {
    const cs = [
      cand('zeta', { keepAliveS: 300, demand: 100 }),
      cand('alpha', { keepAliveS: 300 }),
      cand('forever', { demand: 0 }),
      cand('short', { keepAliveS: 60, demand: 50 }),
    ];
    const order = [...cs].sort(ollamaPolicy.compare).map((c) => c.model);
    expect(order).toEqual(['short', 'alpha', 'zeta', 'forever']);
    expect(chooseVictims(cs, 5, 0, ollamaPolicy)).toEqual(['short', 'alpha']);
  });

  it('LRU: least recently used first', () => {
    const cs = [cand('new', { lastUsed: 30 }), cand('old', { lastUsed: 10 }), cand('mid', { lastUsed: 20 })];
    expect(chooseVictims(cs, 7, 0, lruPolicy)).toEqual(['old', 'mid']);
  });

  it('property: victims are distinct candidates that free enough, or null only when all would not', () => {
    const candArb = fc.record({
      sizeGb: fc.double({ min: 0.1, max: 20, noNaN: true }),
      loadSeconds: fc.double({ min: 0.5, max: 90, noNaN: true }),
      demand: fc.double({ min: 0, max: 50, noNaN: true }),
      lastUsed: fc.nat(1e6),
      keepAliveS: fc.constantFrom(60, 300, Number.POSITIVE_INFINITY),
    });
    fc.assert(
      fc.property(
        fc.array(candArb, { maxLength: 6 }),
        fc.double({ min: -5, max: 40, noNaN: true }),
        fc.integer({ min: -1, max: 4 }),
        fc.constantFrom(valuePolicy, lruPolicy, ollamaPolicy),
        (raw, needGb, needSlots, policy) => {
          const cs = raw.map((r, i) => ({ ...r, model: `m${i}` }));
          const victims = chooseVictims(cs, needGb, needSlots, policy);
          const total = cs.reduce((s, c) => s + c.sizeGb, 0);
          if (victims === null) {
            expect(total < needGb - 1e-9 || cs.length < needSlots).toBe(true);
            return;
          }
          expect(new Set(victims).size).toBe(victims.length);
          const freed = victims.reduce((s, v) => s + cs.find((c) => c.model === v)!.sizeGb, 0);
          expect(freed).toBeGreaterThanOrEqual(needGb - 1e-6);
          expect(victims.length).toBeGreaterThanOrEqual(needSlots);
          if (policy.minimise) {
            // Minimal: sparing any single victim would leave too little room or too few slots.
            for (const v of victims) {
              const size = cs.find((c) => c.model === v)!.sizeGb;
              expect(freed - size < needGb - 1e-9 || victims.length - 1 < needSlots).toBe(true);
            }
          }
        },
      ),
    );
  });
});

describe('simulateTrace: value-based eviction against the baselines', () => {
  const models = {
    'deepseek-r1:14b': { sizeGb: 9, loadSeconds: 15 },
    'llama3.2:8b': { sizeGb: 5, loadSeconds: 8 },
    'mistral:7b': { sizeGb: 4.1, loadSeconds: 7 },
    'phi3:mini': { sizeGb: 2.3, loadSeconds: 4 },
    'qwen2.5:3b': { sizeGb: 1.9, loadSeconds: 4 },
  };
  const cold = ['llama3.2:8b', 'mistral:7b', 'phi3:mini', 'qwen2.5:3b'];
  /** A hot, big, slow-to-load model asked for in bursts, with scans of cold small models in between. */
  function hotAndCold(rounds: number): TraceRequest[] {
    const trace: TraceRequest[] = [];
    let k = 0;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 6; i++) {
        const model = i < 3 ? 'deepseek-r1:14b' : cold[k++ % cold.length]!;
        trace.push({ t: (r * 6 + i + 1) * 10_000, model });
      }
    }
    return trace;
  }
  const card = { budgetGb: 16, maxLoadedModels: 3, models };

  it('keeps the hot big model and spends fewer load seconds than LRU and Ollama order', () => {
    const trace = hotAndCold(30);
    const value = simulateTrace(trace, { ...card, policy: valuePolicy });
    const lru = simulateTrace(trace, { ...card, policy: lruPolicy });
    const ollama = simulateTrace(trace, { ...card, policy: ollamaPolicy });
    expect(value.loadSeconds).toBeLessThan(lru.loadSeconds);
    expect(value.loadSeconds).toBeLessThan(ollama.loadSeconds);
    // The hot model is loaded once and every later request for it is a hit.
    expect(value.hits).toBeGreaterThanOrEqual(30 * 3 - 1);
    for (const r of [value, lru, ollama]) {
      expect(r.requests).toBe(trace.length);
      expect(r.hits + r.loads + r.refused).toBe(r.requests);
      expect(r.refused).toBe(0);
    }
  });

  it('counts a hit for a loaded model and never exceeds the slot limit', () => {
    const r = simulateTrace(
      [
        { t: 1, model: 'phi3:mini' },
        { t: 2, model: 'phi3:mini' },
        { t: 3, model: 'qwen2.5:3b' },
        { t: 4, model: 'mistral:7b' },
        { t: 5, model: 'llama3.2:8b' },
      ],
      { ...card, policy: lruPolicy },
    );
    expect(r).toMatchObject({ requests: 5, hits: 1, loads: 4, evictions: 1, loadSeconds: 4 + 4 + 7 + 8 });
  });

  it('a model bigger than the card loads alone (partially offloaded); pinned models stay', () => {
    const big = { ...models, 'llama3.1:70b': { sizeGb: 40, loadSeconds: 90 } };
    const r = simulateTrace(
      [
        { t: 1, model: 'phi3:mini' },
        { t: 2, model: 'mistral:7b' },
        { t: 3, model: 'llama3.1:70b' },
        { t: 4, model: 'qwen2.5:3b' },
      ],
      { budgetGb: 16, maxLoadedModels: 3, models: big, policy: valuePolicy, pinned: ['qwen2.5:3b'] },
    );
    expect(r).toMatchObject({ loads: 3, hits: 1, evictions: 2, refused: 0 });
  });

  it('rejects a trace naming an unknown model', () => {
    expect(() => simulateTrace([{ t: 0, model: 'x' }], { ...card, policy: lruPolicy })).toThrow(
      /not in options.models/,
    );
  });
});
