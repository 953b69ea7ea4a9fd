import type { Config, Urgency } from '../config/schema.ts';

/**
 * Deadlines and the expected time for one candidate (a model on a host) to answer a request.
 * Everything here is arithmetic over plain values the runtime copies out of the model actors' snapshots;
 * time is always passed in.
 */

/**
 * The model actor's lifecycle states. Defined here, with the policy that reads them, so policy needs nothing
 * from machines/ (machines/ builds on policy: the supervisor's transitions call its planners); the model
 * machine's `ModelStateValue` is this type.
 */
export type CandidateStatus =
  | 'unloaded'
  | 'loading'
  | 'loaded'
  | 'degraded'
  | 'open'
  | 'halfOpen'
  | 'missing'
  | 'unloading';

/** One model on one host, as selection sees it. Times are epoch milliseconds, durations milliseconds. */
export interface CandidateState {
  /** Stable id of the model actor, e.g. `local/llama3.2:3b`. */
  id: string;
  model: string;
  host: string;
  state: CandidateStatus;
  /** takesTraffic() as of the view's last refresh; selection asks takesTraffic() with its own clock. */
  acceptsTraffic: boolean;
  /** Trial calls left while half-open (0 otherwise). */
  trialsLeft?: number;
  /** False while the host's breaker says it is down: its models are skipped without blame. Default true. */
  hostUp?: boolean;
  /** Loading it now needs the warm set's room: allowed for background and batch work, not interactive. */
  fitsIfWarmYields?: boolean;
  inFlight: number;
  /** Requests the host serves at once on one loaded model (Ollama's num_parallel). */
  parallelSlots: number;
  /** EWMA of the time a loaded model took to answer (no load included); null before any measurement. */
  latencyEwmaMs: number | null;
  /** Tokens its real answers generated, and the wall time of each (EWMAs); null or absent until measured. */
  answerTokens?: number | null;
  tokenMs?: number | null;
  /** Measured load time when there is one, else the configured one. */
  loadMs: number;
  /** When the load in progress started; null when none is. */
  loadingStartedAt: number | null;
  /** Generation rate fully on GPU (configured). */
  tokensPerS: number;
  sizeGb: number;
  /** The host's VRAM budget. */
  hostVramGb: number;
  /** The host's place in the config's host list (0 first): among hosts, the first takes traffic first. */
  hostRank?: number;
  /** Ollama's capability words for this model (from /api/show, else the config); undefined when unknown. */
  capabilities?: readonly string[];
  /** The context it loads with at most (tokens); undefined when unknown. */
  contextLength?: number;
  /** The model can be loaded now without evicting a busy or pinned model. */
  fitsNow: boolean;
  /** When an open circuit lets a trial through; null when not open. */
  openUntil: number | null;
  /** Whether the model is in memory now. Default: derived from `state` (loaded, degraded, halfOpen). */
  resident?: boolean;
  /** Runs (or would run) partially offloaded to system RAM. Default: sizeGb > hostVramGb. */
  offloaded?: boolean;
}

/**
 * The one definition of "takes traffic": whether a request may be sent to a model in `state` now. Missing
 * and unloading models never; an open circuit once its open time is over (that request is its half-open
 * trial); a half-open one while a trial call is left; every other state yes. It says nothing about cost:
 * an unloaded model takes traffic at the price of a load.
 */
export function takesTraffic(
  state: CandidateStatus,
  openUntil: number | null,
  trialsLeft: number,
  now: number,
): boolean {
  switch (state) {
    case 'missing':
    case 'unloading':
      return false;
    case 'open':
      return openUntil !== null && now >= openUntil;
    case 'halfOpen':
      return trialsLeft > 0;
    default:
      return true;
  }
}

/** The answer deadline for an urgency, in milliseconds (batch is quality first: a generous deadline). */
export function deadlineMs(urgency: Urgency, config: Pick<Config, 'deadlines'>): number {
  const d = config.deadlines;
  const s =
    urgency === 'interactive' ? d.interactive_s : urgency === 'background' ? d.background_s : d.batch_s;
  return s * 1000;
}

/**
 * The one definition of "resident": the supervisor's ledger holds the model as loaded on its host (the
 * runtime copies that into `resident`). Stand-ins without a ledger (tests) fall back to the lifecycle state.
 */
export function isResident(c: CandidateState): boolean {
  if (c.resident !== undefined) return c.resident;
  return c.state === 'loaded' || c.state === 'degraded' || c.state === 'halfOpen';
}

export function isLoading(c: CandidateState): boolean {
  return c.state === 'loading' || (c.loadingStartedAt !== null && !isResident(c));
}

export function isOffloaded(c: CandidateState): boolean {
  return c.offloaded ?? c.sizeGb > c.hostVramGb;
}

/** 0 when in memory; what is left of a load in progress; else a whole load (evicting is free). */
export function timeToLoadedMs(c: CandidateState, now: number): number {
  if (isResident(c)) return 0;
  if (isLoading(c) && c.loadingStartedAt !== null) return Math.max(0, c.loadingStartedAt + c.loadMs - now);
  return c.loadMs;
}

/**
 * Time to generate the answer once the model is loaded and a slot is free. `outputCap` is the request's own
 * limit on generated tokens (num_predict, max_tokens), when it sets one.
 */
export function generationMs(
  c: CandidateState,
  expectedOutputTokens: number,
  offloadSlowdown: number,
  outputCap?: number,
): number {
  // A measured latency already contains whatever offloading the host does.
  if (c.latencyEwmaMs !== null) return c.latencyEwmaMs - tokensCutMs(c, outputCap);
  // Unmeasured, the cap is the best guess of the answer's length (a request asking for 500 may get 500).
  const ms = ((outputCap ?? expectedOutputTokens) / c.tokensPerS) * 1000;
  return isOffloaded(c) ? ms * offloadSlowdown : ms;
}

/**
 * What a cap below the usual answer saves: the tokens it stops, at the measured time of each. The prompt's
 * share of the measured latency stays (a capped request still reads its whole prompt).
 */
function tokensCutMs(c: CandidateState, outputCap: number | undefined): number {
  const usual = c.answerTokens ?? null;
  const each = c.tokenMs ?? null;
  if (outputCap === undefined || usual === null || each === null || outputCap >= usual) return 0;
  return Math.min((usual - Math.max(0, outputCap)) * each, c.latencyEwmaMs ?? 0);
}

/**
 * Wait for a free slot: none while a slot is idle, else one service time per full wave of requests ahead
 * (conservative: the request in service is assumed to have just started). `ahead` is the requests served
 * before this one: by default all in flight; fewer when some wait with later deadlines.
 */
export function queueWaitMs(c: CandidateState, serviceMs: number, ahead = c.inFlight): number {
  const slots = slotsOf(c);
  if (ahead < slots) return 0;
  return (Math.floor((ahead - slots) / slots) + 1) * serviceMs;
}

/** Requests the candidate answers at once (a host that reports none still answers one). */
export function slotsOf(c: CandidateState): number {
  return c.parallelSlots > 0 ? c.parallelSlots : 1;
}

/** Expected time from now until the candidate has answered: load + queue + generation. */
export function expectedMs(
  c: CandidateState,
  now: number,
  expectedOutputTokens: number,
  offloadSlowdown: number,
  outputCap?: number,
): number {
  const gen = generationMs(c, expectedOutputTokens, offloadSlowdown, outputCap);
  return timeToLoadedMs(c, now) + queueWaitMs(c, gen) + gen;
}
