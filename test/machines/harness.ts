import { createActor } from 'xstate';
import {
  type CircuitSettings,
  type ModelContext,
  type ModelEvent,
  type ModelInput,
  modelMachine,
} from '../../machines/model.machine.ts';
import { deadlineTimerLogic } from '../../src/runtime/deadline-timer.ts';
import type { Clock as TimerClock } from '../../src/time/clock.ts';

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

export function makeInput(
  patch: Partial<ModelInput> = {},
  circuit: Partial<CircuitSettings> = {},
): ModelInput {
  return {
    id: 'local/m:1b',
    model: 'm:1b',
    host: 'local',
    sizeGb: 2,
    loadTimeMs: 500,
    loadTimeoutMs: 5_000,
    demandHalfLifeMs: 600_000,
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

export interface LabelledEvent {
  /** Stable name of the kind of event, so a path can be replayed against another snapshot's clock. */
  label: string;
  event: ModelEvent;
}

/**
 * Representative events for a snapshot: every event type, with each guard's both sides reachable
 * (fast and slow, counted and not, missing, due and early deadlines, fresh and stale /api/ps samples).
 * Time moves 1 ms per step, far below every timeout, so "early" stays early.
 */
export function labelledEventsFor(c: ModelContext, slowMs = c.circuit.slowCallMs): LabelledEvent[] {
  const now = c.now + 1;
  const ev: Array<[string, ModelEvent]> = [
    ['load', { type: 'LOAD_REQUESTED', now }],
    ['loaded', { type: 'LOAD_SUCCEEDED', now, durationMs: 40, sizeVramGb: 2 }],
    ['load-timeout', fail('LOAD_FAILED', now, 'TRANSIENT', 'load_timeout')],
    ['load-oom', fail('LOAD_FAILED', now, 'FATAL', 'oom')],
    ['load-cancelled', fail('LOAD_FAILED', now, 'CANCELLED', 'cancelled')],
    ['load-404', fail('LOAD_FAILED', now, 'FATAL', 'model_not_found', { missing: true })],
    ['unload', { type: 'UNLOAD_REQUESTED', now }],
    ['unloaded', { type: 'UNLOADED', now }],
    ['ok', { type: 'REQUEST_SUCCEEDED', now, latencyMs: 5 }],
    ['ok-slow', { type: 'REQUEST_SUCCEEDED', now, latencyMs: slowMs }],
    ['fail-transient', fail('REQUEST_FAILED', now, 'TRANSIENT', 'timeout')],
    ['fail-degraded-slow', fail('REQUEST_FAILED', now, 'DEGRADED', 'server_error', { latencyMs: slowMs })],
    ['fail-fatal', fail('REQUEST_FAILED', now, 'FATAL', 'oom')],
    ['fail-client', fail('REQUEST_FAILED', now, 'CLIENT', 'bad_request')],
    ['fail-404', fail('REQUEST_FAILED', now, 'FATAL', 'model_not_found', { missing: true })],
    ['cancel', { type: 'REQUEST_CANCELLED', now }],
    ['probe-ok', { type: 'PROBE_SUCCEEDED', now, latencyMs: 5 }],
    ['probe-slow', { type: 'PROBE_SUCCEEDED', now, latencyMs: slowMs }],
    ['probe-fail', fail('PROBE_FAILED', now, 'TRANSIENT', 'timeout')],
    ['probe-fatal', fail('PROBE_FAILED', now, 'FATAL', 'oom')],
    ['probe-cancelled', fail('PROBE_FAILED', now, 'CANCELLED', 'cancelled')],
    ['probe-404', fail('PROBE_FAILED', now, 'FATAL', 'model_not_found', { missing: true })],
    ['ps-loaded', { type: 'RECONCILED', now, loaded: true, sizeVramGb: 2, expiresAt: now + 300_000 }],
    ['ps-gone', { type: 'RECONCILED', now, loaded: false }],
    ['tags-missing', { type: 'MODEL_MISSING', now }],
    ['tags-found', { type: 'MODEL_FOUND', now }],
    ['restored', { type: 'RESTORED', now }],
    ['start', { type: 'REQUEST_STARTED', now }],
    ['probe-start', { type: 'PROBE_STARTED', now }],
    ['peer-open', { type: 'PEER_CIRCUIT', now, state: 'open', openUntil: now + 60_000, reason: 'fatal' }],
    ['peer-open-past', { type: 'PEER_CIRCUIT', now, state: 'open', openUntil: now - 1 }],
    ['peer-close', { type: 'PEER_CIRCUIT', now, state: 'closed' }],
    [
      'peer-estimates',
      {
        type: 'PEER_ESTIMATES',
        now,
        replica: 'r2',
        measuredSizeGb: 2.5,
        sizeSamples: 2,
        measuredLoadMs: 800,
        loadSamples: 1,
        tokensPerS: 40,
        tokenSamples: 3,
      },
    ],
  ];
  if (c.loadedAt !== null)
    ev.push(['ps-gone-stale', { type: 'RECONCILED', now, loaded: false, sampledAt: c.loadedAt - 1 }]);
  const deadlines: Array<[string, number | null]> = [
    ['load', c.loadDeadline],
    ['open', c.openUntil],
    ['degraded', c.degradedUntil],
  ];
  for (const [name, at] of deadlines) {
    if (at === null) continue;
    ev.push([`deadline-${name}-due`, { type: 'DEADLINE_REACHED', now: Math.max(now, at), at }]);
    if (at > now) ev.push([`deadline-${name}-early`, { type: 'DEADLINE_REACHED', now, at }]);
  }
  if (c.openUntil !== null) {
    const due = Math.max(now, c.openUntil);
    ev.push(['start-due', { type: 'REQUEST_STARTED', now: due }]);
    ev.push(['probe-ok-due', { type: 'PROBE_SUCCEEDED', now: due, latencyMs: 5 }]);
    ev.push(['probe-fail-due', fail('PROBE_FAILED', due, 'TRANSIENT', 'timeout')]);
  }
  return ev.map(([label, event]) => ({ label, event }));
}

export function eventsFor(c: ModelContext): ModelEvent[] {
  return labelledEventsFor(c).map((l) => l.event);
}

/** What must hold after every event, in every state. Returns the broken rule, or null. */
export function brokenInvariant(value: string, c: ModelContext): string | null {
  const w = c.window;
  const codes = w.slots.filter((x) => x !== 0);
  if (c.inFlight < 0) return 'inFlight < 0';
  if (c.probing < 0) return 'probing < 0';
  if (c.trialsInFlight < 0 || c.trialsLeft < 0) return 'negative trials';
  if (c.trialsLeft + c.trialsInFlight > c.circuit.halfOpenMaxCalls)
    return 'more trials than half_open_max_calls';
  if (value !== 'halfOpen' && (c.trialsLeft !== 0 || c.trialsInFlight !== 0))
    return 'trials outside halfOpen';
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
    // Clocks may carry fractions of a ms: allow for floating-point error in openUntil - openedAt.
    const eps = 1e-6 * Math.max(1, c.openUntil);
    // An opening adopted from a peer replica lasts what is left of the peer's: shorter, never longer.
    const floor = c.openReason?.startsWith('peer:') ? 0 : Math.round(c.circuit.recoveryTimeoutMs);
    if (d < floor - eps || d > Math.round(c.circuit.recoveryTimeoutMaxMs) + eps) {
      return 'open time outside [base, cap]';
    }
  }
  return null;
}
