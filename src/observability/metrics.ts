import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelStateValue } from '../../machines/model/types.ts';
import type { StatusView } from '../manager/types.ts';

/**
 * Prometheus metrics with their own registry (never prom-client's global one: tests build many apps in
 * one process, and a second registration of a name on a shared registry throws).
 *
 * Hot path: prom-client hashes the label set on every update (~0.5 µs), even through a child. Counters and
 * gauges here are plain numbers per label set, found by a string key in a Map, and are handed to
 * prom-client only when a scrape collects them; an update costs tens of nanoseconds. Histograms go
 * through a cached prom-client child (~1 µs per observation).
 */

type Labels<L extends string> = Record<L, string>;

/**
 * Caches one child per label set in nested Maps, one level per label in declared order: a lookup is a few
 * Map.get calls on the caller's strings, with no key string built per update.
 */
abstract class Handle<L extends string, C> {
  private readonly root = new Map<string, unknown>();
  protected readonly children: Array<{ labels: Labels<L>; child: C }> = [];
  constructor(private readonly labelNames: readonly L[]) {}

  protected abstract make(labels: Labels<L>): C;

  /** The child for one label set, created once. Keep it when a caller updates the same set often. */
  child(labels: Labels<L>): C {
    const names = this.labelNames;
    let node = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const value = labels[names[i]!];
      let next = node.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(value, next);
      }
      node = next;
    }
    const leaf = last >= 0 ? labels[names[last]!] : '';
    let child = node.get(leaf) as C | undefined;
    if (child === undefined) {
      child = this.make(labels);
      node.set(leaf, child);
      this.children.push({ labels: { ...labels }, child });
    }
    return child;
  }

  protected forget(): void {
    this.root.clear();
    this.children.length = 0;
  }
}

/** A counter child: increments add up here until a scrape moves them into prom-client. */
export class FastCounter {
  pending = 0;
  inc(value = 1): void {
    this.pending += value;
  }
}

/** A gauge child: the latest value, written to prom-client at scrape time. */
export class FastGauge {
  value = 0;
  dirty = false;
  set(value: number): void {
    this.value = value;
    this.dirty = true;
  }
  inc(value = 1): void {
    this.set(this.value + value);
  }
  dec(value = 1): void {
    this.set(this.value - value);
  }
}

export class CounterHandle<L extends string> extends Handle<L, FastCounter> {
  readonly metric: Counter<L>;
  constructor(config: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    super(config.labelNames);
    this.metric = new Counter<L>({ ...config, collect: () => this.flush() });
  }
  protected make(labels: Labels<L>): FastCounter {
    // Creating the series at once makes it visible at 0 and validates the label names.
    this.metric.inc(labels, 0);
    return new FastCounter();
  }
  inc(labels: Labels<L>, value = 1): void {
    this.child(labels).pending += value;
  }
  private flush(): void {
    for (const { labels, child } of this.children) {
      if (child.pending === 0) continue;
      this.metric.inc(labels, child.pending);
      child.pending = 0;
    }
  }
}

export class GaugeHandle<L extends string> extends Handle<L, FastGauge> {
  readonly metric: Gauge<L>;
  constructor(config: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }) {
    super(config.labelNames);
    this.metric = new Gauge<L>({ ...config, collect: () => this.flush() });
  }
  protected make(labels: Labels<L>): FastGauge {
    this.metric.set(labels, 0);
    return new FastGauge();
  }
  set(labels: Labels<L>, value: number): void {
    this.child(labels).set(value);
  }
  inc(labels: Labels<L>, value = 1): void {
    this.child(labels).inc(value);
  }
  dec(labels: Labels<L>, value = 1): void {
    this.child(labels).dec(value);
  }
  /** Drops every label set (for gauges that describe "what is now", such as a model's state). */
  reset(): void {
    this.metric.reset();
    this.forget();
  }
  private flush(): void {
    for (const { labels, child } of this.children) {
      if (!child.dirty) continue;
      this.metric.set(labels, child.value);
      child.dirty = false;
    }
  }
}

