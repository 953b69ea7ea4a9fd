import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lruPolicy, ollamaPolicy, valuePolicy } from '../../src/policy/eviction.ts';
import {
  applyLoadPlan,
  createLedger,
  fits,
  freeGb,
  type HostLedger,
  type LedgerEntry,
  type LoadPlan,
  loadedCount,
  markLoaded,
  planLoad,
  removeEntry,
  usedGb,
  withInFlight,
} from '../../src/policy/vram-ledger.ts';

function entry(sizeGb: number, over: Partial<LedgerEntry> = {}): LedgerEntry {
  return { sizeGb, sizeVramGb: sizeGb, status: 'loaded', inFlight: 0, pinned: false, lastUsed: 0, ...over };
}

function ledger(entries: Record<string, LedgerEntry>, budgetGb = 16, maxLoadedModels = 3): HostLedger {
  return { budgetGb, maxLoadedModels, entries };
}

/** Used VRAM after a plan is carried out. */
function usedAfter(l: HostLedger, model: string, sizeGb: number, plan: LoadPlan): number {
  return usedGb(applyLoadPlan(l, model, sizeGb, plan, 0));
}

describe('ledger accounting', () => {
  it('used, free, fits (size and slot count)', () => {
    const l = ledger({ a: entry(5), b: entry(20, { sizeVramGb: 6 }) });
    expect(usedGb(l)).toBe(11);
    expect(freeGb(l)).toBe(5);
    expect(fits(l, 5)).toBe(true);
    expect(fits(l, 5.1)).toBe(false);
    expect(fits(ledger({ a: entry(1), b: entry(1), c: entry(1) }), 1)).toBe(false);
    expect(fits(createLedger(16, 3), 16)).toBe(true);
  });

  it('updates return new ledgers and leave the old one alone', () => {
    const l0 = createLedger(16, 3);
    const plan = planLoad(l0, 'm', 5);
    const l1 = applyLoadPlan(l0, 'm', 5, plan, 100, { loadSeconds: 8 });
    expect(l0.entries).toEqual({});
    expect(l1.entries['m']).toEqual({
      sizeGb: 5,
      sizeVramGb: 5,
      status: 'loading',
      inFlight: 0,
      pinned: false,
      lastUsed: 100,
      loadSeconds: 8,
    });
    const l2 = withInFlight(markLoaded(l1, 'm'), 'm', 1, 200);
    expect(l2.entries['m']).toMatchObject({ status: 'loaded', inFlight: 1, lastUsed: 200 });
    expect(withInFlight(l2, 'm', -5, 300).entries['m']!.inFlight).toBe(0);
    expect(loadedCount(removeEntry(l2, 'm'))).toBe(0);
    expect(removeEntry(l2, 'nope')).toBe(l2);
    expect(markLoaded(l2, 'nope')).toBe(l2);
  });

  it('survives a JSON round trip', () => {
    const l = applyLoadPlan(
      ledger({ a: entry(5, { pinned: true }) }),
      'b',
      4,
      planLoad(ledger({}), 'b', 4),
      7,
    );
    expect(JSON.parse(JSON.stringify(l))).toEqual(l);
  });
});

