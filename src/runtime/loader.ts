import type { LoaderCommand, PlanDecision, WantMode } from '../../machines/supervisor/types.ts';
import type { Backend } from '../backend/backend.ts';
import type { Config, Urgency } from '../config/schema.ts';
import { RmmError } from '../manager/errors.ts';
import { classifyError } from '../policy/errors.ts';
import { type Clock, sleep } from '../time/clock.ts';
import { clockSignal } from './clock-signal.ts';
import type { Fleet } from './fleet.ts';
import { keepAliveOf } from './keep-alive.ts';
import { measuredSize, untilGone } from './residency-io.ts';

export interface LoadObserver {
  load(model: string, host: string, outcome: 'success' | 'failure', seconds: number): void;
  eviction(model: string, host: string, reason: string): void;
}

export interface WantOptions {
  mode: WantMode;
  urgency?: Urgency;
  requestId?: string;
  force?: boolean;
  /** Stop waiting for room after this (epoch ms); default: a load timeout from now. */
  until?: number;
  /** Interactive requests arrived recently (background and batch work may not push the warm set out). */
  interactiveBusy?: boolean;
}

export interface WantOutcome {
  alreadyLoaded: boolean;
  /** Models evicted to make room (names). */
  evicted: string[];
}

/** Why a load was not sent: this replica's planner lease had run out at the moment of the I/O. */
const LEASE_LOST = 'planner_lease_lost';
/** How long a want whose load met a lapsed lease waits before it is asked for again. */
const REWANT_MS = 50;

interface Waiter {
  id: string;
  requestId: string | undefined;
  /** Sends (again) the want this waiter waits on. */
  ask(): void;
  evicted: string[];
  resolve(outcome: WantOutcome): void;
  reject(err: RmmError): void;
}

/**
 * The supervisor's hands for loads: it carries out LOAD commands (unload the victims, then load, then ask
 * /api/ps what the model really takes) and reports each outcome as an event to the supervisor, which owns
 * the ledger. It also lets callers wait for a load they want: `want()` sends LOAD_WANTED and settles when
 * the model is resident, or when the supervisor refuses it, gives up on it, or its load fails.
 *
 * Loads belong to the supervisor, not to a request: a request that stops waiting only drops its want; a
 * load already sent runs to its own timeout (Ollama abandons a load whose client disconnects).
 */
