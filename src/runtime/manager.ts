import type { Logger } from 'pino';
import pino from 'pino';
import { withFastContexts } from '../../machines/model.machine.ts';
import { OllamaBackend } from '../backend/ollama-backend.ts';
import type { Config, TaskType } from '../config/schema.ts';
import { RmmError } from '../manager/errors.ts';
import type { CompletionRequest, CompletionResult, Manager, PreloadResult } from '../manager/types.ts';
import { createMetrics, type Metrics } from '../observability/metrics.ts';
import { backoffOptionsFrom } from '../policy/backoff.ts';
import {
  createDemand,
  modelDemand,
  predictPreloads,
  recordOutcome,
  recordRequest,
} from '../policy/demand.ts';
import { RetryBudget, retryBudgetOptionsFrom } from '../policy/retry-budget.ts';
import { type Clock, systemClock } from './clock.ts';
import { DecisionLog } from './decisions.ts';
import {
  type EventSink,
  Fleet,
  type FleetOptions,
  type ModelStateChange,
  supervisorInputFrom,
} from './fleet.ts';
import { Prober } from './health.ts';
import { type JourneyDeps, runJourney } from './journey.ts';
import { Limiter } from './limiter.ts';
import { Loader } from './loader.ts';
import { StatePersistence } from './persistence.ts';
import { Reconciler } from './reconcile.ts';
import { buildStatus, chainPositions } from './status.ts';
import { Ticker } from './ticker.ts';
import { watchUpstreamVersions } from './upstream-version.ts';
import { wireMetrics } from './wire-metrics.ts';

export interface ManagerOptions {
  logger?: Logger;
  backend?: 'real' | 'simulated';
  metrics?: Metrics;
  clock?: Clock;
  /** Uniform in [0, 1): backoff jitter. Injected so tests can make it deterministic. */
  random?: () => number;
  fleet?: Pick<FleetOptions, 'sink' | 'snapshot'>;
  /** Skip the start-up reconciliation and warm set (tests that drive everything by hand). */
  passive?: boolean;
  /** Persist snapshots and the event journal here (restoring from it at start). Default: no persistence. */
  stateDir?: string;
  /** Live inspection of the actor system (see src/runtime/inspection.ts). */
  inspect?: FleetOptions['inspect'];
}

/** A running manager plus the internals tests and the HTTP layer's extras look at. */
export interface RunningManager extends Manager {
  readonly fleet: Fleet;
  readonly loader: Loader;
  readonly prober: Prober;
  readonly reconciler: Reconciler;
  readonly decisions: DecisionLog;
  /** Resolves when start-up work (first reconciliation, warm set loads) is done. */
  readonly started: Promise<void>;
  /** One round of predictive preloading now (it also runs every preload.interval_s when enabled). */
  predictivePreload(): Promise<Array<{ model: string; reason: string }>>;
}

/**
 * Creates the manager: the actor system, the backends, and the loops that keep it true (reconciliation,
 * probes, predictive preloading). The seed's in-process API (`completeWithFallback`, `preloadModel`,
 * `prometheusMetrics`) and the HTTP layer both go through this object.
 */
