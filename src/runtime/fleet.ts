import type { Logger } from 'pino';
import {
  type Actor,
  type AnyActorLogic,
  createActor,
  fromCallback,
  type InspectionEvent,
  type Snapshot,
} from 'xstate';
import type { ModelContext, ModelEvent, ModelStateValue } from '../../machines/model/types.ts';
import { modelMachine, withFastContexts } from '../../machines/model.machine.ts';
import type {
  HostState,
  LoaderCommand,
  ModelRef,
  PlanDecision,
  SupervisorContext,
  SupervisorEvent,
  SupervisorInput,
} from '../../machines/supervisor/types.ts';
import { supervisorMachine } from '../../machines/supervisor.machine.ts';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../time/clock.ts';
import { withFields } from '../with-fields.ts';
import { type LiveView, newView, refreshFromModel, refreshFromSupervisor } from './candidate-views.ts';
import { deadlineTimerLogic } from './deadline-timer.ts';

/** Whatever receives every event that enters the actor system (the journal, in production). */
export type EventSink = (target: string, event: { type: string; now: number }, requestId?: string) => void;

/** A model event before the fleet stamps it with the clock (distributes over the union). */
export type UnstampedModelEvent = ModelEvent extends infer E
  ? E extends { now: number }
    ? Omit<E, 'now'> & { now?: number }
    : never
  : never;

/** A supervisor event before the fleet stamps it with the clock. */
export type UnstampedSupervisorEvent = SupervisorEvent extends infer E
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
  /** Every decision the supervisor emits (journal, decision log, load waiters). */
  onDecision?: (decision: PlanDecision) => void;
  /** Does the I/O the supervisor's loader commands ask for (the runtime's Loader). */
  execute?: (command: LoaderCommand) => void;
  /** An actor failed: reported at error level, shown in status and /readyz. */
  onError?: (message: string) => void;
  /**
   * The model actors' deadline timer. Default: the real one on `clock`. Replay passes the machine's inert
   * one and feeds the journaled DEADLINE_REACHED events instead.
   */
  deadlineTimer?: AnyActorLogic;
  /** Live inspection (--inspect, --inspect-log): receives every XState inspection event. */
  inspect?: (event: InspectionEvent) => void;
}

export type SupervisorActor = Actor<typeof supervisorMachine>;

/**
 * The live actor system and fast views of it. Candidate views (what selection reads) are plain objects kept
 * up to date from the model actors' snapshots and the supervisor's ledger, so a request reads data instead
 * of asking actors. Every event sent in is stamped with the clock and journaled first.
 */