export class Loader {
  private readonly waiters = new Map<string, Set<Waiter>>();
  fleet!: Fleet;
  /**
   * Whether this replica may send loads and unloads to a host now (replicas: only the planner lease's holder
   * may). Checked just before the I/O, so a planner whose lease ran out while it decided stops there.
   */
  mayPlan: (host: string) => boolean = () => true;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly backends: ReadonlyMap<string, Backend>,
    private readonly clock: Clock,
    private readonly observer?: LoadObserver,
  ) {}

  /** The loader actor's command handler (the Fleet wires the supervisor's `loader` child to it). */
  readonly execute = (command: LoaderCommand): void => {
    if (command.type === 'LOAD') void this.runLoad(command);
    else void this.runUnload(command.id, `decision #${command.decision}`);
  };

  /**
   * Wants `id` loaded and waits until it is resident. Rejects with RMM_NO_MODEL_AVAILABLE when the
   * supervisor refuses the load, its load fails, or the want expires. `signal` stops the wait (and drops the
   * want, so it no longer holds a place in the queue); it never stops a load already sent.
   */
  want(id: string, options: WantOptions, signal?: AbortSignal): Promise<WantOutcome> {
    const view = this.fleet.view(id);
    if (!view) return Promise.reject(new RmmError('RMM_UNKNOWN_MODEL', `no model actor ${id}`));
    if (view.resident) return Promise.resolve({ alreadyLoaded: true, evicted: [] });
    return new Promise<WantOutcome>((resolve, reject) => {
      const waiter: Waiter = {
        id,
        requestId: options.requestId,
        ask: () =>
          this.fleet.sendSupervisor(
            {
              type: 'LOAD_WANTED',
              id,
              mode: options.mode,
              ...(options.urgency && { urgency: options.urgency }),
              ...(options.requestId && { requestId: options.requestId }),
              ...(options.force && { force: true }),
              ...(options.until !== undefined && { until: options.until }),
              ...(options.interactiveBusy && { interactiveBusy: true }),
            },
            options.requestId,
          ),
        evicted: [],
        resolve: (o) => {
          this.forget(waiter);
          signal?.removeEventListener('abort', onAbort);
          resolve(o);
        },
        reject: (e) => {
          this.forget(waiter);
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        this.forget(waiter);
        this.fleet.sendSupervisor(
          { type: 'WANT_DROPPED', id, ...(options.requestId && { requestId: options.requestId }) },
          options.requestId,
        );
        reject(new RmmError('RMM_CANCELLED', 'stopped waiting for the load'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const set = this.waiters.get(id) ?? new Set<Waiter>();
      this.waiters.set(id, set);
      set.add(waiter);
      waiter.ask();
      // The want may have been satisfied or refused synchronously.
      this.checkResident(id);
    });
  }

  /**
   * Whether this replica may load on `host` now. A lease that lapsed only because its renewal ran late (a
   * busy event loop) is waited for, up to one lease: it is ours again once the renewal lands, and giving up
   * at once dropped the load and every want behind it. If another replica takes it meanwhile, it is not.
   */
  private async planningLease(host: string): Promise<boolean> {
    const leaseMs = this.config.shared_state.lease_s * 1000;
    for (let waited = 0; !this.mayPlan(host); waited += REWANT_MS) {
      if (waited >= leaseMs) return false;
      await sleep(this.clock, REWANT_MS);
    }
    return true;
  }

  private askAgain(w: Waiter) {
    this.clock.setTimeout(() => {
      // Still waiting (not resolved, refused or abandoned meanwhile)?
      if (this.waiters.get(w.id)?.has(w)) w.ask();
    }, REWANT_MS);
  }

  private forget(w: Waiter) {
    const set = this.waiters.get(w.id);
    set?.delete(w);
    if (set?.size === 0) this.waiters.delete(w.id);
  }

  /** Settles waiters from the supervisor's decisions (wired to Fleet's onDecision). */
  onDecision(d: PlanDecision): void {
    const id = `${d.host}/${d.model}`;
    const set = this.waiters.get(id);
    if (!set) return;
    for (const w of [...set]) {
      // Refusals and expiries answer one want: the one of this requester (none for preloads and the warm set).
      const mine = (d.request_id ?? null) === (w.requestId ?? null);
      switch (d.kind) {
        case 'load':
          if (mine)
            w.evicted = d.plan.action === 'load' || d.plan.action === 'partial_offload' ? d.plan.evict : [];
          break;
        case 'loaded':
          w.resolve({ alreadyLoaded: false, evicted: w.evicted });
          break;
        case 'load_failed':
          // A lapsed lease is not the model failing: the load was never sent. Whoever plans the host now
          // (this replica again once its renewal lands, or another) is asked again, after a pause so a lease
          // that stays lost does not spin. Failing the want instead sent every waiting request elsewhere.
          if (d.reason.endsWith(LEASE_LOST)) this.askAgain(w);
          else
            w.reject(
              new RmmError('RMM_NO_MODEL_AVAILABLE', d.reason, { reason: 'load_failed', decision: d }),
            );
          break;
        case 'refuse':
        case 'want_expired':
          if (mine)
            w.reject(new RmmError('RMM_NO_MODEL_AVAILABLE', d.reason, { reason: d.kind, decision: d }));
          break;
      }
    }
  }

  /** Resolves the waiters of a model that became resident by other means (/api/ps showed it). */
  checkResident(id: string): void {
    const set = this.waiters.get(id);
    if (!set || !this.fleet.view(id)?.resident) return;
    for (const w of [...set]) w.resolve({ alreadyLoaded: false, evicted: w.evicted });
  }

  /** Settles every waiter whose model is resident now (called on fleet changes). */
  checkAll(): void {
    for (const id of [...this.waiters.keys()]) this.checkResident(id);
  }

  private async runLoad(cmd: Extract<LoaderCommand, { type: 'LOAD' }>): Promise<void> {
    await Promise.all(cmd.evict.map((victim) => this.runUnload(victim, `make room for ${cmd.model}`)));
    const backend = this.backends.get(cmd.host);
    if (!backend) return;
    if (!(await this.planningLease(cmd.host))) {
      // Not a failure of the model: another replica plans the host now and will load it if still wanted.
      this.fleet.sendSupervisor({
        type: 'LOAD_FAILED',
        id: cmd.id,
        errorClass: 'TRANSIENT',
        reason: LEASE_LOST,
        countsAgainstCircuit: false,
      });
      return;
    }
    const started = this.clock.now();
    const bound = clockSignal(this.clock, this.config.load.timeout_s * 1000);
    try {
      const caps = this.fleet.view(cmd.id)?.capabilities;
      const embedding = caps?.includes('embedding') && !caps.includes('completion');
      const answer = await backend.load(cmd.model, keepAliveOf(this.config), bound.signal, embedding);
      const durationMs = answer.loadDurationMs ?? this.clock.now() - started;
      const sizes = await measuredSize(
        backend,
        cmd.model,
        this.clock,
        this.config.host_health.probe_timeout_s * 1000,
      );
      this.fleet.sendSupervisor({ type: 'LOAD_SUCCEEDED', id: cmd.id, durationMs, ...sizes });
      this.observer?.load(cmd.model, cmd.host, 'success', durationMs / 1000);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      const c = classifyError(cause, 'load');
      this.fleet.sendSupervisor({
        type: 'LOAD_FAILED',
        id: cmd.id,
        errorClass: c.class,
        reason: c.reason,
        countsAgainstCircuit: c.countsAgainstCircuit,
        missing: c.missing,
      });
      this.observer?.load(cmd.model, cmd.host, 'failure', (this.clock.now() - started) / 1000);
    } finally {
      bound.clear();
    }
  }

  private async runUnload(id: string, reason: string): Promise<void> {
    const view = this.fleet.view(id);
    const backend = view && this.backends.get(view.host);
    if (!view || !backend) return;
    if (!this.mayPlan(view.host)) {
      // The host's new planner decides what stays; our ledger follows its ledger.
      this.fleet.sendSupervisor({ type: 'UNLOADED', id });
      return;
    }
    // Ollama answers an unload at once; a host that hangs must not leave the model `unloading` forever.
    const bound = clockSignal(this.clock, Math.max(1, this.config.health.probe_timeout_s * 1000));
    try {
      await backend.unload(view.model, bound.signal);
      await untilGone(backend, view.model, this.clock, bound.signal);
    } catch {
      // A restarted or unreachable Ollama holds nothing; reconciliation corrects us if it still does.
    } finally {
      bound.clear();
      this.fleet.sendSupervisor({ type: 'UNLOADED', id });
      this.observer?.eviction(view.model, view.host, reason);
    }
  }
}
