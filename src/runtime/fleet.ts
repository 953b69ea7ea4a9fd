import { type Actor, type AnyActorLogic, createActor, type InspectionEvent, type Snapshot } from 'xstate';
import { modelInputFrom } from '../../machines/model/context.ts';
import type { ModelContext, ModelEvent, ModelStateValue } from '../../machines/model/types.ts';
import { modelMachine } from '../../machines/model.machine.ts';
import {
  type HostState,
  type ModelRef,
  type SupervisorEvent,
  type SupervisorInput,
  supervisorMachine,
} from '../../machines/supervisor.machine.ts';
import type { Config } from '../config/schema.ts';
import type { CandidateState } from '../policy/estimate.ts';
import { createLedger, type HostLedger, type LedgerEntry, planLoad } from '../policy/vram-ledger.ts';
import type { Clock } from '../time/clock.ts';
import { deadlineTimerLogic } from './deadline-timer.ts';

/** Whatever receives every event that enters the actor system (the journal, in production). */
export type EventSink = (target: string, event: { type: string; now: number }, requestId?: string) => void;

/** A model event before the fleet stamps it with the clock (distributes over the union). */
export type UnstampedModelEvent = ModelEvent extends infer E
  ? E extends { now: number }
    ? Omit<E, 'now'> & { now?: number }
    : never
  : never;

export interface ModelStateChange {
  id: string;
  from: ModelStateValue;
  to: ModelStateValue;
  context: ModelContext;
  event: string;
}

export interface FleetOptions {
  clock: Clock;
  sink?: EventSink;
  /** A persisted supervisor snapshot to resume from. */
  snapshot?: Snapshot<unknown>;
  /** Called on every model state change (decision log, metrics, probes). */
  onStateChange?: (change: ModelStateChange) => void;
  /** Demand of a model, for cost-aware eviction planning. */
  demandOf?: (model: string) => number;
  /**
   * The model actors' deadline timer. Default: the real one on `clock`. Replay passes the machine's inert
   * one and feeds the journaled DEADLINE_REACHED events instead.
   */
  deadlineTimer?: AnyActorLogic;
  /** Live inspection (--inspect, --inspect-log): receives every XState inspection event. */
  inspect?: (event: InspectionEvent) => void;
}

export type SupervisorActor = Actor<typeof supervisorMachine>;

/** The models a host serves: its own list, else the whole catalog. */
export function modelsOnHost(config: Readonly<Config>, host: Config['hosts'][number]): string[] {
  return host.models ? [...host.models] : Object.keys(config.models);
}

export function supervisorInputFrom(config: Readonly<Config>, now: number): SupervisorInput {
  const hosts: HostState[] = config.hosts.map((h) => ({
    name: h.name,
    url: h.url,
    budgetGb: h.vram_gb,
    maxLoadedModels: h.max_loaded_models,
    numParallel: h.num_parallel,
    reachable: null,
    lastReconciledAt: null,
    lastError: null,
    foreign: [],
  }));
  const models = config.hosts.flatMap((h) =>
    modelsOnHost(config, h).map((m) => modelInputFrom(config, h.name, m, now)),
  );
  const pinned = config.hosts.flatMap((h) =>
    config.warm_set.filter((m) => modelsOnHost(config, h).includes(m)).map((m) => `${h.name}/${m}`),
  );
  return { hosts, models, pinned, now };
}

const RESIDENT_STATES = new Set<ModelStateValue>(['loaded', 'degraded', 'halfOpen']);

/**
 * The live actor system and fast views of it. Candidate views (what selection reads) are kept up to date
 * from snapshot subscriptions, so a request reads plain objects instead of rebuilding them; the VRAM ledger
 * of a host is derived from its model actors whenever a load is planned.
 */