export class Fleet {
  readonly actor: SupervisorActor;
  private readonly refs = new Map<string, ModelRef>();
  private readonly views = new Map<string, LiveView>();
  private readonly list: LiveView[] = [];
  private supervisorDirty = true;
  private readonly waiters = new Set<() => void>();
  private lastEventType = '';
  private stopped = false;
  /** The last actor error, for status and /readyz; null while none happened. */
  lastError: string | null = null;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly options: FleetOptions,
    input: SupervisorInput,
  ) {
    const timer =
      options.deadlineTimer ??
      deadlineTimerLogic(options.clock, (id, event) => this.options.sink?.(id, event));
    const execute = options.execute;
    const loader = fromCallback<LoaderCommand>(({ receive }) => {
      receive((command) => execute?.(command));
    });
    const machine = supervisorMachine.provide({
      actors: {
        model: modelMachine.provide({ actors: { deadlineTimer: timer as never } }),
        loader: loader as never,
      },
    });
    this.actor = createActor(machine, {
      input,
      ...(options.snapshot && { snapshot: options.snapshot as never }),
      // Inspection costs an object per event, snapshot and microstep: only when someone watches.
      ...(options.inspect && { inspect: options.inspect }),
    });
    this.actor.subscribe({
      next: (snap) => {
        this.supervisorDirty = true;
        // Discovered models are spawned by the supervisor: track their actors as they appear.
        if (Object.keys(snap.context.models).length !== this.refs.size) this.trackNew(snap.context.models);
        this.wake();
      },
      error: (err) => this.onSystemError(err),
    });
    this.actor.on('decision', (e) => this.options.onDecision?.(e.decision));
    this.actor.start();
    this.trackNew(this.actor.getSnapshot().context.models);
  }

  private onSystemError(err: unknown) {
    // An unobserved actor error would crash the process; this one is reported and the fleet carries on.
    this.lastError = err instanceof Error ? err.message : String(err);
    this.options.onError?.(this.lastError);
  }

  private trackNew(models: Record<string, ModelRef>) {
    for (const [id, ref] of Object.entries(models)) if (!this.refs.has(id)) this.track(id, ref);
  }

  private track(id: string, ref: ModelRef) {
    this.refs.set(id, ref);
    const snap = ref.getSnapshot();
    const host = this.supervisor().hosts[snap.context.host]!;
    const view = newView(this.config, id, snap.context, host);
    this.views.set(id, view);
    this.list.push(view);
    let previous = snap.value as ModelStateValue;
    refreshFromModel(view, previous, snap.context, this.options.clock.now());
    ref.subscribe({
      next: (s) => {
        const value = s.value as ModelStateValue;
        refreshFromModel(view, value, s.context, s.context.now);
        if (value !== previous) {
          const change = { id, from: previous, to: value, context: s.context, event: this.lastEventType };
          previous = value;
          this.supervisorDirty = true;
          this.options.onStateChange?.(change);
        }
        this.wake();
      },
      error: (err) => this.onSystemError(err),
    });
  }

  private wake() {
    if (this.waiters.size > 0) for (const wake of [...this.waiters]) wake();
  }

  /** Stamps, journals and delivers one event to a model actor. */
  send(id: string, event: UnstampedModelEvent, requestId?: string): void {
    const ref = this.refs.get(id);
    // After stop() late answers (a load finishing during shutdown) have nowhere to go.
    if (!ref || this.stopped) return;
    const stamped = withFields(event, { now: event.now ?? this.options.clock.now() }) as ModelEvent;
    this.options.sink?.(id, stamped, requestId);
    this.lastEventType = stamped.type;
    ref.send(stamped);
  }

  /** Stamps, journals and delivers one event to the supervisor. */
  sendSupervisor(event: UnstampedSupervisorEvent, requestId?: string): void {
    if (this.stopped) return;
    const stamped = withFields(event, { now: event.now ?? this.options.clock.now() }) as SupervisorEvent;
    this.options.sink?.('supervisor', stamped, requestId);
    this.lastEventType = stamped.type;
    this.actor.send(stamped);
  }

  /**
   * Whether a TICK can change anything: wants queued for room (to expire or retry) or a warm-set model that
   * is neither resident nor loading (to bring back). Otherwise the tick is skipped: it would journal an event
   * and schedule a snapshot every second of an idle day for nothing.
   */
  needsTick(): boolean {
    const ctx = this.supervisor();
    if (ctx.wants.length > 0) return true;
    return ctx.pinned.some((id) => {
      const v = this.view(id);
      return v !== undefined && !v.resident && v.state !== 'loading';
    });
  }

  supervisor(): SupervisorContext {
    return this.actor.getSnapshot().context;
  }

  hosts(): Record<string, HostState> {
    return this.supervisor().hosts;
  }

  host(name: string): HostState | undefined {
    return this.supervisor().hosts[name];
  }

  pinned(): string[] {
    return this.supervisor().pinned;
  }

  context(id: string): ModelContext | undefined {
    return this.refs.get(id)?.getSnapshot().context;
  }

  stateOf(id: string): ModelStateValue | undefined {
    return this.views.get(id)?.state;
  }

  ids(): string[] {
    return [...this.refs.keys()];
  }

  /** The view of one model actor, brought up to date. */
  view(id: string): LiveView | undefined {
    if (this.supervisorDirty) this.refreshAll();
    return this.views.get(id);
  }

  /** Every candidate, brought up to date; the objects are live and must not be mutated. */
  candidates(): readonly LiveView[] {
    if (this.supervisorDirty) this.refreshAll();
    return this.list;
  }

  private refreshAll() {
    this.supervisorDirty = false;
    const sup = this.supervisor();
    const now = this.options.clock.now();
    const queue = new Map<string, number>();
    for (const view of this.list) {
      const slot = sup.hosts[view.host]?.ledger[view.model];
      if (slot?.status === 'loading') queue.set(view.host, (queue.get(view.host) ?? 0) + view.loadMs);
    }
    for (const view of this.list) {
      const ctx = this.context(view.id);
      if (ctx) refreshFromSupervisor(view, ctx, sup, queue.get(view.host) ?? 0, now);
    }
  }

  /** Resolves at the next change of any actor (or after `ms`), for code that waits on the fleet. */
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

  stop(): void {
    this.stopped = true;
    this.actor.stop();
  }
}

/** Restores the fleet from a snapshot; one that cannot be restored is quarantined and the fleet starts fresh. */
export function restoreFleet(
  config: Readonly<Config>,
  options: FleetOptions,
  input: SupervisorInput,
  snapshot: unknown,
  persistence: { quarantine(reason: string): void } | undefined,
  logger: Logger,
): Fleet {
  if (snapshot) {
    try {
      // A context revived from JSON copies slowly on every assign; rebuild it in the shape fresh actors have.
      return new Fleet(config, { ...options, snapshot: withFastContexts(snapshot) as never }, input);
    } catch (err) {
      logger.error({ err }, 'the saved state could not be restored; starting fresh');
      persistence?.quarantine(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return new Fleet(config, options, input);
}
