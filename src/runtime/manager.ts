import pino from 'pino';
import type { Backend } from '../backend/backend.ts';
import { OllamaBackend } from '../backend/ollama-backend.ts';
import type { Config } from '../config/schema.ts';
import { RmmError } from '../manager/errors.ts';
import { createMetrics } from '../observability/metrics.ts';
import { backoffOptionsFrom } from '../policy/backoff.ts';
import { retryBudgetOptionsFrom } from '../policy/retry-budget.ts';
import { lowestVersion } from '../policy/versions.ts';
import { replicaIdOf } from '../shared/replica-id.ts';
import type { SharedState } from '../shared/shared-state.ts';
import { systemClock } from '../time/clock.ts';
import { Chains } from './chains.ts';
import { DecisionLog } from './decisions.ts';
import { runEmbed } from './embed-call.ts';
import { type EventSink, type FleetOptions, restoreFleet } from './fleet.ts';
import { describeDecision, logStateChange, mustSaveNow } from './fleet-events.ts';
import { Prober } from './health.ts';
import { HostHealth } from './host-health.ts';
import { InteractivePulse } from './interactive-pulse.ts';
import { type JourneyDeps, runJourney } from './journey.ts';
import { keepAliveOf } from './keep-alive.ts';
import { Limiter } from './limiter.ts';
import { Loader } from './loader.ts';
import type { ManagerOptions, RunningManager } from './manager-options.ts';
import { createOpsStore } from './ops-store.ts';
import { StatePersistence } from './persistence.ts';
import { bestHostFor, preload, preloadPredicted } from './preload.ts';
import { Reconciler } from './reconcile.ts';
import { buildStatus, chainPositions } from './status.ts';
import { supervisorInputFrom } from './supervisor-input.ts';
import { Ticker } from './ticker.ts';
import type { JourneyRequest } from './upstream-call.ts';
import { wireMetrics } from './wire-metrics.ts';

/**
 * Creates the manager: the actor system, the backends, and the loops that keep it true (reconciliation and
 * discovery, host and model probes, the supervisor's tick, predictive preloading). The seed's in-process API
 * and the HTTP layer both go through the object returned.
 */
