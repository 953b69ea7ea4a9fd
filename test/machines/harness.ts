import { createActor } from 'xstate';
import {
  type CircuitSettings,
  type ModelContext,
  type ModelEvent,
  type ModelInput,
  modelMachine,
} from '../../machines/model.machine.ts';
import { deadlineTimerLogic, type TimerClock } from '../../src/runtime/deadline-timer.ts';

/** Small numbers so every rule is reachable in a few events: 3 in a row, or 2 of 4, open the circuit. */
export const SMALL_CIRCUIT: CircuitSettings = {
  failureThreshold: 3,
  recoveryTimeoutMs: 1_000,
  recoveryTimeoutMaxMs: 4_000,
  recoveryMultiplier: 2,
  halfOpenMaxCalls: 1,
  windowSize: 4,
  minimumCalls: 4,
  failureRateThreshold: 0.5,
  slowCallMs: 100,
  slowCallRateThreshold: 0.5,
};

export function makeInput(patch: Partial<ModelInput> = {}, circuit: Partial<CircuitSettings> = {}): ModelInput {
  return {
    id: 'local/m:1b',
    model: 'm:1b',
    host: 'local',
    sizeGb: 2,
    loadTimeMs: 500,
    loadTimeoutMs: 5_000,
    now: 1_000_000,
    ...patch,
    circuit: { ...SMALL_CIRCUIT, ...circuit },
  };
}

export function timedMachine(clock: TimerClock) {
  return modelMachine.provide({ actors: { deadlineTimer: deadlineTimerLogic(clock) } });
}

/** A started actor that fails the test on any actor error instead of swallowing it. */
export function start(input: ModelInput, clock?: TimerClock) {
  const actor = createActor(clock ? timedMachine(clock) : modelMachine, { input });
  actor.subscribe({
    error: (err) => {
      throw err;
    },
  });
  actor.start();
  return actor;
}

export const fail = (
  type: 'REQUEST_FAILED' | 'LOAD_FAILED' | 'PROBE_FAILED',
  now: number,
  errorClass: 'TRANSIENT' | 'DEGRADED' | 'FATAL' | 'CLIENT' | 'CANCELLED' = 'TRANSIENT',
  reason = 'timeout',
  extra: { missing?: boolean; latencyMs?: number; countsAgainstCircuit?: boolean } = {},
): ModelEvent => ({ type, now, errorClass, reason, ...extra });

/**
 * Representative events for a snapshot: every event type, with each guard's both sides reachable
 * (fast and slow, counted and not, missing, due and early deadlines, fresh and stale /api/ps samples).
 * Time moves 1 ms per step, far below every timeout, so "early" stays early.
 */