export class HistogramHandle<L extends string> extends Handle<L, Histogram.Internal<L>> {
  readonly metric: Histogram<L>;
  constructor(config: {
    name: string;
    help: string;
    labelNames: readonly L[];
    buckets: number[];
    registers: Registry[];
  }) {
    super(config.labelNames);
    this.metric = new Histogram<L>(config);
  }
  protected make(labels: Labels<L>) {
    return this.metric.labels(labels);
  }
  observe(labels: Labels<L>, value: number): void {
    this.child(labels).observe(value);
  }
}

/** Circuit state as a number, so one gauge can be graphed and alerted on: 0 closed, 1 half-open, 2 open. */
export const CIRCUIT_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** Request latencies span a cached 1 ms answer to a 120 s cold load of a 70B model. */
const REQUEST_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120,
];
/** Loads run from a warm re-map (tens of ms) to a 90 s load of a 70B model, with the 300 s load timeout on top. */
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 4, 8, 15, 30, 45, 60, 90, 120, 180, 300];

/**
 * Every lifecycle state of a model actor. `rmm_model_state` exports each of them for each model, 1 for the
 * current one and 0 for the others (the kube-state-metrics convention), so a series never vanishes when the
 * state changes and `rmm_model_state{state="open"} == 1` can be graphed and alerted on.
 */
export const MODEL_STATES = [
  'unloaded',
  'loading',
  'loaded',
  'degraded',
  'open',
  'halfOpen',
  'missing',
  'unloading',
] as const satisfies readonly ModelStateValue[];
// Fails to compile when the machine gains a state that is not listed above.
const everyStateListed: [Exclude<ModelStateValue, (typeof MODEL_STATES)[number]>] extends [never]
  ? true
  : never = true;
void everyStateListed;

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface MetricsOptions {
  /**
   * Also collect prom-client's process and Node.js metrics under their standard names (`process_*`,
   * `nodejs_*`, unprefixed, so stock dashboards work). The service turns them on; a library user's own
   * process may already export them. Default false.
   */
  defaultMetrics?: boolean;
  /** Prefix of every metric name. Default `rmm_`. */
  prefix?: string;
}

