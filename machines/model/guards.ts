import { isDegradedBy, tripReason } from './circuit.ts';
import { counts, failureOf } from './failure.ts';
import type { ModelContext, ModelEvent } from './types.ts';
import { afterFailure, staleSample } from './updates.ts';
import { outcomeCode, totalsAfter } from './window.ts';

/**
 * Guard predicates, named in the machine so its diagram reads as rules. They see the context before the
 * event's actions apply, so outcome guards ask what the window *would* say after this outcome.
 */
type G = (c: ModelContext, e: ModelEvent) => boolean;

const latencyOf = (e: ModelEvent): number | undefined =>
  e.type === 'REQUEST_SUCCEEDED' || e.type === 'PROBE_SUCCEEDED' ? e.latencyMs : undefined;

export const isMissingFailure: G = (_c, e) => failureOf(e)?.missing === true;

export const failureCounts: G = (_c, e) => counts(failureOf(e));

export const isFatalFailure: G = (_c, e) => {
  const f = failureOf(e);
  return f !== undefined && counts(f) && f.errorClass === 'FATAL';
};

/** The failure in `e`, once recorded, opens the circuit. */
export const failureTrips: G = (c, e) => {
  const f = failureOf(e);
  if (!f || !counts(f)) return false;
  return tripReason(afterFailure(c, f, e), f) !== null;
};

/** The failure in `e`, once recorded, leaves the model degraded (it opens nothing). */
export const failureDegrades: G = (c, e) => {
  const f = failureOf(e);
  if (!f || !counts(f)) return false;
  const slow = f.latencyMs !== undefined && f.latencyMs >= c.circuit.slowCallMs;
  return isDegradedBy(totalsAfter(c.window, outcomeCode(true, slow)), c.circuit);
};

const degradedAfterSuccess = (c: ModelContext, e: ModelEvent): boolean => {
  const latency = latencyOf(e) ?? 0;
  return isDegradedBy(totalsAfter(c.window, outcomeCode(false, latency >= c.circuit.slowCallMs)), c.circuit);
};

export const successDegrades: G = (c, e) => degradedAfterSuccess(c, e);

export const successRecovers: G = (c, e) => !degradedAfterSuccess(c, e);

/** The open time is over (by the event's clock): the circuit may let a trial through. */
export const recoveryDue: G = (c, e) => c.openUntil !== null && e.now >= c.openUntil;

export const loadDeadlinePassed: G = (c, e) => c.loadDeadline !== null && e.now >= c.loadDeadline;

export const degradedDeadlinePassed: G = (c, e) => c.degradedUntil !== null && e.now >= c.degradedUntil;

export const hasTrialLeft: G = (c) => c.trialsLeft > 0;

/** An outcome in halfOpen is a trial's only while a trial is out; others are late pre-open requests. */
export const trialInFlight: G = (c) => c.trialsInFlight > 0;

export const reportsLoaded: G = (_c, e) => e.type === 'RECONCILED' && e.loaded;

/** /api/ps no longer lists the model, and the sample is newer than our last load. */
export const reportsGone: G = (c, e) => e.type === 'RECONCILED' && !e.loaded && !staleSample(c, e);

/** A peer replica says the circuit is open until a time still ahead. */
export const peerOpens: G = (_c, e) =>
  e.type === 'PEER_CIRCUIT' && e.state === 'open' && (e.openUntil ?? Number.POSITIVE_INFINITY) > e.now;

/** A peer replica's circuit is open until later than ours. */
export const peerOpensLater: G = (c, e) =>
  peerOpens(c, e) &&
  e.type === 'PEER_CIRCUIT' &&
  (e.openUntil ?? Number.POSITIVE_INFINITY) > (c.openUntil ?? 0);

export const peerCloses: G = (_c, e) => e.type === 'PEER_CIRCUIT' && e.state === 'closed';
