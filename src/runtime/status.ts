import { effectiveEstimates } from '../../machines/model/estimates.ts';
import { p50, p95 } from '../../machines/model/latency.ts';
import { demandAt } from '../../machines/model/updates.ts';
import type { DiscoveredModel } from '../../machines/supervisor/types.ts';
import type { Config } from '../config/schema.ts';
import type { CircuitView, HostView, ModelView, StatusView } from '../manager/status-view.ts';
import type { ChainView } from './chains.ts';
import type { Decision } from './decisions.ts';
import type { Fleet } from './fleet.ts';

const iso = (t: number | null | undefined) => (t ? new Date(t).toISOString() : null);
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Where each model sits in each chain (recomputed when the chains change, not per request). */
export function chainPositions(chains: readonly ChainView[]): Map<string, ModelView['chains']> {
  const out = new Map<string, ModelView['chains']>();
  for (const { task, chain } of chains) {
    chain.forEach((entry, position) => {
      const list = out.get(entry.model) ?? [];
      list.push({ task_type: task, position: position + 1, quality: entry.quality });
      out.set(entry.model, list);
    });
  }
  return out;
}

export function modelViews(
  config: Readonly<Config>,
  fleet: Fleet,
  chains: Map<string, ModelView['chains']>,
  now: number,
): ModelView[] {
  const sup = fleet.supervisor();
  return fleet.ids().map((id) => {
    const ctx = fleet.context(id)!;
    const view = fleet.view(id)!;
    const slot = sup.hosts[ctx.host]?.ledger[ctx.model];
    const spec = config.models[ctx.model];
    const est = effectiveEstimates(ctx);
    return {
      id,
      name: ctx.model,
      host: ctx.host,
      state: fleet.stateOf(id) ?? 'unknown',
      size_gb: round2(view.need.value),
      load_time_s: Math.round(est.loadTimeMs) / 1000,
      strengths: spec ? [...spec.strengths] : [],
      chains: chains.get(ctx.model) ?? [],
      in_flight: ctx.inFlight,
      latency_ewma_ms: ctx.latencyEwmaMs === null ? null : Math.round(ctx.latencyEwmaMs),
      latency_p50_ms: roundOrNull(p50(ctx.latencies)),
      latency_p95_ms: roundOrNull(p95(ctx.latencies)),
      probe_latency_ms: roundOrNull(ctx.probeLatencyMs ?? null),
      // Requests only: probes do not count as use (the dashboard says "probes only" beside their latencies).
      last_used: iso(ctx.lastUsed),
      resident: slot?.status === 'loaded',
      vram_gb: slot ? round2(slot.vramGb) : null,
      estimates: {
        vram_gb: { ...view.need, value: round2(view.need.value) },
        load_s: {
          value: Math.round(est.loadTimeMs) / 1000,
          source: est.loadSamples > 0 ? 'measured' : spec ? 'config' : 'discovered',
          samples: est.loadSamples,
        },
        tokens_per_s: { ...view.rate, value: Math.round(view.rate.value * 10) / 10 },
      },
      demand: round2(demandAt(ctx, now)),
      origin: spec ? 'config' : 'discovered',
      details: detailsOf(sup.hosts[ctx.host]?.catalog[ctx.model], spec),
    };
  });
}

function detailsOf(
  found: DiscoveredModel | undefined,
  spec: Config['models'][string] | undefined,
): ModelView['details'] {
  return {
    family: found?.family ?? spec?.family ?? null,
    parameter_size: found?.parameterSize ?? spec?.parameter_size ?? null,
    quantization_level: found?.quantization ?? spec?.quantization_level ?? null,
    capabilities: [...(found?.capabilities ?? [])],
    context_length: found?.contextLength ?? spec?.context_length ?? null,
  };
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : Math.round(n);
}

export function circuitViews(fleet: Fleet): CircuitView[] {
  return fleet.ids().map((id) => {
    const ctx = fleet.context(id)!;
    const state = fleet.stateOf(id) ?? 'unknown';
    const isOpen = state === 'open';
    return {
      id,
      model: ctx.model,
      host: ctx.host,
      state: isOpen
        ? 'open'
        : state === 'halfOpen'
          ? 'half_open'
          : state === 'missing'
            ? 'missing'
            : 'closed',
      available: (fleet.view(id)?.acceptsTraffic ?? false) && fleet.view(id)?.hostUp !== false,
      is_open: isOpen,
      failure_count: ctx.consecutiveFailures,
      times_opened: ctx.timesOpened,
      retry_at: isOpen ? iso(ctx.openUntil) : null,
    };
  });
}

/** Each host from the supervisor's own context: its health and its ledger, exactly as planning sees them. */
export function hostViews(fleet: Fleet, backend: 'real' | 'simulated'): HostView[] {
  const sup = fleet.supervisor();
  return Object.values(sup.hosts).map((h) => {
    const slots = Object.entries(h.ledger);
    const used =
      slots.reduce((sum, [, s]) => sum + s.vramGb, 0) + h.foreign.reduce((sum, f) => sum + f.sizeVramGb, 0);
    return {
      name: h.name,
      url: h.url,
      backend,
      reachable: h.health.status === 'up',
      health: {
        status: h.health.status,
        since: iso(h.health.since),
        reason: h.health.reason,
        outages: h.health.outages,
        version: h.health.version,
      },
      vram_budget_gb: h.budgetGb,
      vram_used_gb: round2(used),
      loaded: slots.filter(([, s]) => s.status === 'loaded').map(([m]) => m),
      loading: slots.filter(([, s]) => s.status === 'loading').map(([m]) => m),
      unloading: slots.filter(([, s]) => s.status === 'unloading').map(([m]) => m),
      foreign: h.foreign.map((f) => ({ name: f.name, vram_gb: round2(f.sizeVramGb) })),
      waiting: sup.wants
        .filter((w) => w.id.startsWith(`${h.name}/`))
        .map((w) => ({
          model: w.id.slice(h.name.length + 1),
          mode: w.mode,
          urgency: w.urgency,
          ...(w.requestId && { request_id: w.requestId }),
        })),
    };
  });
}

export function buildStatus(input: {
  config: Readonly<Config>;
  fleet: Fleet;
  backend: 'real' | 'simulated';
  startedAt: number;
  now: number;
  chains: Map<string, ModelView['chains']>;
  chainViews: ChainView[];
  decisions: Decision[];
  savedAt: string | null;
  persistence?: StatusView['persistence'];
  sharedState?: StatusView['shared_state'];
}): StatusView {
  const circuits = circuitViews(input.fleet);
  const single = input.config.hosts.length === 1;
  return {
    backend: input.backend,
    started_at: new Date(input.startedAt).toISOString(),
    uptime_s: Math.round((input.now - input.startedAt) / 1000),
    models: modelViews(input.config, input.fleet, input.chains, input.now),
    circuits,
    hosts: hostViews(input.fleet, input.backend),
    recent_decisions: input.decisions,
    chains: input.chainViews,
    last_error: input.fleet.lastError,
    ...(input.persistence && { persistence: input.persistence }),
    shared_state: input.sharedState ?? { mode: 'embedded' },
    model_state: {
      // Keyed by model name as the seed's model_state.json is; by host/model once there are several hosts.
      circuits: Object.fromEntries(
        circuits.map((c) => [
          single ? c.model : c.id,
          { is_open: c.is_open, failure_count: c.failure_count },
        ]),
      ),
      saved_at: input.savedAt,
    },
  };
}
