import { type OpenReason, recoveryFor, tripReason } from './circuit.ts';
import { counts } from './failure.ts';
import { ewma, LATENCY_EWMA_ALPHA, LOAD_EWMA_ALPHA, pushLatency } from './latency.ts';
import type { FailureFields, ModelContext, ModelEventOf } from './types.ts';
import { emptyWindow, outcomeCode, record } from './window.ts';

/**
 * Pure context updates, one per thing that can happen. Each returns only the fields it changes; the
 * machine wires them to events with `assign`. `now` never goes backwards: a late event keeps the clock.
 */
type Ctx = ModelContext;
type Patch = Partial<ModelContext>;
type Timed = { now: number };

// biome-ignore lint/complexity/useMathMinMax: unlike Math.max, a NaN `now` from a broken clock is ignored.
export const timeOf = (c: Ctx, e: Timed): number => (e.now > c.now ? e.now : c.now);

export const stamp = (c: Ctx, e: Timed): Patch => ({ now: timeOf(c, e) });

/** The decayed request count at `now` (never grows for a `now` before the last update). */
export function demandAt(c: Pick<Ctx, 'demand' | 'demandAt' | 'demandHalfLifeMs'>, now: number): number {
  if (c.demandAt === null || c.demand === 0) return c.demand;
  const dt = now - c.demandAt;
  if (dt <= 0 || !(c.demandHalfLifeMs > 0)) return c.demand;
  return c.demand * 2 ** (-dt / c.demandHalfLifeMs);
}

export function startRequest(c: Ctx, e: Timed): Patch {
  const now = timeOf(c, e);
  return { now, lastUsed: now, inFlight: c.inFlight + 1, demand: demandAt(c, now) + 1, demandAt: now };
}

/** A probe occupies a slot: busy, but neither use nor demand. */
export function startProbe(c: Ctx, e: Timed): Patch {
  return { now: timeOf(c, e), probing: c.probing + 1 };
}

/** Never below zero: an outcome without its start (an old journal, a restart) must not underflow. */
export function endProbe(c: Ctx, e: Timed): Patch {
  return { now: timeOf(c, e), probing: c.probing > 0 ? c.probing - 1 : 0 };
}

/** Never below zero: a late outcome after a restart or a reset must not underflow. */
export function endRequest(c: Ctx, e: Timed): Patch {
  const now = timeOf(c, e);
  return { now, lastUsed: now, inFlight: c.inFlight > 0 ? c.inFlight - 1 : 0 };
}

export function startTrial(c: Ctx, e: Timed): Patch {
  return { ...startRequest(c, e), trialsLeft: c.trialsLeft - 1, trialsInFlight: c.trialsInFlight + 1 };
}

/** A trial that ended without a verdict (cancelled, or the caller's own error) gives its place back. */
export function refundTrial(c: Ctx, e: Timed): Patch {
  return {
    now: timeOf(c, e),
    trialsLeft: Math.min(c.circuit.halfOpenMaxCalls, c.trialsLeft + 1),
    trialsInFlight: Math.max(0, c.trialsInFlight - 1),
  };
}

/** A trial outcome (success or counted failure) settles it; the verdict itself is the caller's job. */
export function settleTrial(c: Ctx): Patch {
  return { trialsInFlight: Math.max(0, c.trialsInFlight - 1) };
}

function resident(c: Ctx, now: number): Patch {
  return c.resident ? {} : { resident: true, loadedAt: now };
}

/**
 * The per-request patches are built as one object, never as spreads of other patches: on Node 20,
 * spreading objects of differing shapes into a literal takes V8's slow path, and a success composed that
 * way cost ~13 µs, a twentieth of a request's CPU in the service, against ~0.1 µs built so.
 */
export function success(c: Ctx, e: Timed & { latencyMs: number }): Patch {
  const now = timeOf(c, e);
  return {
    now,
    consecutiveFailures: 0,
    window: record(c.window, outcomeCode(false, e.latencyMs >= c.circuit.slowCallMs)),
    resident: true,
    loadedAt: c.resident ? c.loadedAt : now,
  };
}

/**
 * A real answer also feeds the latency statistics; a probe does not: it asks for one token, and its tenth
 * of a second dragged the estimate selection reads down to a fraction of a real answer's time (deadlines
 * were then promised that the model could not keep). The estimate is the answer's service time (Ollama's
 * prompt and generation time, without the wait in its queue, which selection adds itself) when known.
 */