describe('planLoad', () => {
  it('already loaded or loading → nothing to do', () => {
    expect(planLoad(ledger({ a: entry(5) }), 'a', 5).action).toBe('none');
    expect(planLoad(ledger({ a: entry(5, { status: 'loading' }) }), 'a', 5)).toMatchObject({
      action: 'none',
      reason: 'a is already loading',
    });
  });

  it('fits: load without evicting', () => {
    expect(planLoad(ledger({ a: entry(5) }), 'b', 11)).toMatchObject({
      action: 'load',
      evict: [],
      vramGb: 11,
    });
  });

  it('evicts the idle model of lowest value (demand × load cost ÷ size)', () => {
    const l = ledger({ hot: entry(9, { loadSeconds: 15 }), cold: entry(5, { loadSeconds: 8 }) });
    const demand: Record<string, number> = { hot: 10, cold: 0.5 };
    const plan = planLoad(l, 'new', 4, { demandOf: (m) => demand[m] ?? 0 });
    expect(plan).toMatchObject({ action: 'load', evict: ['cold'] });
    // LRU would evict `hot` if it was used longer ago.
    const lru = planLoad(
      ledger({ hot: entry(9, { lastUsed: 1 }), cold: entry(5, { lastUsed: 2 }) }),
      'new',
      4,
      { policy: lruPolicy },
    );
    expect(lru).toMatchObject({ action: 'load', evict: ['hot'] });
  });

  it('max_loaded_models: evicts one for the slot even when VRAM would fit', () => {
    const l = ledger({
      a: entry(1, { lastUsed: 3 }),
      b: entry(1, { lastUsed: 1 }),
      c: entry(1, { lastUsed: 2 }),
    });
    expect(planLoad(l, 'd', 1, { policy: lruPolicy })).toMatchObject({ action: 'load', evict: ['b'] });
  });

  it('never evicts busy, pinned or loading models: waits for the busy ones', () => {
    const l = ledger({
      busy: entry(6, { inFlight: 1 }),
      warm: entry(2.5, { pinned: true }),
      loading: entry(5, { status: 'loading' }),
    });
    const plan = planLoad(l, 'new', 5);
    expect(plan.action).toBe('wait');
    if (plan.action === 'wait') expect(plan.blockers.sort()).toEqual(['busy', 'loading']);
  });

  it('uses idle victims when they are enough, even with busy models around', () => {
    const l = ledger(
      { busy: entry(6, { inFlight: 2 }), idle: entry(6), warm: entry(2.5, { pinned: true }) },
      16,
      4,
    );
    expect(planLoad(l, 'new', 6)).toMatchObject({ action: 'load', evict: ['idle'] });
  });

  it('a model bigger than the card loads partially offloaded once everything evictable is gone', () => {
    const l = ledger({ warm: entry(2.5, { pinned: true }), a: entry(5), b: entry(3.8) });
    const plan = planLoad(l, 'qwen2.5-coder:32b', 20);
    expect(plan.action).toBe('partial_offload');
    if (plan.action !== 'partial_offload') return;
    expect(plan.evict.sort()).toEqual(['a', 'b', 'warm']);
    expect(plan.vramGb).toBe(16);
    expect(plan.reason).toMatch(/loads alone, 16 GB on GPU, the rest in system RAM \(slow\)/);
    expect(usedAfter(l, 'qwen2.5-coder:32b', 20, plan)).toBe(16);
  });

  it('a model that fits the card but not beside the pinned set displaces the warm set (Ollama would)', () => {
    const plan = planLoad(ledger({ warm: entry(4, { pinned: true }) }), 'r1', 14);
    expect(plan).toMatchObject({ action: 'load', evict: ['warm'], vramGb: 14 });
  });

  it('a pinned model that is busy makes a model that cannot fit beside it wait', () => {
    const plan = planLoad(ledger({ warm: entry(4, { pinned: true, inFlight: 1 }) }), 'r1', 14);
    expect(plan).toMatchObject({ action: 'wait', blockers: ['warm'] });
  });

  it("never evicts another client's model, and refuses when they leave no room", () => {
    const l = ledger({ theirs: entry(10, { pinned: true, foreign: true }), a: entry(3) });
    expect(planLoad(l, 'x', 5)).toMatchObject({ action: 'load', evict: ['a'] });
    expect(planLoad(l, 'big', 20).action).toBe('refuse');
    expect(planLoad(ledger({ theirs: entry(16, { foreign: true }) }), 'x', 1).action).toBe('refuse');
  });

  it('partial offload waits while another unpinned model is busy or loading', () => {
    const plan = planLoad(ledger({ a: entry(5, { inFlight: 1 }) }), 'llama3.1:70b', 40);
    expect(plan).toMatchObject({ action: 'wait', blockers: ['a'] });
  });

  it('a warm set that fills the card or its slots yields to a model that has no other room', () => {
    expect(planLoad(ledger({ p: entry(16, { pinned: true }) }), 'x', 1)).toMatchObject({
      action: 'load',
      evict: ['p'],
    });
    expect(planLoad(ledger({ p: entry(1, { pinned: true }) }, 16, 1), 'x', 1)).toMatchObject({
      action: 'load',
      evict: ['p'],
    });
  });

  it('a warm-set model that is away keeps its room: a giant may not take the card for an interactive request', () => {
    // The soak's case: a host restart emptied the card; the warm model (2.5 GB) had not come back yet when an
    // interactive request wanted the 44 GB model, which then held the card for minutes.
    const away = { ...ledger({ tiny: entry(0.6), coder: entry(3.8) }), reserved: { 'llama3.2:3b': 2.5 } };
    const refused = planLoad(away, 'llama3.1:70b', 44, { displaceWarmSet: false });
    expect(refused).toMatchObject({ action: 'refuse' });
    expect(refused.reason).toContain('llama3.2:3b, away now');
    // Without the reservation the same ledger lets it in.
    expect(
      planLoad(ledger({ tiny: entry(0.6), coder: entry(3.8) }), 'llama3.1:70b', 44, {
        displaceWarmSet: false,
      }).action,
    ).toBe('partial_offload');
    // A model that fits beside the room kept loads; one that may displace the warm set may take it.
    expect(planLoad(away, 'mid', 9, { displaceWarmSet: false }).action).toBe('load');
    expect(planLoad(away, 'llama3.1:70b', 44, { displaceWarmSet: true }).action).toBe('partial_offload');
  });

  it("the seed's card: qwen2.5-coder:32b with llama3.2:3b warm and deepseek-coder busy must wait", () => {
    const l = ledger({
      'llama3.2:3b': entry(2.5, { pinned: true }),
      'deepseek-coder:latest': entry(3.8, { inFlight: 1 }),
    });
    expect(planLoad(l, 'qwen2.5-coder:32b', 20).action).toBe('wait');
    const idle = withInFlight(l, 'deepseek-coder:latest', -1, 5);
    expect(planLoad(idle, 'qwen2.5-coder:32b', 20)).toMatchObject({
      action: 'partial_offload',
      evict: ['deepseek-coder:latest', 'llama3.2:3b'],
      vramGb: 16,
    });
  });
});

