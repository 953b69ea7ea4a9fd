import type { ErrorClass } from '../../src/policy/errors.ts';
import type { CandidateStatus } from '../../src/policy/estimate.ts';

/**
 * The model actor's public shapes. Everything here is plain JSON: the context is persisted as is, and
 * events are journaled as is. Times are epoch milliseconds from the runtime's clock, carried by events.
 */

/** The `circuit` section of the config, in milliseconds (see circuitConfigFrom). */
export interface CircuitSettings {
  /** Consecutive counted failures that open the circuit (seed: 5). */
  failureThreshold: number;
  /** Open time on the first opening (seed: 60 s). */
  recoveryTimeoutMs: number;
  /** Cap on the open time as it grows with repeated openings. */
  recoveryTimeoutMaxMs: number;
  /** Growth of the open time per opening without a healthy stretch in between. */
  recoveryMultiplier: number;
  /** Trial requests let through at once while half-open. */
  halfOpenMaxCalls: number;
  /** Outcomes kept in the count-based sliding window. */
  windowSize: number;
  /** Calls the window must hold before rates mean anything. */
  minimumCalls: number;
  /** Failure rate (0..1] over the window that opens the circuit. */
  failureRateThreshold: number;
  /** A call at least this slow counts as slow. */
  slowCallMs: number;
  /** Slow-call rate (0..1] over the window that makes the model `degraded`. */
  slowCallRateThreshold: number;
}

export interface ModelInput {
  /** `${host}/${model}` */
  id: string;
  model: string;
  host: string;
  sizeGb: number;
  /** Load time estimate from config until a load is measured. */
  loadTimeMs: number;
  circuit: CircuitSettings;
  loadTimeoutMs: number;
  /** Half-life of the decayed request count (`demand`) eviction reads. */
  demandHalfLifeMs: number;
  now: number;
}

/**
 * Count-based sliding window as a fixed ring (Resilience4j's COUNT_BASED window): O(1) per outcome,
 * running totals kept beside the slots so rates never need a scan.
 */
export interface OutcomeWindow {
  /** Outcome codes, see OUTCOME in window.ts; 0 = empty slot. Length = windowSize. */
  slots: number[];
  /** Index of the slot the next outcome overwrites. */
  next: number;
  calls: number;
  failures: number;
  slow: number;
}

export interface FailureNote {
  errorClass: ErrorClass;
  reason: string;
  at: number;
}

export interface ModelContext {
  id: string;
  model: string;
  host: string;
  sizeGb: number;
  circuit: CircuitSettings;
  loadTimeoutMs: number;

  demandHalfLifeMs: number;

  /** Time of the last event that changed anything (never goes backwards). */
  now: number;
  /** Requests on the model now (waiting for it or being answered). */
  inFlight: number;
  /** Probes running on it. Like requests they take a slot and keep the model from eviction. */
  probing: number;
  lastUsed: number | null;
  /** Requests started here, decayed with `demandHalfLifeMs`, as of `demandAt`: what eviction calls demand. */
  demand: number;
  demandAt: number | null;

  consecutiveFailures: number;
  window: OutcomeWindow;
  lastFailure: FailureNote | null;

  latencyEwmaMs: number | null;
  /** The last health probe's latency: kept apart, a one-token probe says nothing of an answer's time. */
  probeLatencyMs?: number | null;
  /**
   * Tokens a real answer generated, and the wall time each took (EWMAs): with them a request that caps its
   * output below the usual answer is estimated for the tokens it can get, not for the usual answer.
   * Optional: snapshots written before they existed restore without them.
   */
  answerTokens?: number | null;
  tokenMs?: number | null;
  /** Ring of the most recent latencies (at most LATENCY_RESERVOIR), for p95. */
  latencies: number[];
  latencyNext: number;

  /** Best load time estimate: the config's until measured, then an EWMA of measured loads. */
  loadTimeMs: number;
  measuredLoadMs: number | null;
  loadSamples: number;
  /** What the model takes once loaded (GB, /api/ps `size`), measured on this host; null until seen. */
  measuredSizeGb: number | null;
  sizeSamples: number;
  /** Generation rate measured from Ollama's eval_count / eval_duration (EWMA); null until seen. */
  tokensPerS: number | null;
  tokenSamples: number;
  /** Other replicas' measurements of this model on this host (their latest totals, by replica id). */
  peers: Record<string, PeerEstimates>;
  loadStartedAt: number | null;
  loadDeadline: number | null;
  /** When we last learned the model is resident (stale /api/ps samples older than this are ignored). */
  loadedAt: number | null;
  /** Ollama holds the model in memory, as far as we know (matters in open/halfOpen for the VRAM ledger). */
  resident: boolean;
  sizeVramGb: number | null;
  expiresAt: number | null;