export function requestSucceeded(c: Ctx, e: ModelEventOf<'REQUEST_SUCCEEDED'>): Patch {
  const patch = success(c, e);
  const ring = pushLatency(c, e.latencyMs);
  patch.lastUsed = patch.now!;
  patch.inFlight = c.inFlight > 0 ? c.inFlight - 1 : 0;
  patch.latencyEwmaMs = ewma(c.latencyEwmaMs, e.serviceMs ?? e.latencyMs, LATENCY_EWMA_ALPHA);
  patch.latencies = ring.latencies;
  patch.latencyNext = ring.latencyNext;
  const { evalCount, evalMs, tokenMs } = e;
  if (evalCount !== undefined && evalMs !== undefined && evalCount >= 4 && evalMs > 0) {
    patch.tokensPerS = ewma(c.tokensPerS, (evalCount * 1000) / evalMs, LATENCY_EWMA_ALPHA);
    patch.tokenSamples = c.tokenSamples + 1;
  }
  if (evalCount !== undefined && evalCount >= 1 && tokenMs !== undefined) {
    patch.answerTokens = ewma(c.answerTokens ?? null, evalCount, LATENCY_EWMA_ALPHA);
    patch.tokenMs = ewma(c.tokenMs ?? null, tokenMs, LATENCY_EWMA_ALPHA);
  }
  return patch;
}

export function probeSucceeded(c: Ctx, e: ModelEventOf<'PROBE_SUCCEEDED'>): Patch {
  const patch = success(c, e);
  patch.probing = c.probing > 0 ? c.probing - 1 : 0;
  patch.probeLatencyMs = e.latencyMs;
  return patch;
}

/** A whole size /api/ps reported: the best figure of what this model needs on this host. */
function sizeMeasured(c: Ctx, sizeGb: number | undefined): Patch {
  if (sizeGb === undefined || !(sizeGb > 0)) return {};
  if (c.measuredSizeGb !== null && Math.abs(c.measuredSizeGb - sizeGb) < 1e-6) return {};
  return { measuredSizeGb: sizeGb, sizeSamples: c.sizeSamples + 1 };
}

/** Records a failure; one that does not count leaves the circuit's figures alone. */
export function failure(c: Ctx, f: FailureFields, e: Timed): Patch {
  const now = timeOf(c, e);
  const lastFailure = { errorClass: f.errorClass, reason: f.reason, at: now };
  if (!counts(f)) return { now, lastFailure };
  const slow = f.latencyMs !== undefined && f.latencyMs >= c.circuit.slowCallMs;
  return {
    now,
    lastFailure,
    consecutiveFailures: c.consecutiveFailures + 1,
    window: record(c.window, outcomeCode(true, slow)),
  };
}

export function requestFailed(c: Ctx, e: ModelEventOf<'REQUEST_FAILED'>): Patch {
  const patch = failure(c, e, e);
  patch.lastUsed = patch.now!;
  patch.inFlight = c.inFlight > 0 ? c.inFlight - 1 : 0;
  return patch;
}

/** What `c` would be after recording `f` (guards decide on the outcome before actions apply it). */
export function afterFailure(c: Ctx, f: FailureFields, e: Timed): Ctx {
  return { ...c, ...failure(c, f, e) };
}

export function beginLoad(c: Ctx, e: Timed): Patch {
  const now = timeOf(c, e);
  return { now, loadStartedAt: now, loadDeadline: now + c.loadTimeoutMs };
}

export function loadMeasured(c: Ctx, e: ModelEventOf<'LOAD_SUCCEEDED'>): Patch {
  const now = timeOf(c, e);
  const patch: Patch = { now, ...resident(c, now) };
  if (Number.isFinite(e.durationMs) && e.durationMs >= 0) {
    patch.measuredLoadMs = e.durationMs;
    patch.loadSamples = c.loadSamples + 1;
    patch.loadTimeMs =
      c.measuredLoadMs === null ? e.durationMs : ewma(c.loadTimeMs, e.durationMs, LOAD_EWMA_ALPHA);
  }
  if (e.sizeVramGb !== undefined) patch.sizeVramGb = e.sizeVramGb;
  return { ...patch, ...sizeMeasured(c, e.sizeGb) };
}

export const clearLoad = (): Patch => ({ loadStartedAt: null, loadDeadline: null });

export const clearDegraded = (): Patch => ({ degradedUntil: null });

export const clearResidency = (): Patch => ({ resident: false, sizeVramGb: null, expiresAt: null });

