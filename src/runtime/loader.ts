import type { OllamaBackend } from '../backend/ollama-backend.ts';
import type { Config } from '../config/schema.ts';
import { RmmError } from '../manager/errors.ts';
import { classifyError } from '../policy/errors.ts';
import { planLoad } from '../policy/vram-ledger.ts';
import type { Clock } from '../time/clock.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';

export interface LoadObserver {
  load(model: string, host: string, outcome: 'success' | 'failure', seconds: number): void;
  eviction(model: string, host: string, reason: string): void;
}

/** What a load may do to make room. A request's load may do anything the ledger allows. */
export interface LoadPolicy {
  /** false: load only if it fits without evicting anything (restoring the warm set). */
  evict?: boolean;
  /** false: never evict the warm set for it (predictive preloads are hints, not demands). */
  displaceWarmSet?: boolean;
}

export interface LoadOutcome {
  evicted: string[];
  alreadyLoaded: boolean;
}

/**
 * Loads belong to the model actor, not to a request: a load runs to its own timeout whoever asked for it,
 * and a request that cannot wait simply stops waiting (Ollama abandons a load whose client disconnects, so
 * a request timeout must never be the load's timeout). Planning and eviction for one host run one at a
 * time, and the model is in the ledger as `loading` before the next plan is made, so two loads can never
 * both count on the same free memory.
 */
export class Loader {
  private readonly inProgress = new Map<string, Promise<LoadOutcome>>();
  /** Loads sent to Ollama and not answered yet: only these take room in the ledger. */
  private readonly sent = new Set<string>();
  private readonly hostQueue = new Map<string, Promise<unknown>>();

  constructor(
    private readonly config: Readonly<Config>,
    private readonly fleet: Fleet,
    private readonly backends: ReadonlyMap<string, OllamaBackend>,
    private readonly clock: Clock,
    private readonly decisions: DecisionLog,
    private readonly observer?: LoadObserver,
  ) {
    fleet.loadSent = (id) => this.sent.has(id);
  }

  /** Resolves once the model is in memory; shares a load already under way. */
  ensureLoaded(id: string, why: string, requestId?: string, options: LoadPolicy = {}): Promise<LoadOutcome> {
    const view = this.fleet.view(id);
    if (!view) return Promise.reject(new RmmError('RMM_UNKNOWN_MODEL', `no model actor ${id}`));
    if (view.resident && view.state !== 'open') return Promise.resolve({ evicted: [], alreadyLoaded: true });
    const running = this.inProgress.get(id);
    if (running) return running;
    const load = this.load(id, why, requestId, options).finally(() => this.inProgress.delete(id));
    this.inProgress.set(id, load);
    // Nobody may be waiting (a background load): its failure is recorded, not thrown into the void.
    load.catch(() => {});
    return load;
  }

  private async load(
    id: string,
    why: string,
    requestId: string | undefined,
    policy: LoadPolicy,
  ): Promise<LoadOutcome> {
    const view = this.fleet.view(id)!;
    const backend = this.backends.get(view.host)!;
    let evicted: string[];
    try {
      evicted = await this.serialised(view.host, () => this.makeRoom(id, why, requestId, policy));
    } catch (err) {
      // No room was made and nothing was sent: the model is not at fault. (A request that started on it
      // may have put its actor in `loading`; this ends that without counting against the circuit.)
      this.fleet.send(
        id,
        { type: 'LOAD_FAILED', errorClass: 'TRANSIENT', reason: 'no_room', countsAgainstCircuit: false },
        requestId,
      );
      throw err;
    }
    const started = this.clock.now();
    this.decisions.record(
      'load',
      `loading ${view.model} on ${view.host} (${why})`,
      { model: view.model, host: view.host },
      requestId,
    );
    const timeoutMs = this.config.load.timeout_s * 1000;
    try {
      const { loadMs } = await backend.load(
        view.model,
        keepAlive(this.config),
        AbortSignal.timeout(Math.max(1, timeoutMs)),
      );
      this.sent.delete(id);
      this.fleet.send(id, { type: 'LOAD_SUCCEEDED', durationMs: loadMs }, requestId);
      this.observer?.load(view.model, view.host, 'success', loadMs / 1000);
      this.decisions.record(
        'load',
        `${view.model} loaded on ${view.host} in ${Math.round(loadMs)} ms`,
        { model: view.model, host: view.host, load_ms: Math.round(loadMs) },
        requestId,
      );
      return { evicted, alreadyLoaded: false };
    } catch (err) {
      this.sent.delete(id);
      const cause = (err as { cause?: unknown }).cause ?? err;
      const c = classifyError(cause, 'load');
      this.fleet.send(
        id,
        {
          type: 'LOAD_FAILED',
          errorClass: c.class,
          reason: c.reason,
          countsAgainstCircuit: c.countsAgainstCircuit,
          missing: c.missing,
        },
        requestId,
      );
      const seconds = (this.clock.now() - started) / 1000;
      this.observer?.load(view.model, view.host, 'failure', seconds);
      this.decisions.record(
        'load',
        `loading ${view.model} on ${view.host} failed: ${c.reason} (${c.message})`,
        { model: view.model, host: view.host, reason: c.reason },
        requestId,
      );
      throw new RmmError('RMM_NO_MODEL_AVAILABLE', `loading ${view.model} failed: ${c.message}`, {
        reason: c.reason,
        error_class: c.class,
      });
    }
  }

