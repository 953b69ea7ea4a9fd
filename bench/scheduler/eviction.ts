import type { Config } from '../../src/config/schema.ts';
import {
  EVICTION_POLICIES,
  simulateTrace,
  type TraceModel,
  type TraceRequest,
  type TraceResult,
} from '../../src/policy/eviction.ts';
import type { DayRequest } from '../../src/simulate/day-trace.ts';
import { bestOf } from '../../src/simulate/quality.ts';
import { Prng } from '../../src/simulator/prng.ts';

export interface PolicyRow {
  trace: string;
  requests: number;
  policy: string;
  loads: number;
  load_s: number;
  evictions: number;
  hits: number;
  refused: number;
}

/**
 * Our eviction choice alone against Ollama's order and LRU, on named-model traces through one 16 GB card
 * (simulateTrace: instantaneous requests, so only the choice of victim differs):
 * - `day → best model`: the day's requests, each naming its chain's best model (what a naive client asks);
 * - `day → best model that fits`: the same, with the best chain model of ≤ 9 GB (the giants cannot share the
 *   card, so they make every policy equal; this trace is where the choice matters);
 * - `skewed + scans`: Zipf-like demand over the models that fit, with a sweep through all of them every so often.
 */
export function compareEvictionPolicies(config: Readonly<Config>, day: readonly DayRequest[]): PolicyRow[] {
  const host = config.hosts[0]!;
  const models: Record<string, TraceModel> = {};
  for (const [name, m] of Object.entries(config.models))
    models[name] = { sizeGb: m.size_gb, loadSeconds: m.load_time_s };
  const small = Object.keys(models).filter((m) => models[m]!.sizeGb <= 9);
  const traces: Record<string, TraceRequest[]> = {
    'day → best model': day.map((r) => ({ t: r.t * 1000, model: bestOf(config, r.task_type).model })),
    'day → best model that fits': day.map((r) => ({
      t: r.t * 1000,
      model:
        [...(config.chains[r.task_type] ?? [])]
          .sort((a, b) => b.quality - a.quality)
          .find((e) => small.includes(e.model))?.model ?? 'llama3.2:3b',
    })),
    'skewed + scans': skewed(small, 3000, 11),
  };
  const rows: PolicyRow[] = [];
  for (const [trace, requests] of Object.entries(traces)) {
    for (const policy of Object.values(EVICTION_POLICIES)) {
      const r: TraceResult = simulateTrace(requests, {
        budgetGb: host.vram_gb,
        maxLoadedModels: host.max_loaded_models,
        models,
        policy,
        pinned: config.warm_set,
      });
      rows.push({
        trace,
        requests: r.requests,
        policy: policy.name,
        loads: r.loads,
        load_s: Math.round(r.loadSeconds),
        evictions: r.evictions,
        hits: r.hits,
        refused: r.refused,
      });
    }
  }
  return rows;
}

/** Requests every ~20 s; model i drawn with weight 1/(i+1)²; every 150th request starts a sweep of all. */
function skewed(models: readonly string[], n: number, seed: number): TraceRequest[] {
  const rng = new Prng(seed);
  const weights = models.map((_, i) => 1 / (i + 1) ** 2);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: TraceRequest[] = [];
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += 1000 + rng.next() * 40_000;
    if (i % 150 === 149) {
      for (const m of models) {
        t += 500;
        out.push({ t, model: m });
      }
      continue;
    }
    let x = rng.next() * total;
    let k = 0;
    while (x > weights[k]! && k < models.length - 1) x -= weights[k++]!;
    out.push({ t, model: models[k]! });
  }
  return out;
}