export const clearCircuit = (): Patch => ({
  openUntil: null,
  openedAt: null,
  trialsLeft: 0,
  trialsInFlight: 0,
});

export function markDegraded(c: Ctx): Patch {
  return { degradedUntil: c.now + c.circuit.recoveryTimeoutMs };
}

/** Degraded evidence gone stale: start the window afresh. */
export function forgetEvidence(c: Ctx): Patch {
  return { window: emptyWindow(c.circuit.windowSize), consecutiveFailures: 0 };
}

/**
 * Opens the circuit at `c.now` (the failure has been recorded already). The open time grows with the
 * streak of openings; a closed stretch at least as long as the cap forgets the streak.
 */
export function openCircuit(c: Ctx, reason: OpenReason): Patch {
  const healed = c.closedAt !== null && c.now - c.closedAt >= c.circuit.recoveryTimeoutMaxMs;
  const streak = healed ? 0 : c.openStreak;
  return {
    openUntil: c.now + recoveryFor(streak, c.circuit),
    openedAt: c.now,
    openReason: reason,
    timesOpened: c.timesOpened + 1,
    openStreak: streak + 1,
    closedAt: null,
    trialsLeft: 0,
    trialsInFlight: 0,
  };
}

/** The reason to open after the failure in `e` was recorded into `c`. */
export function openReasonFor(c: Ctx, f: FailureFields | undefined): OpenReason {
  return (f && tripReason(c, f)) || 'consecutive_failures';
}

export function enterHalfOpen(c: Ctx, e: Timed): Patch {
  return { now: timeOf(c, e), openUntil: null, trialsLeft: c.circuit.halfOpenMaxCalls, trialsInFlight: 0 };
}

/** A success closed the circuit: the grown open time starts again from the base next time. */
export function closeCircuit(c: Ctx): Patch {
  return {
    window: emptyWindow(c.circuit.windowSize),
    consecutiveFailures: 0,
    closedAt: c.now,
    openReason: null,
    openStreak: 0,
    ...clearCircuit(),
  };
}

/**
 * An /api/ps answer requested before we last learned the model was resident says nothing about now
 * (the load finished after the sample was taken).
 */
export function staleSample(c: Ctx, e: ModelEventOf<'RECONCILED'>): boolean {
  return c.loadedAt !== null && (e.sampledAt ?? e.now) < c.loadedAt;
}

export function residencyReported(c: Ctx, e: ModelEventOf<'RECONCILED'>): Patch {
  const now = timeOf(c, e);
  if (!e.loaded) return staleSample(c, e) ? { now } : { now, ...clearResidency() };
  const patch: Patch = { now, ...resident(c, now) };
  if (e.sizeVramGb !== undefined) patch.sizeVramGb = e.sizeVramGb;
  if (e.expiresAt !== undefined) patch.expiresAt = e.expiresAt;
  return { ...patch, ...sizeMeasured(c, e.sizeGb) };
}

/** After a restart nothing that was in flight exists any more. */
export function forgetInFlight(c: Ctx, e: Timed): Patch {
  return { now: timeOf(c, e), inFlight: 0, probing: 0, trialsInFlight: 0 };
}

export function resetTrials(c: Ctx): Patch {
  return { trialsLeft: c.circuit.halfOpenMaxCalls, trialsInFlight: 0 };
}

/** A peer replica opened the circuit: adopt its open time (its own count of openings stays its own). */
export function adoptOpen(c: Ctx, e: ModelEventOf<'PEER_CIRCUIT'>): Patch {
  const now = timeOf(c, e);
  const until = Math.max(e.openUntil ?? now + c.circuit.recoveryTimeoutMs, c.openUntil ?? 0);
  return {
    now,
    openUntil: Math.min(until, now + c.circuit.recoveryTimeoutMaxMs),
    openedAt: now,
    openReason: `peer: ${e.reason ?? 'opened elsewhere'}`,
    closedAt: null,
    trialsLeft: 0,
    trialsInFlight: 0,
  };
}

/**
 * Another replica's measurements: its latest totals replace its earlier ones (so receiving them twice
 * changes nothing); ours stay ours. `effectiveEstimates` merges them when they are read.
 */
export function mergeEstimates(c: Ctx, e: ModelEventOf<'PEER_ESTIMATES'>): Patch {
  const { type: _t, now: _n, replica, ...estimates } = e;
  return { now: timeOf(c, e), peers: { ...c.peers, [replica]: estimates } };
}