export async function createManager(
  config: Readonly<Config>,
  options: ManagerOptions = {},
): Promise<RunningManager> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: config.server.log_level });
  const startedAt = clock.now();
  const sharing = config.shared_state.redis_url !== null;
  const replica = sharing ? replicaIdOf(config.shared_state.replica_id) : undefined;
  // Loaded only with replicas (Redis's client is a fifth of the start-up time of a service that never uses
  // it), and before any actor or timer exists: nothing may plan a host before the lease sync is in place.
  const SharedState = sharing ? (await import('../shared/shared-state.ts')).SharedState : undefined;
  const persistence = options.stateDir
    ? new StatePersistence(options.stateDir, clock, logger, {
        runId: options.runId,
        durable: options.durable,
        replica,
      })
    : undefined;
  const input = supervisorInputFrom(config, startedAt, options.evictionPolicy);
  const configured = input.models.map((m) => m.id);
  const restored = persistence?.restore(config, configured);
  const ops = createOpsStore({
    budget: retryBudgetOptionsFrom(config),
    demandHalfLifeS: config.preload.demand_half_life_s,
    ...(restored && { restored: restored.ops }),
  });
  const decisions = new DecisionLog(logger, clock, ops);
  const backends =
    options.backends ?? new Map<string, Backend>(config.hosts.map((h) => [h.name, new OllamaBackend(h.url)]));
  const metrics = options.metrics ?? createMetrics();
  const observer = wireMetrics(metrics, config.deadlines);
  const loader = new Loader(config, backends, clock, observer);
  const sinks = [persistence?.sink, options.fleet?.sink].filter((f): f is EventSink => !!f);
  let prober: Prober | undefined;
  let shared: SharedState | undefined;
  const fleetOptions: FleetOptions = {
    clock,
    ...(sinks.length > 0 && {
      sink: (t, e, r) => {
        for (const f of sinks) f(t, e, r);
      },
    }),
    execute: loader.execute,
    onDecision: (d) => {
      persistence?.decision(d.at, d);
      const { kind, message } = describeDecision(d);
      decisions.record(kind, message, { host: d.host, model: d.model, seq: d.seq }, d.request_id);
      loader.onDecision(d);
      shared?.decided(d);
    },
    onStateChange: (change) => {
      logStateChange(decisions, change);
      observer.stateChange(change);
      if (mustSaveNow(change)) persistence?.saveNow();
      shared?.stateChanged(change);
      // Half-open is reached by time alone; a probe is the trial when no request comes to be one.
      if (change.to === 'halfOpen' && !options.passive) queueMicrotask(() => void prober?.probe(change.id));
    },
    onError: (message) => logger.error({ err: message }, 'an actor failed; the fleet carries on'),
    ...(options.inspect && { inspect: options.inspect }),
  };
  const fleet = restoreFleet(
    config,
    fleetOptions,
    input,
    restored?.supervisor ?? options.fleet?.snapshot,
    persistence,
    logger,
  );
  loader.fleet = fleet;
  fleet.actor.subscribe(() => loader.checkAll());
  const limiters = new Map(fleet.ids().map((id) => [id, new Limiter(fleet.view(id)!.parallelSlots)]));
  // A reconciliation makes several calls (/api/ps, /api/tags, /api/show for new models): give it room even
  // when timings are scaled down, or a busy host reads as a dead one.
  const reconcileTimeoutMs = Math.max(2000, config.health.probe_timeout_s * 1000);
  let reconciler: Reconciler | undefined;
  const hostHealth = new HostHealth(config, fleet, backends, clock, async (host) => {
    await reconciler?.reconcile(host, true);
  });
  reconciler = new Reconciler(fleet, backends, clock, decisions, hostHealth, reconcileTimeoutMs);
  prober = new Prober(config, fleet, backends, limiters, loader, clock, decisions);
  if (SharedState) {
    shared = new SharedState({
      config,
      replica: replica!,
      fleet,
      clock,
      logger,
      demand: () => ops.state().demand,
      reconcile: (host) => void reconciler?.reconcile(host, true),
      checkHost: (host) => void hostHealth.verdict(host),
    });
  }
  // The loader's fence: with replicas, only the holder of a host's planner lease sends it loads.
  if (shared) loader.mayPlan = (host) => shared!.mayPlan(host);
  persistence?.attach(() => ({
    supervisor: fleet.persistedSnapshot(),
    models: configured,
    ops: ops.state(),
  }));
  if (restored) {
    // Nothing that was in flight survived the restart; circuits, statistics, ledgers and deadlines did.
    for (const id of fleet.ids()) fleet.send(id, { type: 'RESTORED' });
    fleet.sendSupervisor({ type: 'RESTORED' });
    decisions.record('reconcile', `resumed from ${persistence!.status().state_file}`, {});
  }
  await persistence?.baseCheckpoint();
  const chains = new Chains(config);
  let positions = chainPositions(chains.all());
  // Discovery changes what models there are: chains built from them follow.
  fleet.actor.subscribe((snap) => {
    if (chains.update(snap.context.hosts)) positions = chainPositions(chains.all());
  });
  const deps: JourneyDeps = {
    config,
    chains,
    fleet,
    loader,
    backends,
    limiters,
    hostHealth,
    clock,
    decisions,
    ops,
    backoff: backoffOptionsFrom(config, options.random ?? Math.random),
    keepAlive: keepAliveOf(config),
    onHostSuspect: (host) => void reconciler?.reconcile(host),
    observer,
    ...(persistence && { journalSelection: (r) => persistence.decision(r.at, r) }),
    pulse: new InteractivePulse(config.selection.giant_quiet_s * 1000),
    onDemand: (taskType, model, failed) =>
      ops.store.trigger.requestEnded({ now: clock.now(), taskType, model, ok: !failed }),
  };
  // Discovered models get their limiter when they first appear.
  fleet.actor.subscribe(() => {
    for (const id of fleet.ids())
      if (!limiters.has(id)) limiters.set(id, new Limiter(fleet.view(id)!.parallelSlots));
  });

  const tickers: Ticker[] = [];
  if (!options.passive) {
    tickers.push(new Ticker(clock, config.reconcile_interval_s * 1000, () => reconciler!.reconcileAll()));
    tickers.push(new Ticker(clock, config.health.probe_interval_s * 1000, () => prober!.probeDue()));
    tickers.push(
      new Ticker(clock, 1000, () => {
        if (fleet.needsTick()) fleet.sendSupervisor({ type: 'TICK' });
      }),
    );
    if (config.preload.predictive)
      tickers.push(new Ticker(clock, config.preload.interval_s * 1000, () => predicted()));
  }

  const predicted = async () =>
    preloadPredicted(config, fleet, loader, decisions, shared?.demand() ?? ops.state().demand, clock, chains);

  function requireModel(name: string): string {
    const id = bestHostFor(fleet, name);
    if (!id) {
      throw new RmmError(
        'RMM_UNKNOWN_MODEL',
        `unknown model "${name}"; known models: ${[...new Set(fleet.candidates().map((c) => c.model))].join(', ')}`,
      );
    }
    return id;
  }

  /** A named model no host has (auto and auto:<task> name none): the error that says what there is. */
  function unknownModel(m: string | undefined, hint: string): RmmError | undefined {
    if (!m || m === 'auto' || m.startsWith('auto:') || fleet.candidates().some((c) => c.model === m)) return;
    return new RmmError(
      'RMM_UNKNOWN_MODEL',
      `unknown model "${m}"; ${hint}: ${manager.catalog().join(', ')}`,
    );
  }

  const started = options.passive ? Promise.resolve() : start();
  async function start() {
    // Who plans each host is settled before a host is first seen up (the supervisor wants the warm set
    // then); alone, every host is ours (a snapshot from a run with replicas may say otherwise).
    if (shared) await shared.start();
    else
      for (const h of Object.values(fleet.hosts()))
        if (h.planner === 'peer')
          fleet.sendSupervisor({ type: 'PLANNER_CHANGED', host: h.name, planner: 'local' });
    await reconciler!.reconcileAll();
    // The warm set: wanted by the supervisor as soon as a host answers; ready once it serves.
    await Promise.all(fleet.pinned().map((id) => loader.want(id, { mode: 'warm' }).catch(() => {})));
  }

  const run = (request: JourneyRequest) => {
    ops.requestStarted(clock.now());
    return runJourney(deps, request);
  };
  const manager: RunningManager = {
    fleet,
    loader,
    prober,
    reconciler,
    hostHealth,
    decisions,
    started,
    predictivePreload: predicted,
    complete: (request) => {
      const unknown = unknownModel(request.model, 'use auto, auto:<task> or one of');
      return unknown ? Promise.reject(unknown) : run(request);
    },
    completeWithFallback: (input) =>
      run({
        kind: 'generate',
        prompt: input.prompt,
        ...(input.taskType && { taskType: input.taskType }),
        ...(input.urgency && { urgency: input.urgency }),
        ...(input.model && { model: input.model }),
        ...(input.signal && { signal: input.signal }),
      }),
    embed: async (req) => {
      const unknown = unknownModel(req.model, 'use auto or one of');
      if (unknown) throw unknown;
      return runEmbed(run, req);
    },
    preloadModel: async (name, opts = {}) => preload(fleet, loader, requireModel(name), opts.force === true),
    checkHealth: async (name, force = false) => prober!.check(requireModel(name), force),
    status: () =>
      buildStatus({
        config,
        fleet,
        backend: options.backend ?? 'real',
        startedAt,
        now: clock.now(),
        chains: positions,
        chainViews: chains.all(),
        decisions: decisions.recent(),
        savedAt: persistence?.status().last_saved_at ?? null,
        ...(persistence && { persistence: persistence.status() }),
        ...(shared && { sharedState: shared.status() }),
      }),
    models: () => manager.status().models,
    ready: () => fleet.candidates().some((c) => c.acceptsTraffic && c.resident && c.hostUp !== false),
    catalog: () => [...new Set(fleet.candidates().map((c) => c.model))],
    // What each host reported at its last reconciliation; several hosts: the lowest (a feature is safe
    // only if every host that may serve the request has it).
    upstreamVersion: () =>
      lowestVersion(
        Object.values(fleet.hosts()).flatMap((h) => (h.health.version ? [h.health.version] : [])),
      ),
    prometheusMetrics: async () => {
      metrics.observeStatus(manager.status());
      return metrics.render();
    },
    ioIdle: async () => {
      await persistence?.idle();
    },
    async close() {
      for (const t of tickers) t.stop();
      await shared?.close();
      hostHealth.stop();
      await persistence?.close();
      fleet.stop();
      if (!options.backends) await Promise.all([...backends.values()].map((b) => b.close()));
    },
  };
  return manager;
}
