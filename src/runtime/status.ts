import type { Config } from '../config/schema.ts';
import type { CircuitView, HostView, ModelView, StatusView } from '../manager/types.ts';
import type { Decision } from './decisions.ts';
import type { Fleet } from './fleet.ts';

const iso = (t: number | null | undefined) => (t ? new Date(t).toISOString() : null);

/** Where each model sits in each chain, computed once: it never changes while the service runs. */
export function chainPositions(config: Readonly<Config>): Map<string, ModelView['chains']> {
  const out = new Map<string, ModelView['chains']>();
  for (const [task, chain] of Object.entries(config.chains)) {
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
): ModelView[] {
  return fleet.ids().map((id) => {
    const ctx = fleet.context(id)!;
    const spec = config.models[ctx.model]!;
    return {
      id,
      name: ctx.model,
      host: ctx.host,
      state: fleet.stateOf(id) ?? 'unknown',
      size_gb: spec.size_gb,
      load_time_s: Math.round(ctx.loadTimeMs) / 1000,
      strengths: [...spec.strengths],
      chains: chains.get(ctx.model) ?? [],
      in_flight: ctx.inFlight,
      latency_ewma_ms: ctx.latencyEwmaMs === null ? null : Math.round(ctx.latencyEwmaMs),
      latency_p95_ms: p95(ctx.latencies),
      last_used: iso(ctx.lastUsed),
    };
  });
}

function p95(values: readonly number[]): number | null {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  return Math.round(xs[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!);
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
      available: fleet.view(id)?.acceptsTraffic ?? false,
      is_open: isOpen,
      failure_count: ctx.consecutiveFailures,
      times_opened: ctx.timesOpened,
      retry_at: isOpen ? iso(ctx.openUntil) : null,
    };
  });
}

export function hostViews(fleet: Fleet, backend: 'real' | 'simulated'): HostView[] {
  return Object.values(fleet.hosts()).map((h) => {
    const ledger = fleet.ledger(h.name);
    const entries = Object.entries(ledger.entries);
    return {
      name: h.name,
      url: h.url,
      backend,
      reachable: h.reachable === true,
      vram_budget_gb: h.budgetGb,
      vram_used_gb: Math.round(entries.reduce((sum, [, e]) => sum + e.sizeVramGb, 0) * 100) / 100,
      loaded: entries.filter(([, e]) => e.status === 'loaded').map(([name]) => name),
      loading: entries.filter(([, e]) => e.status === 'loading').map(([name]) => name),
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
  decisions: Decision[];
  savedAt: string | null;
  persistence?: StatusView['persistence'];
}): StatusView {
  const circuits = circuitViews(input.fleet);
  const single = input.config.hosts.length === 1;
  return {
    backend: input.backend,
    started_at: new Date(input.startedAt).toISOString(),
    uptime_s: Math.round((input.now - input.startedAt) / 1000),
    models: modelViews(input.config, input.fleet, input.chains),
    circuits,
    hosts: hostViews(input.fleet, input.backend),
    recent_decisions: input.decisions,
    ...(input.persistence && { persistence: input.persistence }),
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
