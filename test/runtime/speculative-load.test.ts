import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.ts';
import { createDemand, recordRequest } from '../../src/policy/demand.ts';
import { Chains } from '../../src/runtime/chains.ts';
import type { Fleet } from '../../src/runtime/fleet.ts';
import type { Loader } from '../../src/runtime/loader.ts';
import { speculate } from '../../src/runtime/speculative-load.ts';

const NOW = 1_767_571_200_000;

/** The fleet as speculation reads it: views with residency and what a load would evict. */
function fleetOf(views: Array<{ model: string; resident: boolean; wouldEvict?: string[] }>): Fleet {
  const full = views.map((v) => ({
    id: `local/${v.model}`,
    host: 'local',
    model: v.model,
    resident: v.resident,
    loadingStartedAt: null,
    wouldEvict: v.wouldEvict ?? [],
  }));
  return {
    view: (id: string) => full.find((v) => v.id === id),
    candidates: () => full,
  } as unknown as Fleet;
}

function loaderSpy() {
  const wants: Array<{ id: string; mode: string }> = [];
  const loader = {
    want: (id: string, o: { mode: string }) => {
      wants.push({ id, mode: o.mode });
      return Promise.resolve({ alreadyLoaded: false, evicted: [] });
    },
  } as unknown as Loader;
  return { loader, wants };
}

function demandOf(tasks: Record<string, number>) {
  const d = createDemand();
  for (const [task, n] of Object.entries(tasks))
    for (let i = 0; i < n; i++) recordRequest(d, { now: NOW, taskType: task as 'reasoning' });
  return d;
}

describe('speculate: loads for the requests that follow only when worth what they evict', () => {
  const fleet = fleetOf([
    { model: 'deepseek-r1:14b', resident: true },
    { model: 'llama3.2:3b', resident: true },
    { model: 'deepseek-coder:latest', resident: true },
    { model: 'llama3.2:8b', resident: false, wouldEvict: ['deepseek-r1:14b'] },
    { model: 'tinyllama:latest', resident: false },
  ]);
  const chains = new Chains(defaultConfig());

  it('declines to evict the reasoning model during reasoning work, and says why', () => {
    const { loader, wants } = loaderSpy();
    const demand = demandOf({ reasoning: 6, simple: 1 });
    const why = speculate({ fleet, loader, chains, demand, now: NOW }, 'local/llama3.2:8b');
    expect(why).toMatch(
      /^not worth evicting deepseek-r1:14b for llama3.2:8b: it adds [\d.]+ against [\d.]+ lost/,
    );
    expect(wants).toEqual([]);
  });

  it('asks for the load once the demand has turned', () => {
    const { loader, wants } = loaderSpy();
    const demand = demandOf({ simple: 8, general: 2 });
    expect(speculate({ fleet, loader, chains, demand, now: NOW }, 'local/llama3.2:8b')).toBeUndefined();
    expect(wants).toEqual([{ id: 'local/llama3.2:8b', mode: 'predicted' }]);
  });

  it('asks without weighing anything when the load evicts nothing', () => {
    const { loader, wants } = loaderSpy();
    const demand = demandOf({ reasoning: 50 });
    expect(speculate({ fleet, loader, chains, demand, now: NOW }, 'local/tinyllama:latest')).toBeUndefined();
    expect(wants).toEqual([{ id: 'local/tinyllama:latest', mode: 'predicted' }]);
  });
});