  /** Evicts what the plan says, waiting while the only possible victims are busy; returns the victims. */
  private async makeRoom(
    id: string,
    why: string,
    requestId: string | undefined,
    policy: LoadPolicy,
  ): Promise<string[]> {
    const view = this.fleet.view(id)!;
    const deadline = this.clock.now() + this.config.load.timeout_s * 1000;
    const evicted: string[] = [];
    for (;;) {
      // The model itself may already show as loading (a request that started on it): plan without it.
      const plan = planLoad(
        this.fleet.ledger(view.host, view.model),
        view.model,
        view.sizeGb,
        this.fleet.planOptions(),
      );
      if (plan.action === 'none') break;
      if (plan.action === 'load' || plan.action === 'partial_offload') {
        if (policy.evict === false && plan.evict.length > 0) {
          throw new RmmError(
            'RMM_NO_MODEL_AVAILABLE',
            `${view.model} no longer fits without evicting; not loading it`,
          );
        }
        const pinned = new Set(this.fleet.pinned());
        if (policy.displaceWarmSet === false && plan.evict.some((m) => pinned.has(`${view.host}/${m}`))) {
          throw new RmmError(
            'RMM_NO_MODEL_AVAILABLE',
            `${view.model} would displace the warm set; not loading it (${why})`,
          );
        }
      }
      if (plan.action === 'refuse') {
        throw new RmmError(
          'RMM_NO_MODEL_AVAILABLE',
          `cannot load ${view.model} on ${view.host}: ${plan.reason}`,
        );
      }
      if (plan.action === 'wait') {
        if (this.clock.now() >= deadline) {
          throw new RmmError(
            'RMM_NO_MODEL_AVAILABLE',
            `cannot load ${view.model}: ${plan.reason} for too long`,
          );
        }
        await this.fleet.nextChange(250);
        continue;
      }
      for (const victim of plan.evict) {
        await this.unload(`${view.host}/${victim}`, `make room for ${view.model} (${why})`, requestId);
        evicted.push(victim);
      }
      if (plan.action === 'partial_offload') {
        this.decisions.record(
          'load',
          `${view.model} is larger than ${view.host}'s free VRAM: it will run partially offloaded (slower)`,
          { model: view.model },
          requestId,
        );
      }
      break;
    }
    this.fleet.send(id, { type: 'LOAD_REQUESTED' }, requestId);
    this.sent.add(id);
    return evicted;
  }

  /**
   * Reloads warm-set models that are not in memory when they fit without evicting anything: a model that
   * could not fit beside the warm set displaced it, and it comes back as soon as there is room.
   */
  restoreWarmSet(): void {
    for (const id of this.fleet.pinned()) {
      const view = this.fleet.view(id);
      if (
        !view ||
        view.resident ||
        view.state === 'loading' ||
        !view.acceptsTraffic ||
        this.inProgress.has(id)
      )
        continue;
      const plan = planLoad(this.fleet.ledger(view.host), view.model, view.sizeGb, this.fleet.planOptions());
      if (plan.action === 'load' && plan.evict.length === 0) {
        this.ensureLoaded(id, 'warm set back after being displaced', undefined, { evict: false }).catch(
          () => {},
        );
      }
    }
  }

  /** Unloads through keep_alive 0; the ledger forgets the model only once Ollama has answered. */
  async unload(id: string, reason: string, requestId?: string): Promise<void> {
    const view = this.fleet.view(id);
    if (!view) return;
    this.fleet.send(id, { type: 'UNLOAD_REQUESTED' }, requestId);
    this.decisions.record(
      'eviction',
      `evicting ${view.model} from ${view.host}: ${reason}`,
      { model: view.model, host: view.host },
      requestId,
    );
    try {
      // Ollama answers an unload at once; a host that hangs must not leave the model `unloading` forever.
      const timeoutMs = Math.max(1, this.config.health.probe_timeout_s * 1000);
      await this.backends.get(view.host)!.unload(view.model, AbortSignal.timeout(timeoutMs));
    } finally {
      // Even if the host did not answer, a restarted or unreachable Ollama holds nothing; reconciliation
      // corrects us if the model is in fact still there.
      this.fleet.send(id, { type: 'UNLOADED' }, requestId);
      this.observer?.eviction(view.model, view.host, reason);
    }
  }

  /** Runs `task` after every earlier task for the same host. */
  private serialised<T>(host: string, task: () => Promise<T>): Promise<T> {
    const previous = this.hostQueue.get(host) ?? Promise.resolve();
    const next = previous.then(task, task);
    this.hostQueue.set(
      host,
      next.catch(() => {}),
    );
    return next;
  }
}

function keepAlive(config: Readonly<Config>): string | number {
  const k = config.load.keep_alive;
  return /^-?\d+(\.\d+)?$/.test(k) ? Number(k) : k;
}