export function eventsFor(c: ModelContext, slowMs = c.circuit.slowCallMs): ModelEvent[] {
  const now = c.now + 1;
  const ev: ModelEvent[] = [
    { type: 'LOAD_REQUESTED', now },
    { type: 'LOAD_SUCCEEDED', now, durationMs: 40, sizeVramGb: 2 },
    fail('LOAD_FAILED', now, 'TRANSIENT', 'load_timeout'),
    fail('LOAD_FAILED', now, 'FATAL', 'oom'),
    fail('LOAD_FAILED', now, 'CANCELLED', 'cancelled'),
    fail('LOAD_FAILED', now, 'FATAL', 'model_not_found', { missing: true }),
    { type: 'UNLOAD_REQUESTED', now },
    { type: 'UNLOADED', now },
    { type: 'REQUEST_SUCCEEDED', now, latencyMs: 5 },
    { type: 'REQUEST_SUCCEEDED', now, latencyMs: slowMs },
    fail('REQUEST_FAILED', now, 'TRANSIENT', 'timeout'),
    fail('REQUEST_FAILED', now, 'DEGRADED', 'server_error', { latencyMs: slowMs }),
    fail('REQUEST_FAILED', now, 'FATAL', 'oom'),
    fail('REQUEST_FAILED', now, 'CLIENT', 'bad_request'),
    fail('REQUEST_FAILED', now, 'FATAL', 'model_not_found', { missing: true }),
    { type: 'REQUEST_CANCELLED', now },
    { type: 'PROBE_SUCCEEDED', now, latencyMs: 5 },
    { type: 'PROBE_SUCCEEDED', now, latencyMs: slowMs },
    fail('PROBE_FAILED', now, 'TRANSIENT', 'timeout'),
    fail('PROBE_FAILED', now, 'FATAL', 'oom'),
    fail('PROBE_FAILED', now, 'CANCELLED', 'cancelled'),
    fail('PROBE_FAILED', now, 'FATAL', 'model_not_found', { missing: true }),
    { type: 'RECONCILED', now, loaded: true, sizeVramGb: 2, expiresAt: now + 300_000 },
    { type: 'RECONCILED', now, loaded: false },
    { type: 'MODEL_MISSING', now },
    { type: 'MODEL_FOUND', now },
    { type: 'RESTORED', now },
  ];
  if (c.inFlight < 2) ev.push({ type: 'REQUEST_STARTED', now });
  if (c.loadedAt !== null) ev.push({ type: 'RECONCILED', now, loaded: false, sampledAt: c.loadedAt - 1 });
  for (const at of [c.loadDeadline, c.openUntil, c.degradedUntil]) {
    if (at === null) continue;
    ev.push({ type: 'DEADLINE_REACHED', now: Math.max(now, at), at });
    if (at > now) ev.push({ type: 'DEADLINE_REACHED', now, at });
  }
  if (c.openUntil !== null) {
    const due = Math.max(now, c.openUntil);
    ev.push({ type: 'REQUEST_STARTED', now: due }, { type: 'PROBE_SUCCEEDED', now: due, latencyMs: 5 });
    ev.push(fail('PROBE_FAILED', due, 'TRANSIENT', 'timeout'));
  }
  return ev;
}

/** What must hold after every event, in every state. Returns the broken rule, or null. */
export function brokenInvariant(value: string, c: ModelContext): string | null {
  const w = c.window;
  const codes = w.slots.filter((x) => x !== 0);
  if (c.inFlight < 0) return 'inFlight < 0';
  if (c.trialsInFlight < 0 || c.trialsLeft < 0) return 'negative trials';
  if (c.trialsLeft + c.trialsInFlight > c.circuit.halfOpenMaxCalls) return 'more trials than half_open_max_calls';
  if (value !== 'halfOpen' && (c.trialsLeft !== 0 || c.trialsInFlight !== 0)) return 'trials outside halfOpen';
  if (c.trialsInFlight > c.inFlight) return 'trials in flight exceed requests in flight';
  if ((c.loadDeadline !== null) !== (value === 'loading')) return 'loadDeadline set outside loading';
  if ((c.openUntil !== null) !== (value === 'open')) return 'openUntil set outside open';
  if ((c.degradedUntil !== null) !== (value === 'degraded')) return 'degradedUntil set outside degraded';
  if ((value === 'loaded' || value === 'degraded') && !c.resident) return 'serving but not resident';
  if ((value === 'unloaded' || value === 'missing') && c.resident) return 'resident while unloaded';
  if (w.slots.length !== c.circuit.windowSize) return 'window size changed';
  if (w.calls !== codes.length) return 'window calls out of step';
  if (w.failures !== codes.filter((x) => x === 2 || x === 4).length) return 'window failures out of step';
  if (w.slow !== codes.filter((x) => x === 3 || x === 4).length) return 'window slow out of step';
  if (c.latencies.length > 32) return 'latency reservoir unbounded';
  if (value === 'open' && c.openedAt !== null && c.openUntil !== null) {
    const d = c.openUntil - c.openedAt;
    if (d < c.circuit.recoveryTimeoutMs || d > c.circuit.recoveryTimeoutMaxMs) return 'open time outside [base, cap]';
  }
  return null;
}