export async function createManager(
  config: Readonly<Config>,
  options: ManagerOptions = {},
): Promise<RunningManager> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: config.server.log_level });
  const backendKind = options.backend ?? 'real';
  const decisions = new DecisionLog(logger, clock);
  const startedAt = clock.now();

  const persistence = options.stateDir ? new StatePersistence(options.stateDir, clock, logger) : undefined;
  const modelIds = supervisorInputFrom(config, startedAt).models.map((m) => m.id);
  const restored = persistence?.restore(config, modelIds);
  const demand = restored?.demand ?? createDemand();
  const backends = new Map(config.hosts.map((h) => [h.name, new OllamaBackend(h.url)]));
  let prober: Prober | undefined;
  const sinks = [persistence?.sink, options.fleet?.sink].filter((f): f is EventSink => !!f);
  const fleetOptions: FleetOptions = {
    clock,
    ...(sinks.length > 0 && {
      sink:
        sinks.length === 1
          ? sinks[0]!
          : (t, e, r) => {
              for (const f of sinks) f(t, e, r);
            },
    }),
    demandOf: (model) => modelDemand(demand, model, clock.now()),
    onStateChange: (change) => onStateChange(change),
    ...(options.inspect && { inspect: options.inspect }),
  };
  const fleet = createFleet(
    config,
    fleetOptions,
    restored?.supervisor ?? options.fleet?.snapshot,
    persistence,
    logger,
  );
  // Library users get metrics too (the seed's get_prometheus_metrics); the service passes its own registry.
  const metrics = options.metrics ?? createMetrics();
  const metricsObserver = wireMetrics(metrics, config.deadlines);
  const loader = new Loader(config, fleet, backends, clock, decisions, metricsObserver);
  prober = new Prober(config, fleet, backends, clock, decisions);
  const reconciler = new Reconciler(
    fleet,
    backends,
    clock,
    decisions,
    Math.max(200, config.health.probe_timeout_s * 1000),
  );
  const limiters = new Map(
    fleet
      .ids()
      .map((id) => [id, new Limiter(config.hosts.find((h) => id.startsWith(`${h.name}/`))!.num_parallel)]),
  );
  const retryBudget = new RetryBudget(retryBudgetOptionsFrom(config), restored?.retry_budget);
  persistence?.attach(() => ({
    supervisor: fleet.persistedSnapshot(),
    models: modelIds,
    demand,
    retry_budget: retryBudget.toJSON(),
  }));
  if (restored) {
    // Nothing that was in flight survived the restart; circuits, statistics and deadlines did.
    for (const id of fleet.ids()) fleet.send(id, { type: 'RESTORED' });
    decisions.record('reconcile', `resumed from ${persistence!.status().state_file}`, {});
  }
  await persistence?.baseCheckpoint();
  const deps: JourneyDeps = {
    config,
    fleet,
    loader,
    backends,
    limiters,
    clock,
    decisions,
    retryBudget,
    backoff: backoffOptionsFrom(config, options.random ?? Math.random),
    observer: metricsObserver,
    onDemand: (taskType: TaskType, model: string | null, failed: boolean) => {
      const now = clock.now();
      recordRequest(demand, { now, taskType, model: model ?? undefined });
      recordOutcome(demand, { now, taskType, ok: !failed });
    },
  };

  function onStateChange(change: ModelStateChange) {
    const ctx = change.context;
    if (change.to === 'open') {
      decisions.record(
        'circuit',
        `circuit of ${ctx.model} on ${ctx.host} opened (${ctx.openReason ?? change.event}); retry at ${ctx.openUntil ? new Date(ctx.openUntil).toISOString() : '?'}`,
        { model: ctx.model, host: ctx.host, times_opened: ctx.timesOpened },
      );
    } else if (
      change.from === 'open' ||
      change.from === 'halfOpen' ||
      change.to === 'halfOpen' ||
      change.to === 'missing' ||
      change.to === 'degraded'
    ) {
      decisions.record(
        'circuit',
        `${ctx.model} on ${ctx.host}: ${change.from} → ${change.to} (${change.event})`,
        { model: ctx.model, host: ctx.host },
      );
    }
    metricsObserver.stateChange(change);
    // Circuit changes must survive a kill -9: save at once rather than after the debounce.
    if (
      change.to === 'open' ||
      change.from === 'open' ||
      change.to === 'missing' ||
      change.from === 'halfOpen'
    )
      persistence?.saveNow();
    // Half-open is reached by time alone; a probe is the trial that closes (or reopens) it.
    if (change.to === 'halfOpen') queueMicrotask(() => void prober?.probe(change.id));
    // Memory was freed: a displaced warm-set model may fit again.
    if (change.to === 'unloaded' && !options.passive) queueMicrotask(() => loader.restoreWarmSet());
  }

  const tickers: Ticker[] = [];
  const upstream = options.passive
    ? undefined
    : watchUpstreamVersions(
        [...backends].map(([host, b]) => ({ host, version: (signal?: AbortSignal) => b.version(signal) })),
        { clock, intervalMs: config.reconcile_interval_s * 1000, timeoutMs: 5000, logger },
      );
  if (!options.passive) {
    tickers.push(new Ticker(clock, config.reconcile_interval_s * 1000, () => reconciler.reconcileAll()));
    tickers.push(new Ticker(clock, config.health.probe_interval_s * 1000, () => probeDue()));
    if (config.preload.predictive)
      tickers.push(new Ticker(clock, config.preload.interval_s * 1000, () => preloadPredicted()));
  }

  async function probeDue() {
    const ttl = config.health.ttl_s * 1000;
    await Promise.all(
      fleet.ids().map((id) => {
        const state = fleet.stateOf(id);
        const view = fleet.view(id)!;
        const idle = view.inFlight === 0;
        const due =
          state === 'halfOpen' ||
          state === 'degraded' ||
          (state === 'loaded' && idle && prober!.age(id) > ttl);
        return due ? prober!.probe(id) : undefined;
      }),
    );
  }

  async function preloadPredicted() {
    const now = clock.now();
    const loaded = fleet
      .candidates()
      .filter((c) => c.resident || c.state === 'loading')
      .map((c) => c.model);
    const suggestions = predictPreloads(demand, now, config, { loaded });
    for (const s of suggestions) {
      const target = bestHostFor(s.model);
      if (!target) continue;
      // A preload never evicts a model with work in flight: the ledger's plan answers 'wait' then.
      decisions.record('preload', `predictive preload of ${s.model}: ${s.reason}`, { model: s.model });
      loader
        .ensureLoaded(target, `predicted: ${s.reason}`, undefined, { displaceWarmSet: false })
        .catch(() => {});
    }
    return suggestions;
  }

  function bestHostFor(model: string): string | undefined {
    const ids = fleet.ids().filter((id) => fleet.view(id)?.model === model);
    return (
      ids.find((id) => fleet.view(id)?.resident) ??
      ids.find((id) => fleet.view(id)?.acceptsTraffic && fleet.view(id)?.fitsNow) ??
      ids.find((id) => fleet.view(id)?.acceptsTraffic)
    );
  }

  function requireModel(name: string): string {
    if (!config.models[name]) {
      throw new RmmError(
        'RMM_UNKNOWN_MODEL',
        `unknown model "${name}"; configured models: ${Object.keys(config.models).join(', ')}`,
      );
    }
    const id = bestHostFor(name) ?? fleet.ids().find((i) => fleet.view(i)?.model === name);
    if (!id) throw new RmmError('RMM_UNKNOWN_MODEL', `"${name}" is on no configured host`);
    return id;
  }

  const started = options.passive ? Promise.resolve() : start();
  async function start() {
    await Promise.all([reconciler.reconcileAll(), upstream?.first]);
    // The warm set: loaded at start and pinned, so interactive requests always have a loaded model.
    await Promise.all(fleet.pinned().map((id) => loader.ensureLoaded(id, 'warm set').catch(() => {})));
  }

  const chains = chainPositions(config);
  const manager: RunningManager = {
    fleet,
    loader,
    prober,
    reconciler,
    decisions,
    started,
    predictivePreload: () => preloadPredicted(),
    complete: (request: CompletionRequest): Promise<CompletionResult> => {
      if (
        request.model &&
        request.model !== 'auto' &&
        !request.model.startsWith('auto:') &&
        !config.models[request.model]
      ) {
        return Promise.reject(
          new RmmError(
            'RMM_UNKNOWN_MODEL',
            `unknown model "${request.model}"; use auto, auto:<task> or one of: ${Object.keys(config.models).join(', ')}`,
          ),
        );
      }
      return runJourney(deps, request);
    },
    completeWithFallback: (input) =>
      runJourney(deps, {
        kind: 'generate',
        prompt: input.prompt,
        ...(input.taskType && { taskType: input.taskType }),
        ...(input.urgency && { urgency: input.urgency }),
        ...(input.model && { model: input.model }),
        ...(input.signal && { signal: input.signal }),
      }),
    async preloadModel(name: string): Promise<PreloadResult> {
      const id = requireModel(name);
      const view = fleet.view(id)!;
      if (view.resident && view.state !== 'open') {
        return {
          model_name: name,
          host: view.host,
          status: 'already_loaded',
          evicted: [],
          reason: `${name} is already loaded on ${view.host}`,
        };
      }
      const outcome = await loader.ensureLoaded(id, 'explicit preload');
      return {
        model_name: name,
        host: view.host,
        status: 'loaded',
        evicted: outcome.evicted,
        reason: outcome.evicted.length
          ? `evicted ${outcome.evicted.join(', ')} (lowest value: demand × load cost ÷ size)`
          : 'it fit in free VRAM',
      };
    },
    checkHealth: (name: string, force = false) => prober!.check(requireModel(name), force),
    status: () =>
      buildStatus({
        config,
        fleet,
        backend: backendKind,
        startedAt,
        now: clock.now(),
        chains,
        decisions: decisions.recent(),
        savedAt: persistence?.status().last_saved_at ?? null,
        ...(persistence && { persistence: persistence.status() }),
      }),
    models() {
      return manager.status().models;
    },
    ready: () => fleet.candidates().some((c) => c.acceptsTraffic && c.resident),
    catalog: () => Object.keys(config.models),
    upstreamVersion: () => upstream?.lowest(),
    prometheusMetrics: async () => {
      metrics.observeStatus(manager.status());
      return metrics.render();
    },
    async close() {
      for (const t of tickers) t.stop();
      upstream?.stop();
      await persistence?.close();
      fleet.stop();
      await Promise.all([...backends.values()].map((b) => b.close()));
    },
  };
  return manager;
}

/** Restores the fleet from a snapshot; one that cannot be restored is quarantined and the fleet starts fresh. */
function createFleet(
  config: Readonly<Config>,
  options: FleetOptions,
  snapshot: unknown,
  persistence: StatePersistence | undefined,
  logger: Logger,
): Fleet {
  if (snapshot) {
    try {
      // A context revived from JSON copies slowly on every assign; rebuild it in the shape fresh actors have.
      return new Fleet(config, { ...options, snapshot: withFastContexts(snapshot) as never });
    } catch (err) {
      logger.error({ err }, 'the saved state could not be restored; starting fresh');
      persistence?.quarantine(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return new Fleet(config, options);
}
