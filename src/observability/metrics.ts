import { collectDefaultMetrics, Registry } from 'prom-client';
import type { StatusView } from '../manager/status-view.ts';
import { CounterHandle, GaugeHandle, HistogramHandle } from './metric-handles.ts';
import { observeStatus } from './observe-status.ts';

/**
 * Prometheus metrics with their own registry (never prom-client's global one: tests build many apps in
 * one process, and a second registration of a name on a shared registry throws).
 */

/** Request latencies span a cached 1 ms answer to a 120 s cold load of a 70B model. */
const REQUEST_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120,
];
/** Loads run from a warm re-map (tens of ms) to a 90 s load of a 70B model, with the 300 s load timeout on top. */
const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 2, 4, 8, 15, 30, 45, 60, 90, 120, 180, 300];

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
