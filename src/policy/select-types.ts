import type { ChainEntry, TaskType, Urgency } from '../config/schema.ts';
import type { Capability } from './capabilities.ts';
import type { CandidateState } from './estimate.ts';

/** What selection takes and gives (src/policy/select.ts), and the scan state its helpers share. */

export interface SelectionInput {
  taskType: TaskType;
  urgency: Urgency;
  deadlineMs: number;
  now: number;
  /** A concrete model the caller asked for: tried first, then `chain`. */
  namedModel?: string | undefined;
  /** Try the named model first even when it cannot answer by the deadline (Ollama drop-in semantics). */
  waitForNamedModel?: boolean;
  chain: ReadonlyArray<ChainEntry>;
  /** One per model × host. */
  candidates: ReadonlyArray<CandidateState>;
  outOfChainFallback: boolean;
  /** Ranks out-of-chain models (normally the `general` chain); a model not in it has quality 0. */
  fallbackChain?: ReadonlyArray<ChainEntry>;
  /** Tokens an answer is guessed to generate before any is measured. */
  expectedOutputTokens: number;
  /** The request's own limit on generated tokens, when it sets one (see estimate.ts generationMs). */
  outputCap?: number | undefined;
  partialOffloadSlowdown: number;
  /** Quality a loaded model is worth over a cold one; default by urgency (LOADED_BONUS). */
  loadedBonus?: number;
  /** What the request needs of a model (tools, thinking, vision...); default: completion. */
  required?: readonly Capability[];
  /** Estimated prompt tokens: a model whose context is smaller is skipped (Ollama would truncate). */
  promptTokens?: number;
  /**
   * Weighs a load for the requests that follow before the plan promises it: why not to load the model of
   * actor `id` (it is worth less than what it would evict), or undefined to load it. Default: load it.
   */
  weighBackground?: (id: string) => string | undefined;
  /**
   * Of the requests counted in flight on actor `id`, those this one would be served before: they wait in
   * its queue with later deadlines (the queue is earliest deadline first). Default: none.
   */
  queuedBehind?: (id: string) => number;
}

export interface PlannedAttempt {
  id: string;
  model: string;
  host: string;
  quality: number;
  expectedMs: number;
  /** Not in memory yet (unloaded or still loading): the journey must ensure it is loaded first. */
  needsLoad: boolean;
  outOfChain: boolean;
  /** The model the caller named. */
  named: boolean;
  /** Its host's place in the config's host list (0 first): the priority among hosts. */
  hostRank: number;
}

export type SkipReason =
  | 'no_capability'
  | 'context_too_small'
  | 'host_down'
  | 'circuit_open'
  | 'half_open_busy'
  | 'missing'
  | 'unloading'
  | 'unavailable'
  | 'too_slow'
  | 'no_slot'
  | 'no_vram';

export interface SkippedCandidate {
  /** Null when the model is on no host at all. */
  id: string | null;
  model: string;
  host: string;
  quality: number;
  reason: SkipReason;
  detail: string;
}

/** A candidate that would answer, but after the deadline: an attempt's figures, without its place in the plan. */
export type LateCandidate = Pick<
  PlannedAttempt,
  'id' | 'model' | 'host' | 'quality' | 'expectedMs' | 'needsLoad' | 'hostRank'
>;

export interface BackgroundLoad {
  id: string;
  model: string;
  host: string;
}

export interface SelectionPlan {
  attempts: PlannedAttempt[];
  skipped: SkippedCandidate[];
  /** At most one: the best model that missed the deadline only because it is not loaded. */
  loadInBackground: BackgroundLoad[];
  /** The load for the requests that follow that `weighBackground` declined, and why. */
  backgroundDeclined?: BackgroundLoad & { why: string };
  /** Would answer, but after the deadline; soonest first. */
  late: LateCandidate[];
  reason: string;
}

/** One selection's working state, shared by select.ts and its explanation. */
export interface Scan {
  input: SelectionInput;
  deadline: string;
  multiHost: boolean;
  attempts: PlannedAttempt[];
  skipped: SkippedCandidate[];
  late: LateCandidate[];
  bg: CandidateState | null;
  bgQuality: number;
  bgExpected: number;
  bgNamed: boolean;
}