export function createMetrics(options: MetricsOptions = {}) {
  const prefix = options.prefix ?? 'rmm_';
  const registry = new Registry();
  if (options.defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool rejects
    // them); handles, requests and resources in use are a debugging aid, not worth a lint failure.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  }
  const reg = [registry];

  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new CounterHandle<L>({ name: prefix + name, help, labelNames, registers: reg });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new GaugeHandle<L>({ name: prefix + name, help, labelNames, registers: reg });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new HistogramHandle<L>({ name: prefix + name, help, labelNames, buckets, registers: reg });

  const metrics = {
    registry,
    contentType: registry.contentType as string,
    requestsTotal: counter('requests_total', 'Completion requests by final outcome', [
      'model',
      'outcome',
      'task_type',
      'urgency',
    ]),
    requestDuration: histogram(
      'request_duration_seconds',
      'Completion request latency, all attempts included',
      ['model', 'outcome'],
      REQUEST_BUCKETS,
    ),
    attemptsTotal: counter('attempts_total', 'Attempts on one model (a request makes one or more)', [
      'model',
      'outcome',
    ]),
    fallbacksTotal: counter('fallbacks_total', 'Requests answered by a model other than the first choice', [
      'task_type',
    ]),
    retriesTotal: counter('retries_total', 'Retries of an attempt on the same model after a backoff', [
      'model',
    ]),
    circuitState: gauge('circuit_state', 'Circuit breaker state: 0 closed, 1 half-open, 2 open', [
      'model',
      'host',
    ]),
    circuitOpenedTotal: counter('circuit_opened_total', 'Times a circuit opened', ['model', 'host']),
    modelState: gauge(
      'model_state',
      'Lifecycle state of a model on a host: 1 for the current state, 0 for the others',
      ['model', 'host', 'state'],
    ),
    vramUsedBytes: gauge('vram_used_bytes', 'VRAM taken by loaded and loading models, by our ledger', [
      'host',
    ]),
    vramBudgetBytes: gauge('vram_budget_bytes', 'VRAM budget of a host', ['host']),
    hostUp: gauge('host_up', 'Whether an Ollama host answers: 1 up, 0 down', ['host']),
    loadsTotal: counter('loads_total', 'Model loads by outcome', ['model', 'outcome']),
    loadDuration: histogram('load_duration_seconds', 'Time to load a model', ['model'], LOAD_BUCKETS),
    evictionsTotal: counter('evictions_total', 'Models unloaded to make room or by expiry', [
      'model',
      'reason',
    ]),
    deadlineOutcomes: counter(
      'deadline_outcomes_total',
      "Completion requests against their urgency's deadline: met, late (answered after it) or failed (no answer)",
      ['urgency', 'result'],
    ),
    inFlight: gauge('in_flight', 'Requests being served by a model now', ['model']),
    httpRequests: counter('http_requests_total', 'HTTP responses by route template and status', [
      'method',
      'route',
      'status',
    ]),
    streamErrors: counter(
      'stream_errors_total',
      'Streams that ended with an error record after the first token',
      ['route', 'code'],
    ),
    /** Prometheus text exposition of every metric. */
    render: () => registry.metrics(),
    /**
     * Sets the "what is now" gauges (circuits, model states, VRAM, in-flight) from a status snapshot.
     * Idempotent: the HTTP layer calls it before each scrape so the gauges are never stale, whether or not
     * the manager also updates them as things happen.
     */
    observeStatus: (status: StatusView) => observeStatus(metrics, status),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Sizes are decimal gigabytes throughout (the simulator and /api/ps byte counts use 1e9). */
const GB = 1e9;

function observeStatus(m: Metrics, status: StatusView): void {
  for (const c of status.circuits)
    m.circuitState.set({ model: c.model, host: c.host }, circuitValue(c.state, c.is_open));
  // Rebuilt whole at each scrape: every known state is written again, and a model that left a state this
  // build does not know loses that series.
  m.modelState.reset();
  const inFlight = new Map<string, number>();
  for (const model of status.models) {
    for (const state of MODEL_STATES)
      m.modelState.set({ model: model.name, host: model.host, state }, state === model.state ? 1 : 0);
    // A state this build does not know still shows while the model is in it.
    if (!(MODEL_STATES as readonly string[]).includes(model.state)) {
      m.modelState.set({ model: model.name, host: model.host, state: model.state }, 1);
    }
    inFlight.set(model.name, (inFlight.get(model.name) ?? 0) + model.in_flight);
  }
  for (const [model, n] of inFlight) m.inFlight.set({ model }, n);
  for (const host of status.hosts) {
    m.vramUsedBytes.set({ host: host.name }, Math.round(host.vram_used_gb * GB));
    m.vramBudgetBytes.set({ host: host.name }, Math.round(host.vram_budget_gb * GB));
    // The host breaker's verdict: a host not yet seen ('unknown') is not counted as down.
    m.hostUp.set({ host: host.name }, host.health.status !== 'down' ? 1 : 0);
  }
}

/** Maps the manager's circuit state names (several spellings are in use) to CIRCUIT_STATE_VALUE. */
export function circuitValue(state: string, isOpen: boolean): number {
  const s = state.toLowerCase().replace(/[-_ ]/g, '');
  if (s === 'halfopen') return CIRCUIT_STATE_VALUE.half_open;
  if (s === 'open') return CIRCUIT_STATE_VALUE.open;
  if (s === 'closed') return CIRCUIT_STATE_VALUE.closed;
  return isOpen ? CIRCUIT_STATE_VALUE.open : CIRCUIT_STATE_VALUE.closed;
}
