import type { SnapshotFrom } from 'xstate';
import { takesTraffic } from '../../src/policy/estimate.ts';
import type { ModelMachine } from '../model.machine.ts';
import { p95 } from './latency.ts';
import type { ModelContext, ModelStateValue } from './types.ts';

/**
 * Read-only views of a model actor's snapshot for the supervisor's pure selection code and for status.
 * They take the snapshot (not the actor) so selection stays a function of data.
 */
export type ModelSnapshot = SnapshotFrom<ModelMachine>;

/** What canAcceptRequest and modelView need; an actor snapshot has it, and so does a plain stand-in. */
export interface ModelStateLike {
  value: unknown;
  context: ModelContext;
}

export function stateOf(s: ModelStateLike): ModelStateValue {
  return s.value as ModelStateValue;
}

/**
 * Whether the circuit lets a request through now: false when missing, open (until its open time is
 * over by `now`, if given: the next REQUEST_STARTED then moves it to halfOpen as a trial), or halfOpen
 * with every trial taken. Says nothing about cost: an unloaded model accepts, at the price of a load.
 */
export function canAcceptRequest(s: ModelStateLike, now?: number): boolean {
  const c = s.context;
  return takesTraffic(stateOf(s), c.openUntil, c.trialsLeft, now ?? Number.NEGATIVE_INFINITY);
}

export interface ModelView {
  id: string;
  model: string;
  host: string;
  state: ModelStateValue;
  acceptsRequests: boolean;
  inFlight: number;
  latencyEwmaMs: number | null;
  latencyP95Ms: number | null;
  loadTimeMs: number;
  measuredLoadMs: number | null;
  loadStartedAt: number | null;
  loadDeadline: number | null;
  openUntil: number | null;
  openReason: string | null;
  trialsLeft: number;
  consecutiveFailures: number;
  failureRate: number;
  slowRate: number;
  windowCalls: number;
  timesOpened: number;
  lastUsed: number | null;
  lastFailure: ModelContext['lastFailure'];
  sizeGb: number;
}

/** Everything selection and status read, in one plain object (p95 computed here, off the hot path). */
export function modelView(s: ModelStateLike, now?: number): ModelView {
  const c = s.context;
  const w = c.window;
  return {
    id: c.id,
    model: c.model,
    host: c.host,
    state: stateOf(s),
    acceptsRequests: canAcceptRequest(s, now),
    inFlight: c.inFlight,
    latencyEwmaMs: c.latencyEwmaMs,
    latencyP95Ms: p95(c.latencies),
    loadTimeMs: c.loadTimeMs,
    measuredLoadMs: c.measuredLoadMs,
    loadStartedAt: c.loadStartedAt,
    loadDeadline: c.loadDeadline,
    openUntil: c.openUntil,
    openReason: c.openReason,
    trialsLeft: c.trialsLeft,
    consecutiveFailures: c.consecutiveFailures,
    failureRate: w.calls === 0 ? 0 : w.failures / w.calls,
    slowRate: w.calls === 0 ? 0 : w.slow / w.calls,
    windowCalls: w.calls,
    timesOpened: c.timesOpened,
    lastUsed: c.lastUsed,
    lastFailure: c.lastFailure,
    sizeGb: c.sizeGb,
  };
}

/** Time left until a loading model is expected to be ready (0 when loaded), by its load estimate. */
export function expectedReadyInMs(s: ModelStateLike, now: number): number {
  const c = s.context;
  switch (stateOf(s)) {
    case 'loaded':
    case 'degraded':
      return 0;
    case 'loading':
      return Math.max(0, (c.loadStartedAt ?? now) + c.loadTimeMs - now);
    default:
      return c.loadTimeMs;
  }
}