export class Fleet {
  readonly actor: SupervisorActor;
  private readonly refs = new Map<string, ModelRef>();
  private readonly views = new Map<string, CandidateState>();
  private readonly list: CandidateState[] = [];
  private fitsDirty = true;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly config: Readonly<Config>,
    private readonly options: FleetOptions,
  ) {
    const timer =
      options.deadlineTimer ??
      deadlineTimerLogic(options.clock, (id, event) => this.options.sink?.(id, event));
    const machine = supervisorMachine.provide({
      actors: { model: modelMachine.provide({ actors: { deadlineTimer: timer as never } }) },
    });
    this.actor = createActor(machine, {
      input: supervisorInputFrom(config, options.clock.now()),
      ...(options.snapshot && { snapshot: options.snapshot as never }),
      // Inspection costs an object per event, snapshot and microstep: only when someone watches.
      ...(options.inspect && { inspect: options.inspect }),
    });
    this.actor.subscribe({ error: (err) => this.onSystemError(err) });
    this.actor.start();
    for (const [id, ref] of Object.entries(this.actor.getSnapshot().context.models)) this.track(id, ref);
  }

  private onSystemError(err: unknown) {
    // An unobserved actor error would crash the process; this one is reported and the fleet carries on.
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  lastError: string | null = null;

  private track(id: string, ref: ModelRef) {
    this.refs.set(id, ref);
    const ctx = ref.getSnapshot().context;
    const host = this.config.hosts.find((h) => h.name === ctx.host)!;
    const spec = this.config.models[ctx.model]!;
    const view: CandidateState = {
      id,
      model: ctx.model,
      host: ctx.host,
      state: 'unloaded',
      acceptsTraffic: true,
      inFlight: 0,
      parallelSlots: host.num_parallel,
      latencyEwmaMs: null,
      loadMs: ctx.loadTimeMs,
      loadingStartedAt: null,
      tokensPerS: spec.tokens_per_s,
      sizeGb: spec.size_gb,
      hostVramGb: host.vram_gb,
      fitsNow: true,
      openUntil: null,
    };
    this.views.set(id, view);
    this.list.push(view);
    let previous = ref.getSnapshot().value as ModelStateValue;
    this.refresh(view, ref.getSnapshot().value as ModelStateValue, ctx);
    ref.subscribe({
      next: (snap) => {
        const value = snap.value as ModelStateValue;
        this.refresh(view, value, snap.context);
        if (value !== previous) {
          const change = { id, from: previous, to: value, context: snap.context, event: this.lastEventType };
          previous = value;
          this.fitsDirty = true;
          this.options.onStateChange?.(change);
        }
        if (this.waiters.size > 0) for (const wake of [...this.waiters]) wake();
      },
      error: (err) => this.onSystemError(err),
    });
  }

  private lastEventType = '';

  private refresh(view: CandidateState, value: ModelStateValue, ctx: ModelContext) {
    view.state = value;
    view.inFlight = ctx.inFlight;
    view.latencyEwmaMs = ctx.latencyEwmaMs;
    view.loadMs = ctx.loadTimeMs;
    view.loadingStartedAt = value === 'loading' ? ctx.loadStartedAt : null;
    view.openUntil = value === 'open' ? ctx.openUntil : null;
    view.resident =
      RESIDENT_STATES.has(value) || ((value === 'open' || value === 'unloading') && ctx.resident);
    view.acceptsTraffic =
      value === 'open' || value === 'missing' || value === 'unloading'
        ? false
        : value === 'halfOpen'
          ? ctx.trialsLeft > 0
          : true;
  }

  /** Stamps, journals and delivers one event to a model actor. */
  send(id: string, event: UnstampedModelEvent, requestId?: string): void {
    const ref = this.refs.get(id);
    // After stop() late answers (a load finishing during shutdown) have nowhere to go.
    if (!ref || this.stopped) return;
    const stamped = { ...event, now: event.now ?? this.options.clock.now() } as ModelEvent;
    this.options.sink?.(id, stamped, requestId);
    this.lastEventType = stamped.type;
    ref.send(stamped);
  }

  /** Stamps, journals and delivers one event to the supervisor itself. */
  sendSupervisor(event: SupervisorEvent): void {
    if (this.stopped) return;
    this.options.sink?.('supervisor', event);
    this.actor.send(event);
  }

  context(id: string): ModelContext | undefined {
    return this.refs.get(id)?.getSnapshot().context;
  }

  stateOf(id: string): ModelStateValue | undefined {
    return this.views.get(id)?.state;
  }

  view(id: string): CandidateState | undefined {
    return this.views.get(id);
  }

  ids(): string[] {
    return [...this.refs.keys()];
  }

  hosts(): Record<string, HostState> {
    return this.actor.getSnapshot().context.hosts;
  }

  pinned(): string[] {
    return this.actor.getSnapshot().context.pinned;
  }

  /** Every candidate, with `fitsNow` brought up to date; the objects are live and must not be mutated. */
  candidates(): readonly CandidateState[] {
    if (this.fitsDirty) {
      this.fitsDirty = false;
      // Ollama loads one model at a time per host: a new load waits behind the loads under way.
      const loadQueueMs = new Map<string, number>();
      for (const view of this.list) {
        if (view.state === 'loading')
          loadQueueMs.set(view.host, (loadQueueMs.get(view.host) ?? 0) + view.loadMs);
      }
      const ledgers = new Map<string, HostLedger>();
      for (const view of this.list) {
        const own = this.context(view.id)!.loadTimeMs;
        view.loadMs =
          view.resident || view.state === 'loading' ? own : own + (loadQueueMs.get(view.host) ?? 0);
        if (view.resident || view.state === 'loading') {
          view.fitsNow = true;
          continue;
        }
        let ledger = ledgers.get(view.host);
        if (!ledger) {
          ledger = this.ledger(view.host);
          ledgers.set(view.host, ledger);
        }
        const plan = planLoad(ledger, view.model, view.sizeGb, this.planOptions());
        view.fitsNow = plan.action === 'load' || plan.action === 'partial_offload' || plan.action === 'none';
      }
    }
    return this.list;
  }

  planOptions() {
    return { ...(this.options.demandOf && { demandOf: this.options.demandOf }) };
  }

  /** The host's VRAM ledger, derived from its model actors and the foreign models Ollama reported. */
  ledger(hostName: string, exclude?: string): HostLedger {
    const host = this.hosts()[hostName]!;
    const entries: Record<string, LedgerEntry> = {};
    const pinned = new Set(this.pinned());
    for (const view of this.list) {
      if (view.host !== hostName || view.model === exclude) continue;
      // A model shows `loading` as soon as a request starts on it, but it takes memory only once its load
      // was sent to Ollama: counting it earlier let waiting requests reserve VRAM they did not hold.
      const loading = view.state === 'loading' && (this.loadSent?.(view.id) ?? true);
      if (!loading && !view.resident) continue;
      const ctx = this.context(view.id)!;
      entries[view.model] = {
        sizeGb: view.sizeGb,
        sizeVramGb: ctx.sizeVramGb ?? Math.min(view.sizeGb, host.budgetGb),
        status: loading ? 'loading' : 'loaded',
        inFlight: view.inFlight + (this.holds.get(view.id) ?? 0),
        pinned: pinned.has(view.id),
        lastUsed: ctx.lastUsed ?? ctx.loadedAt ?? 0,
        loadSeconds: view.loadMs / 1000,
      };
    }
    for (const f of host.foreign) {
      // Someone else's model: it takes room, and it is not ours to evict.
      entries[f.name] = {
        sizeGb: f.sizeVramGb,
        sizeVramGb: f.sizeVramGb,
        status: 'loaded',
        inFlight: 0,
        pinned: true,
        foreign: true,
        lastUsed: 0,
      };
    }
    return { ...createLedger(host.budgetGb, host.maxLoadedModels), entries };
  }

  private readonly holds = new Map<string, number>();

  /** Set by the loader: whether a model's load has been sent to its host. */
  loadSent: ((id: string) => boolean) | undefined;

  /**
   * Marks a model busy for work the actor does not count as a request (a probe), so it is not evicted
   * under it. Returns the release.
   */
  hold(id: string): () => void {
    this.holds.set(id, (this.holds.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.holds.get(id) ?? 1) - 1;
      if (left > 0) this.holds.set(id, left);
      else this.holds.delete(id);
    };
  }

  /** Resolves at the next model snapshot change (or after `ms`), for code that waits on the fleet. */
  nextChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        this.options.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.options.clock.setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  persistedSnapshot(): unknown {
    return this.actor.getPersistedSnapshot();
  }

  private stopped = false;

  stop(): void {
    this.stopped = true;
    this.actor.stop();
  }
}