  openUntil: number | null;
  openedAt: number | null;
  openReason: string | null;
  timesOpened: number;
  /** Openings without a healthy stretch in between; drives the growing open time. */
  openStreak: number;
  closedAt: number | null;
  trialsLeft: number;
  trialsInFlight: number;

  degradedUntil: number | null;
}

type At = { now: number };

/** What a failure event carries: the fields of classifyError's answer (see failureFrom). */
export interface FailureFields {
  errorClass: ErrorClass;
  reason: string;
  /** Default: derived from errorClass and reason by the taxonomy. */
  countsAgainstCircuit?: boolean;
  /** A 404 model-not-found: go to `missing`. */
  missing?: boolean;
  latencyMs?: number;
}

export type ModelEvent =
  | ({ type: 'LOAD_REQUESTED' } & At)
  | ({ type: 'LOAD_SUCCEEDED'; durationMs: number; sizeVramGb?: number; sizeGb?: number } & At)
  | ({ type: 'LOAD_FAILED' } & FailureFields & At)
  | ({ type: 'UNLOAD_REQUESTED' } & At)
  | ({ type: 'UNLOADED' } & At)
  | ({ type: 'REQUEST_STARTED' } & At)
  | ({
      type: 'REQUEST_SUCCEEDED';
      latencyMs: number;
      /** Tokens generated and the time Ollama spent on them, when it said (eval_count, eval_duration). */
      evalCount?: number;
      evalMs?: number;
      /** Ollama's prompt and generation time (no queueing, no load), when it said. */
      serviceMs?: number;
      /** The wall time of one generated token (the call's generation share ÷ eval_count), when it said. */
      tokenMs?: number;
    } & At)
  | ({ type: 'REQUEST_FAILED' } & FailureFields & At)
  | ({ type: 'REQUEST_CANCELLED' } & At)
  /** A probe takes a slot like a request: the model is busy (never evicted) until its outcome arrives. */
  | ({ type: 'PROBE_STARTED' } & At)
  | ({ type: 'PROBE_SUCCEEDED'; latencyMs: number } & At)
  | ({ type: 'PROBE_FAILED' } & FailureFields & At)
  | ({
      type: 'RECONCILED';
      loaded: boolean;
      sizeVramGb?: number;
      expiresAt?: number;
      /** When the /api/ps request was sent; default `now`. Samples older than our last load are stale. */
      sampledAt?: number;
      /** Whole size /api/ps reports (GPU + RAM), a measurement of what the model needs. */
      sizeGb?: number;
    } & At)
  | ({ type: 'MODEL_MISSING' } & At)
  | ({ type: 'MODEL_FOUND' } & At)
  | ({ type: 'DEADLINE_REACHED'; at: number } & At)
  /** Sent once after restoring from a snapshot: nothing that was in flight survived the restart. */
  | ({ type: 'RESTORED' } & At)
  /** Another replica opened or closed this model's circuit (shared state, issue 17). */
  | ({ type: 'PEER_CIRCUIT'; state: 'open' | 'closed'; openUntil?: number; reason?: string } & At)
  /** Another replica's learned estimates for this model on this host, merged by sample count. */
  | ({ type: 'PEER_ESTIMATES'; replica: string } & PeerEstimates & At);

export interface PeerEstimates {
  measuredSizeGb: number | null;
  sizeSamples: number;
  measuredLoadMs: number | null;
  loadSamples: number;
  tokensPerS: number | null;
  tokenSamples: number;
}

export type ModelEventType = ModelEvent['type'];
export type ModelEventOf<T extends ModelEventType> = Extract<ModelEvent, { type: T }>;
export type FailureEvent = ModelEventOf<'REQUEST_FAILED' | 'LOAD_FAILED' | 'PROBE_FAILED'>;

/** The machine's top-level states: one definition, kept with the policy that reads them. */
export type ModelStateValue = CandidateStatus;

/** Input of the deadline timer actor: fire DEADLINE_REACHED once the clock reaches `at`. */
export interface DeadlineTimerInput {
  at: number;
  /** The model actor's id, so the runtime can journal the deadline it delivers. */
  actor?: string;
}