describe('planLoad: properties', () => {
  const entryArb = fc.record({
    sizeGb: fc.double({ min: 0.3, max: 24, noNaN: true }),
    offloaded: fc.boolean(),
    status: fc.constantFrom<'loading' | 'loaded'>('loading', 'loaded'),
    inFlight: fc.constantFrom(0, 0, 1, 3),
    pinned: fc.boolean(),
    lastUsed: fc.nat(1000),
    loadSeconds: fc.double({ min: 1, max: 90, noNaN: true }),
  });
  /** A ledger that respects its own budget and slot count (as one built by planLoad always does). */
  const ledgerArb = fc
    .record({
      budgetGb: fc.double({ min: 4, max: 48, noNaN: true }),
      maxLoadedModels: fc.integer({ min: 1, max: 4 }),
      raw: fc.array(entryArb, { maxLength: 5 }),
    })
    .map(({ budgetGb, maxLoadedModels, raw }) => {
      const entries: Record<string, LedgerEntry> = {};
      let used = 0;
      raw.forEach((r, i) => {
        if (Object.keys(entries).length >= maxLoadedModels) return;
        const vram = Math.min(r.offloaded ? r.sizeGb / 2 : r.sizeGb, budgetGb - used);
        if (vram <= 0) return;
        used += vram;
        const { offloaded: _, ...rest } = r;
        entries[`m${i}`] = { ...rest, sizeVramGb: vram };
      });
      return { budgetGb, maxLoadedModels, entries };
    });
  const args = fc.tuple(
    ledgerArb,
    fc.double({ min: 0.1, max: 60, noNaN: true }),
    fc.constantFrom(valuePolicy, lruPolicy, ollamaPolicy),
    fc.dictionary(fc.constantFrom('m0', 'm1', 'm2', 'm3', 'm4'), fc.double({ min: 0, max: 20, noNaN: true })),
  );

  it('never plans a load that pushes used VRAM over the budget or loaded models over the limit', () => {
    fc.assert(
      fc.property(args, ([l, size, policy, demand]) => {
        const plan = planLoad(l, 'new', size, { policy, demandOf: (m) => demand[m] ?? 0 });
        if (plan.action !== 'load' && plan.action !== 'partial_offload') return;
        const after = applyLoadPlan(l, 'new', size, plan, 1);
        expect(usedGb(after)).toBeLessThanOrEqual(l.budgetGb + 1e-6);
        expect(loadedCount(after)).toBeLessThanOrEqual(l.maxLoadedModels);
        expect(plan.vramGb).toBeGreaterThan(0);
        expect(plan.vramGb).toBeLessThanOrEqual(size + 1e-9);
        if (plan.action === 'load') expect(plan.vramGb).toBe(size);
      }),
    );
  });

  it('never evicts a busy or loading model, and a pinned one only for a model that cannot fit beside the pinned set', () => {
    fc.assert(
      fc.property(args, ([l, size, policy]) => {
        const plan = planLoad(l, 'new', size, { policy });
        if (plan.action !== 'load' && plan.action !== 'partial_offload') return;
        const pinned = Object.values(l.entries).filter((e) => e.pinned);
        const pinnedGb = pinned.reduce((sum, e) => sum + e.sizeVramGb, 0);
        const fitsBesidePinned =
          size <= l.budgetGb - pinnedGb + 1e-9 && pinned.length + 1 <= l.maxLoadedModels;
        for (const v of plan.evict) {
          const e = l.entries[v]!;
          expect(e).toBeDefined();
          if (e.pinned) expect(fitsBesidePinned).toBe(false);
          expect(e.inFlight).toBe(0);
          expect(e.status).toBe('loaded');
        }
      }),
    );
  });

  it('answers load whenever the model fits without evicting, and waits only on busy models', () => {
    fc.assert(
      fc.property(args, ([l, size]) => {
        const plan = planLoad(l, 'new', size);
        if (fits(l, size)) expect(plan).toMatchObject({ action: 'load', evict: [] });
        if (plan.action === 'wait') {
          expect(plan.blockers.length).toBeGreaterThan(0);
          for (const b of plan.blockers) {
            const e = l.entries[b]!;
            expect(e.inFlight > 0 || e.status === 'loading').toBe(true);
          }
        }
      }),
    );
  });
});
