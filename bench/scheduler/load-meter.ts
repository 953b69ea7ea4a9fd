import type { SimulatorHandle } from '../../src/simulator/index.ts';

export interface LoadTally {
  loads: number;
  /** Real milliseconds spent loading, summed over loads (Ollama loads one model at a time). */
  loadRealMs: number;
  byModel: Record<string, number>;
}

/**
 * Counts loads the simulator performs by watching its state every few milliseconds: a model appearing as
 * `loading` starts a load, leaving that state (loaded or gone) ends it. The simulator only counts loads in
 * total; per model and in time is what the comparison needs. Loads are tens of milliseconds at the bench's
 * scale, so a 2 ms poll sees every one.
 */
export function meterLoads(sim: SimulatorHandle, everyMs = 2): { stop(): LoadTally } {
  const loading = new Map<string, number>();
  const tally: LoadTally = { loads: 0, loadRealMs: 0, byModel: {} };
  const poll = () => {
    const now = performance.now();
    const current = new Set<string>();
    for (const m of sim.state().models) {
      if (m.status !== 'loading') continue;
      current.add(m.name);
      if (!loading.has(m.name)) {
        loading.set(m.name, now);
        tally.loads++;
        tally.byModel[m.name] = (tally.byModel[m.name] ?? 0) + 1;
      }
    }
    for (const [name, since] of loading) {
      if (current.has(name)) continue;
      tally.loadRealMs += now - since;
      loading.delete(name);
    }
  };
  const timer = setInterval(poll, everyMs);
  return {
    stop() {
      clearInterval(timer);
      poll();
      const now = performance.now();
      for (const since of loading.values()) tally.loadRealMs += now - since;
      return tally;
    },
  };
}
