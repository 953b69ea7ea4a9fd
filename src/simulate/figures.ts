import { type Config, URGENCIES, type Urgency } from '../config/schema.ts';
import type { SimulatorServer } from '../simulator/server.ts';
import { deadlineMsOf } from './quality.ts';
import { type QualityGap, qualityGap, type RequestScore, scoreOf } from './quality-gap.ts';
import type { Outcome } from './run-trace.ts';
import type { SimRequest } from './trace.ts';

/** One system's day, as `rmm simulate` reports it. */
export interface Figures {
  requests: number;
  answered_pct: number;
  /** Per urgency: share answered within its deadline; time to first token of the answered ones, seconds. */
  urgency: Record<
    Urgency,
    { requests: number; deadline_hit: number; ttft_p50_s: number; ttft_p95_s: number }
  >;
  /** Simulated seconds the hosts spent loading models, and how many loads. */
  load_s: number;
  loads: number;
  /** Mean quality delivered (unanswered requests count 0) over the ideal (the chain's best, no waiting). */
  quality: number;
  ideal_quality: number;
  quality_vs_ideal: number;
  /**
   * The same against the best chain model that fits the card (a model larger than every host's VRAM runs
   * partially offloaded, ~4× slower, after a 20–45 s load: no interactive request can wait for it).
   */
  quality_vs_fitting_ideal: number;
  /** Where quality falls short of the ideal, and the best any policy could do (see quality-gap.ts). */
  quality_gap: QualityGap;
  /** Interactive requests past their deadline: answered late, or failed. */
  interactive_misses: { late: number; failed: number };
  evictions_by_us: number;
  evictions_by_ollama: number;
  vram_peak_gb: number;
  errors: Record<string, number>;
}

export function figuresOf(
  config: Readonly<Config>,
  trace: readonly SimRequest[],
  outcomes: readonly Outcome[],
  sims: Iterable<SimulatorServer>,
): Figures {
  const urgency = {} as Figures['urgency'];
  for (const u of URGENCIES) {
    const mine = outcomes.filter((_, i) => trace[i]!.urgency === u);
    const deadline = deadlineMsOf(config, u);
    const answered = mine.filter((o) => o.ok).map((o) => o.ttftMs / 1000);
    urgency[u] = {
      requests: mine.length,
      deadline_hit: ratio(mine.filter((o) => o.ok && o.latencyMs <= deadline).length, mine.length),
      ttft_p50_s: round(percentile(answered, 0.5), 3),
      ttft_p95_s: round(percentile(answered, 0.95), 3),
    };
  }
  let quality = 0;
  let ideal = 0;
  let fitting = 0;
  const card = Math.max(...config.hosts.map((h) => h.vram_gb));
  const errors: Record<string, number> = {};
  const scores: RequestScore[] = outcomes.map((o, i) => {
    const score = scoreOf(config, trace[i]!, o, card);
    ideal += score.best;
    fitting += score.fits;
    quality += score.got;
    if (!o.ok) errors[o.code ?? 'ERROR'] = (errors[o.code ?? 'ERROR'] ?? 0) + 1;
    return score;
  });
  let loadMs = 0;
  let loads = 0;
  let byOllama = 0;
  let byUs = 0;
  let peak = 0;
  for (const sim of sims) {
    loadMs += sim.counters.load_ms_total;
    loads += sim.counters.loads_total;
    byOllama += sim.counters.evictions_by_scheduler.length;
    byUs += sim.counters.unloads_requested;
    peak = Math.max(peak, sim.counters.vram_peak_bytes);
  }
  return {
    requests: outcomes.length,
    answered_pct: round(100 * ratio(outcomes.filter((o) => o.ok).length, outcomes.length), 2),
    urgency,
    load_s: round(loadMs / 1000, 1),
    loads,
    quality: round(quality / Math.max(1, outcomes.length), 4),
    ideal_quality: round(ideal / Math.max(1, outcomes.length), 4),
    quality_vs_ideal: round(ideal === 0 ? 0 : quality / ideal, 4),
    quality_vs_fitting_ideal: round(fitting === 0 ? 0 : quality / fitting, 4),
    quality_gap: qualityGap(trace, scores),
    interactive_misses: {
      late: outcomes.filter(
        (o, i) =>
          trace[i]!.urgency === 'interactive' && o.ok && o.latencyMs > deadlineMsOf(config, 'interactive'),
      ).length,
      failed: outcomes.filter((o, i) => trace[i]!.urgency === 'interactive' && !o.ok).length,
    },
    evictions_by_us: byUs,
    evictions_by_ollama: byOllama,
    vram_peak_gb: round(peak / 1e9, 2),
    errors,
  };
}

export interface Target {
  name: string;
  goal: string;
  value: number;
  met: boolean;
}

/** The three scheduling targets, each against the baseline measured in the same run. */
export function targetsOf(service: Figures, baseline: Figures | undefined): Target[] {
  const hit = service.urgency.interactive.deadline_hit;
  const out: Target[] = [{ name: 'interactive deadline hit', goal: '≥ 0.99', value: hit, met: hit >= 0.99 }];
  if (baseline) {
    const load = round(baseline.load_s === 0 ? 0 : service.load_s / baseline.load_s, 3);
    out.push({ name: 'load time vs Ollama alone', goal: '≤ 0.7×', value: load, met: load <= 0.7 });
  }
  const q = service.quality_vs_ideal;
  out.push({ name: 'quality vs ideal', goal: '≥ 0.9×', value: q, met: q >= 0.9 });
  return out;
}

function ratio(n: number, d: number): number {
  return d === 0 ? 1 : round(n / d, 4);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
