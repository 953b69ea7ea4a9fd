import type { Config, Urgency } from '../../src/config/schema.ts';
import { URGENCIES } from '../../src/config/schema.ts';
import { type DayRequest, dayTrace } from '../../src/simulate/day-trace.ts';
import { bestOf, deadlineMsOf, qualityOf } from '../../src/simulate/quality.ts';
import { type SimState, startSimulator } from '../../src/simulator/index.ts';
import { seedWorld } from '../lib/configs.ts';
import { postJson } from '../lib/http.ts';
import { percentile, round } from '../lib/stats.ts';
import { startWorld } from '../lib/world.ts';
import { type CrossCheck, crossCheck } from './cross-check.ts';
import { compareEvictionPolicies, type PolicyRow } from './eviction.ts';
import { type LoadTally, meterLoads } from './load-meter.ts';
import { type Outcome, replay } from './replay.ts';

export interface SystemFigures {
  system: 'service' | 'baseline';
  requests: number;
  answered: number;
  hit_rate: Record<Urgency, { requests: number; hit_rate: number; p50_s: number; p95_s: number }>;
  /** Simulated seconds spent loading models (measured), and the loads. */
  load_s: number;
  loads: number;
  loads_by_model: Record<string, number>;
  /** Mean chain quality of the model that answered, over answered requests. */
  mean_quality: number;
  /** The same with unanswered requests counted as 0. */
  mean_quality_all: number;
  out_of_chain: number;
  evictions_by_ollama: number;
  unloads_by_manager: number;
  expirations: number;
  vram_peak_gb: number;
  errors: Record<string, number>;
  /** Interactive requests that missed their deadline, by what happened (service: its last attempt). */
  interactive_misses: Record<string, number>;
}

export interface SchedulerResult {
  scale: number;
  hours: number[];
  gap_cap_s: number;
  span_sim_s: number;
  requests: number;
  mix: Record<string, number>;
  ideal_quality: number;
  service: SystemFigures;
  baseline: SystemFigures;
  eviction_policies: PolicyRow[];
  /** The same trace through the simulation engine in virtual time, figure by figure. */
  cross_check?: CrossCheck;
  targets: Array<{ name: string; goal: string; value: number; met: boolean; note: string }>;
}

/**
 * A seeded day replayed time-compressed through the service, then through the naive baseline (every
 * request straight to its chain's best model on the simulator, which evicts in Ollama's order), on the
 * seed's catalog and one 16 GB host. Idle gaps longer than `gap_cap_s` are cut and every timing is ×
 * `scale`, so a full day takes a minute or two per system.
 */
