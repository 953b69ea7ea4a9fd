import type { ActorRefFrom } from 'xstate';
import type { Urgency } from '../../src/config/schema.ts';
import type { EvictionPolicyName, PlanInputs, WantMode } from '../../src/policy/planner.ts';
import type { LoadPlan } from '../../src/policy/vram-ledger.ts';
import type { FailureFields, ModelInput } from '../model/types.ts';
import type { modelMachine } from '../model.machine.ts';

/**
 * The supervisor's public shapes. Plain JSON throughout: the context is persisted, events are journaled,
 * emitted decisions are journaled and replayed. Times are epoch ms carried by events; nothing here reads a
 * clock.
 */

export type ModelRef = ActorRefFrom<typeof modelMachine>;

/** Someone else's model in a host's /api/ps: it takes room and is never evicted by us. */
export interface ForeignModel {
  name: string;
  sizeVramGb: number;
}

/** A model as a host describes it (/api/tags, /api/show): discovery's output. */
export interface DiscoveredModel {
  name: string;
  /** Size of the weights on disk (/api/tags `size`). */
  sizeBytes: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  /** Ollama's words: completion, tools, thinking, insert, vision, embedding. */
  capabilities?: string[];
  contextLength?: number;
  /** KV cache bytes per token of context, from /api/show model_info (layers × kv width × 2 × f16). */
  kvBytesPerToken?: number;
}

/**
 * A host's health, apart from its models' health (a host breaker). `down` when it refuses or resets
 * connections, or does not answer its own probe (GET /api/version); while down its models are skipped
 * without blame, and they serve again as soon as it answers.
 */
export interface HostHealth {
  status: 'unknown' | 'up' | 'down';
  /** When the current status began. */
  since: number | null;
  /** Why it went down (a stable reason code), or why it last failed. */
  reason: string | null;
  /** Times it went down since the service started (or the state was restored). */
  outages: number;
  /** The Ollama version it reported, when it did. */
  version: string | null;
}

/** What one of our models occupies on a host, as far as the supervisor has decided or learned. */
export interface LedgerSlot {
  /** loading: its load was sent to Ollama; unloading: its unload was sent; loaded: resident. */
  status: 'loading' | 'loaded' | 'unloading';
  /** GPU memory it takes: planned while loading, reported by /api/ps once loaded. */
  vramGb: number;
  /** Its whole size (GPU + system RAM when partially offloaded). */
  sizeGb: number;
  /** When it entered this status. */
  since: number;
}

export interface HostState {
  name: string;
  url: string;
  budgetGb: number;
  maxLoadedModels: number;
  numParallel: number;
  health: HostHealth;
  lastReconciledAt: number | null;
  foreign: ForeignModel[];
  /** model name → slot. The only ledger: nothing outside the supervisor keeps a copy. */
  ledger: Record<string, LedgerSlot>;
  /** model name → what the host says of it (discovery). */
  catalog: Record<string, DiscoveredModel>;
  /**
   * Who plans loads for this host. `local` (always, with one replica): this supervisor. `peer`: another
   * replica holds the host's planner lease; wants are forwarded to it and its ledger is mirrored here.
   */
  planner: 'local' | 'peer';
  /**
   * Requests other replicas have in flight here, by replica then model (told to the host's planner, so it
   * does not pick a model another replica is using as an eviction victim). Absent with one replica.
   */
  peerBusy?: Record<string, Record<string, number>>;
}

export type { EvictionPolicyName, PlanInputs, WantMode };

/** A load wanted but not yet possible (busy models in the way), kept until it fits or expires. */
export interface Want {
  id: string;
  mode: WantMode;
  urgency: Urgency;
  requestId?: string;
  /** An explicit preload that may take the warm set's room. */
  force?: boolean;
  /** Interactive traffic was recent when this was wanted (see LOAD_WANTED). */
  interactiveBusy?: boolean;
  at: number;
  /** Dropped after this (the request gave up, or a load timeout's worth of waiting). */
  until: number;
}

export interface SupervisorInput {
  hosts: Array<Omit<HostState, 'health' | 'ledger' | 'catalog' | 'foreign' | 'lastReconciledAt' | 'planner'>>;
  models: ModelInput[];
  /** Model actor ids never evicted by our own plans (the warm set on each host). */
  pinned: string[];
  /** Eviction order among idle models: 'value' (ours), 'lru' or 'ollama'. */
  evictionPolicy: EvictionPolicyName;
  /** A load sent this long ago and never answered is given up (ms). */
  loadTimeoutMs: number;
  /** Circuit settings and timings for actors spawned later (discovered models). */
  modelDefaults: Pick<ModelInput, 'circuit' | 'loadTimeoutMs' | 'demandHalfLifeMs'>;
  now: number;
}

export interface SupervisorContext {
  now: number;
  hosts: Record<string, HostState>;
  pinned: string[];
  /** model actor id → ref; ids are `${host}/${model}` and double as system ids. */
  models: Record<string, ModelRef>;
  wants: Want[];
  evictionPolicy: EvictionPolicyName;
  loadTimeoutMs: number;
  modelDefaults: SupervisorInput['modelDefaults'];
  /** Sequence number of the last decision emitted (decisions are numbered for replay and `rmm why`). */
  decisionSeq: number;
}

export interface PsModel {
  name: string;
  /** Whole size (GPU + RAM). */
  sizeGb?: number;
  sizeVramGb: number;
  expiresAt?: number;
}

type At = { now: number };

export type SupervisorEvent =
  | ({
      type: 'LOAD_WANTED';
      id: string;
      mode: WantMode;
      urgency?: Urgency;
      requestId?: string;
      force?: boolean;
      /** Give up waiting for room after this; default now + load timeout. */
      until?: number;
      /**
       * Interactive traffic was seen within `selection.giant_quiet_s` when the want was made: background and
       * batch work may not push the warm set out then (the runtime knows it; the machine stays pure).
       */
      interactiveBusy?: boolean;
    } & At)
  | ({ type: 'WANT_DROPPED'; id: string; requestId?: string } & At)
  | ({
      type: 'LOAD_SUCCEEDED';
      id: string;
      durationMs: number;
      /** What /api/ps reported right after the load, when it was asked. */
      sizeGb?: number;
      sizeVramGb?: number;
    } & At)
  | ({ type: 'LOAD_FAILED'; id: string } & FailureFields & At)
  | ({ type: 'UNLOADED'; id: string } & At)
  | ({
      type: 'HOST_RECONCILED';
      host: string;
      /** When /api/ps was asked; answers about loads that finished after this are stale. */
      sampledAt: number;
      models: PsModel[];
      /** What /api/version said in the same round. */
      version?: string;
    } & At)
  | ({ type: 'HOST_CATALOG'; host: string; models: DiscoveredModel[] } & At)
  | ({ type: 'HOST_DOWN'; host: string; reason: string } & At)
  | ({ type: 'HOST_UP'; host: string; version?: string } & At)
  /** A busy model on the host went idle: wants waiting for room may fit now. */
  | ({ type: 'ROOM_CHANGED'; host: string } & At)
  /** Periodic: bring back warm-set models that are not loaded, drop expired wants. */
  | ({ type: 'TICK' } & At)
  /** Sent once after restoring from a snapshot: loads, unloads and requests in flight died with the process. */
  | ({ type: 'RESTORED' } & At)
  /** This replica took (local) or lost (peer) the host's planner lease. */
  | ({ type: 'PLANNER_CHANGED'; host: string; planner: 'local' | 'peer' } & At)
  /** The ledger the host's planner (another replica) published: mirrored as is. */
  | ({ type: 'LEDGER_SYNC'; host: string; ledger: Record<string, LedgerSlot>; foreign: ForeignModel[] } & At)
  /** What another replica has in flight on the host, by model (its latest word replaces its earlier one). */
  | ({ type: 'PEER_BUSY'; host: string; replica: string; busy: Record<string, number> } & At);

/** Commands to the loader actor, which does the I/O and answers with events. */
export type LoaderCommand =
  | {
      type: 'LOAD';
      id: string;
      model: string;
      host: string;
      /** Unloaded (and answered) before the load is sent, so Ollama never has to evict on its own. */
      evict: string[];
      /** Decision that asked for it. */
      decision: number;
    }
  | { type: 'UNLOAD'; id: string; model: string; host: string; decision: number };

interface DecisionBase {
  seq: number;
  at: number;
  host: string;
  /** The model the decision is about (the one loaded, evicted, refused...). */
  model: string;
  request_id?: string;
  reason: string;
}

/** Every load, eviction, wait, refusal and host change the supervisor decides, emitted as it decides it. */
export type PlanDecision =
  | (DecisionBase & {
      kind: 'load' | 'wait' | 'refuse';
      mode: WantMode;
      urgency: Urgency;
      plan: LoadPlan;
      inputs: PlanInputs;
    })
  | (DecisionBase & {
      kind: 'eviction';
      /** The model it made room for, and the load decision that evicted it. */
      for_model: string;
      for_decision: number;
      mode: WantMode;
      urgency: Urgency;
    })
  | (DecisionBase & { kind: 'loaded'; duration_ms: number; vram_gb: number })
  | (DecisionBase & { kind: 'load_failed'; error_class: string })
  | (DecisionBase & { kind: 'want_expired' | 'unloaded' | 'vanished' })
  | (DecisionBase & { kind: 'host_down' | 'host_up' })
  | (DecisionBase & { kind: 'forwarded'; mode: WantMode; urgency: Urgency; force?: boolean; until: number });

export type PlanDecisionKind = PlanDecision['kind'];

/** What the supervisor emits (XState `emit`): decisions, for the journal, the decision log and waiters. */
export type SupervisorEmitted = { type: 'decision'; decision: PlanDecision };