export async function runScheduler(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<SchedulerResult> {
  const scale = 0.01;
  const gapCapS = 8;
  const hours = opts.quick ? [3, 9, 14, 20] : Array.from({ length: 24 }, (_, h) => h);
  const trace = dayTrace({ seed: 20_251_126, hours, gapCapS });
  const config = seedWorld(scale);
  const mix: Record<string, number> = {};
  for (const r of trace) mix[`${r.task_type}/${r.urgency}`] = (mix[`${r.task_type}/${r.urgency}`] ?? 0) + 1;
  const ideal = trace.reduce((s, r) => s + bestOf(config, r.task_type).quality, 0) / trace.length;
  const spanS = trace.at(-1)?.t ?? 0;
  opts.log(
    `scheduler: ${trace.length} requests over ${hours.length} hours (${Math.round(spanS * scale)} s per system)`,
  );

  const service = await runService(config, trace, scale, opts.log);
  const baseline = await runBaseline(config, trace, scale, opts.log);
  const policies = compareEvictionPolicies(seedWorld(1), trace);
  const cross = await crossCheck(trace, service);
  opts.log(`scheduler: cross-check with the simulation engine ${cross.agrees ? 'agrees' : 'DISAGREES'}`);

  const interactive = service.hit_rate.interactive.hit_rate;
  const loadRatio = baseline.load_s > 0 ? service.load_s / baseline.load_s : 0;
  const qualityRatio = service.mean_quality / ideal;
  return {
    scale,
    hours,
    gap_cap_s: gapCapS,
    span_sim_s: Math.round(spanS),
    requests: trace.length,
    mix,
    ideal_quality: round(ideal, 3),
    service,
    baseline,
    eviction_policies: policies,
    cross_check: cross,
    targets: [
      {
        name: 'interactive deadline hit rate',
        goal: '≥ 99%',
        value: interactive,
        met: interactive >= 0.99,
        note: interactive >= 0.99 ? '' : `misses by ${round((0.99 - interactive) * 100, 1)} points`,
      },
      {
        name: 'load time vs naive baseline',
        goal: '≤ 0.70× (≥ 30% less)',
        value: round(loadRatio, 3),
        met: loadRatio <= 0.7,
        note:
          loadRatio <= 0.7
            ? `${round((1 - loadRatio) * 100, 0)}% less`
            : `only ${round((1 - loadRatio) * 100, 0)}% less`,
      },
      {
        name: 'mean delivered quality vs ideal',
        goal: '≥ 0.90×',
        value: round(qualityRatio, 3),
        met: qualityRatio >= 0.9,
        note: qualityRatio >= 0.9 ? '' : `misses by ${round(0.9 - qualityRatio, 3)}`,
      },
    ],
  };
}

function timeoutFor(config: Readonly<Config>, urgency: Urgency): number {
  return Math.min(20_000, Math.max(2000, deadlineMsOf(config, urgency) * 3));
}

async function runService(
  config: Readonly<Config>,
  trace: DayRequest[],
  scale: number,
  log: (l: string) => void,
) {
  const world = await startWorld(config, 'scheduler');
  try {
    const meter = meterLoads(world.sim);
    const outcomes = await replay(trace, scale, async (r): Promise<Outcome> => {
      const a = await postJson(
        `${world.url}/api/echo/resilient/query`,
        { query: r.prompt, task_type: r.task_type, urgency: r.urgency },
        { timeoutMs: timeoutFor(config, r.urgency) },
      );
      if (a.status !== 200) {
        return {
          ok: false,
          status: a.status,
          ms: a.ms,
          model: '',
          error: errorCode(a.text, a.transportError),
          why: lastAttempt(a.text),
        };
      }
      const body = JSON.parse(a.text) as { model_used: string };
      return { ok: true, status: 200, ms: a.ms, model: body.model_used };
    });
    const tally = meter.stop();
    const figures = summarise('service', config, trace, outcomes, tally, world.sim.state(), scale);
    log(
      `scheduler service: load ${figures.load_s} s, interactive hit ${figures.hit_rate.interactive.hit_rate}, quality ${figures.mean_quality}`,
    );
    return figures;
  } finally {
    await world.close();
  }
}

async function runBaseline(
  config: Readonly<Config>,
  trace: DayRequest[],
  scale: number,
  log: (l: string) => void,
) {
  const sim = await startSimulator({ config });
  try {
    const meter = meterLoads(sim);
    const outcomes = await replay(trace, scale, async (r): Promise<Outcome> => {
      const model = bestOf(config, r.task_type).model;
      // What a naive client sends: the model, the prompt, nothing about keep-alive or urgency.
      const a = await postJson(
        `${sim.url}/api/generate`,
        { model, prompt: r.prompt, stream: false },
        { timeoutMs: timeoutFor(config, r.urgency) },
      );
      if (a.status !== 200)
        return {
          ok: false,
          status: a.status,
          ms: a.ms,
          model: '',
          error: errorCode(a.text, a.transportError),
        };
      return { ok: true, status: 200, ms: a.ms, model };
    });
    const tally = meter.stop();
    const figures = summarise('baseline', config, trace, outcomes, tally, sim.state(), scale);
    log(
      `scheduler baseline: load ${figures.load_s} s, interactive hit ${figures.hit_rate.interactive.hit_rate}, quality ${figures.mean_quality}`,
    );
    return figures;
  } finally {
    await sim.close();
  }
}

/** The last thing the service tried before giving up, with figures blanked so causes can be counted. */
function lastAttempt(text: string): string {
  try {
    const e = (
      JSON.parse(text) as {
        error?: { attempts_detail?: Array<{ model: string; outcome: string; error?: string }> };
      }
    ).error;
    const last = e?.attempts_detail?.at(-1);
    if (!last) return 'no candidate at all';
    return `${last.outcome}: ${(last.error ?? '').replace(/[0-9.]+ ?(ms|s)\b/g, 'N $1').slice(0, 90)}`;
  } catch {
    return 'unparseable';
  }
}

function errorCode(text: string, transport?: string): string {
  if (transport) return transport.split(':')[0]!;
  try {
    const e = (JSON.parse(text) as { error?: { code?: string } | string }).error;
    return typeof e === 'string' ? e.slice(0, 60) : (e?.code ?? 'unknown');
  } catch {
    return 'unparseable';
  }
}

function summarise(
  system: 'service' | 'baseline',
  config: Readonly<Config>,
  trace: DayRequest[],
  outcomes: Outcome[],
  tally: LoadTally,
  state: SimState,
  scale: number,
): SystemFigures {
  const hit = {} as SystemFigures['hit_rate'];
  for (const u of URGENCIES) {
    const idx = trace.map((r, i) => (r.urgency === u ? i : -1)).filter((i) => i >= 0);
    const deadline = deadlineMsOf(config, u);
    const hits = idx.filter((i) => outcomes[i]!.ok && outcomes[i]!.ms <= deadline).length;
    const ms = idx.map((i) => outcomes[i]!.ms).sort((a, b) => a - b);
    hit[u] = {
      requests: idx.length,
      hit_rate: idx.length ? round(hits / idx.length, 4) : 1,
      p50_s: round(percentile(ms, 50) / 1000 / scale, 2),
      p95_s: round(percentile(ms, 95) / 1000 / scale, 2),
    };
  }
  const misses: Record<string, number> = {};
  outcomes.forEach((o, i) => {
    if (trace[i]!.urgency !== 'interactive' || (o.ok && o.ms <= deadlineMsOf(config, 'interactive'))) return;
    const why = o.ok ? `answered late by ${o.model}` : `${o.error}${o.why ? ` — ${o.why}` : ''}`;
    misses[why] = (misses[why] ?? 0) + 1;
  });
  let q = 0;
  let answered = 0;
  let outOfChain = 0;
  const errors: Record<string, number> = {};
  outcomes.forEach((o, i) => {
    if (!o.ok) {
      errors[o.error ?? String(o.status)] = (errors[o.error ?? String(o.status)] ?? 0) + 1;
      return;
    }
    const got = qualityOf(config, trace[i]!.task_type, o.model);
    answered++;
    q += got.quality;
    if (!got.inChain) outOfChain++;
  });
  return {
    system,
    requests: trace.length,
    answered,
    hit_rate: hit,
    load_s: round(tally.loadRealMs / 1000 / scale, 1),
    loads: tally.loads,
    loads_by_model: tally.byModel,
    mean_quality: round(answered ? q / answered : 0, 3),
    mean_quality_all: round(q / trace.length, 3),
    out_of_chain: outOfChain,
    evictions_by_ollama: state.evictions_by_scheduler.length,
    unloads_by_manager: state.unloads_requested,
    expirations: state.expirations_total,
    vram_peak_gb: round(state.vram_peak_bytes / 1e9, 2),
    errors,
    interactive_misses: Object.fromEntries(Object.entries(misses).sort((a, b) => b[1] - a[1])),
  };
}
