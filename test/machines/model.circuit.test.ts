import { describe, expect, it } from 'vitest';
import {
  canAcceptRequest,
  circuitConfigFrom,
  expectedReadyInMs,
  failureFrom,
  type ModelEvent,
  modelInputFrom,
  modelView,
} from '../../machines/model.machine.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { classifyError } from '../../src/policy/errors.ts';
import { fail, makeInput, start } from './harness.ts';
import { ManualClock } from './manual-clock.ts';

const T0 = 1_700_000_000_000;
/** The seed's thresholds at full scale: 5 in a row, 60 s open, window 20 / minimum 10, slow 20 s. */
const seed = scaledConfig(1);

function seedActor(clock?: ManualClock) {
  return start(modelInputFrom(seed, 'local', 'qwen2.5-coder:32b', clock?.now() ?? T0), clock);
}

/** Sends events one after the other, each 1 ms after the previous. */
function feed(actor: ReturnType<typeof start>, make: (now: number) => ModelEvent[], times = 1) {
  for (let i = 0; i < times; i++) {
    for (const e of make(actor.getSnapshot().context.now + 1)) actor.send(e);
  }
}

const ok =
  (latencyMs = 200) =>
  (now: number): ModelEvent[] => [
    { type: 'REQUEST_STARTED', now },
    { type: 'REQUEST_SUCCEEDED', now, latencyMs },
  ];
const bad =
  (
    errorClass: 'TRANSIENT' | 'DEGRADED' | 'FATAL' | 'CLIENT' | 'CANCELLED' = 'TRANSIENT',
    reason = 'timeout',
  ) =>
  (now: number): ModelEvent[] => [
    { type: 'REQUEST_STARTED', now },
    fail('REQUEST_FAILED', now, errorClass, reason),
  ];

/** Moves the clock to the actor's deadline `at` (the events ran a few ms ahead of the clock). */
function advanceTo(clock: ManualClock, at: number | null) {
  if (at === null) throw new Error('no deadline');
  clock.advance(at - clock.now());
}

function loadedSeedActor(clock?: ManualClock) {
  const a = seedActor(clock);
  const now = a.getSnapshot().context.now;
  a.send({ type: 'LOAD_REQUESTED', now });
  a.send({ type: 'LOAD_SUCCEEDED', now, durationMs: 35_000, sizeVramGb: 16 });
  return a;
}

describe('circuit configuration', () => {
  it('maps the config section from seconds to milliseconds', () => {
    expect(circuitConfigFrom(seed)).toEqual({
      failureThreshold: 5,
      recoveryTimeoutMs: 60_000,
      recoveryTimeoutMaxMs: 300_000,
      recoveryMultiplier: 2,
      halfOpenMaxCalls: 1,
      windowSize: 20,
      minimumCalls: 10,
      failureRateThreshold: 0.5,
      slowCallMs: 20_000,
      slowCallRateThreshold: 0.5,
    });
  });

  it('builds the input of one model on one host from the catalog', () => {
    const input = modelInputFrom(seed, 'local', 'llama3.1:70b', T0);
    expect(input).toMatchObject({
      id: 'local/llama3.1:70b',
      sizeGb: 40,
      loadTimeMs: 90_000,
      loadTimeoutMs: 300_000,
      now: T0,
    });
    expect(() => modelInputFrom(seed, 'local', 'nope:1b', T0)).toThrow(/unknown model/);
    expect(() => modelInputFrom(seed, 'elsewhere', 'llama3.1:70b', T0)).toThrow(/unknown host/);
  });

  it('clamps a minimum of calls larger than the window, and a cap below the base', () => {
    const c = circuitConfigFrom(
      scaledConfig(1, {
        circuit: { window_size: 4, minimum_calls: 10, recovery_timeout_s: 60, recovery_timeout_max_s: 30 },
      }),
    );
    expect(c.minimumCalls).toBe(4);
    expect(c.recoveryTimeoutMaxMs).toBe(60_000);
  });
});

describe('opening the circuit', () => {
  it('opens on the fifth consecutive counted failure, not the fourth, for 60 s', () => {
    const a = loadedSeedActor();
    feed(a, bad(), 4);
    expect(a.getSnapshot().value).toBe('loaded');
    expect(a.getSnapshot().context.consecutiveFailures).toBe(4);
    feed(a, bad());
    const s = a.getSnapshot();
    expect(s.value).toBe('open');
    expect(s.context.openReason).toBe('consecutive_failures');
    expect(s.context.openUntil).toBe(s.context.now + 60_000);
    expect(s.context.timesOpened).toBe(1);
    expect(s.context.inFlight).toBe(0);
    expect(canAcceptRequest(s)).toBe(false);
  });

  it('a success resets the streak', () => {
    const a = loadedSeedActor();
    feed(a, bad(), 4);
    feed(a, ok());
    feed(a, bad(), 4);
    expect(a.getSnapshot().value).not.toBe('open');
    expect(a.getSnapshot().context.consecutiveFailures).toBe(4);
  });

  it('opens on the failure rate over the window once the minimum of calls is reached', () => {
    const a = loadedSeedActor();
    // Alternating: never two failures in a row, half of all calls failed.
    for (let i = 0; i < 4; i++) {
      feed(a, ok());
      feed(a, bad());
    }
    feed(a, ok());
    // 9 calls: below the minimum of 10, rates are not judged yet.
    expect(a.getSnapshot().value).toBe('loaded');
    feed(a, bad());
    expect(a.getSnapshot().value).toBe('open');
    expect(a.getSnapshot().context.openReason).toBe('failure_rate');
  });

  it('opens at once on a FATAL failure that counts (OOM)', () => {
    const a = loadedSeedActor();
    feed(a, bad('FATAL', 'oom'));
    expect(a.getSnapshot().value).toBe('open');
    expect(a.getSnapshot().context.openReason).toBe('fatal');
    expect(a.getSnapshot().context.lastFailure).toMatchObject({ errorClass: 'FATAL', reason: 'oom' });
  });

  it('never counts CLIENT or CANCELLED failures, nor a FATAL "unsupported"', () => {
    const a = loadedSeedActor();
    feed(a, bad('CLIENT', 'bad_request'), 20);
    feed(a, bad('CANCELLED', 'cancelled'), 20);
    feed(a, bad('FATAL', 'unsupported'), 20);
    feed(
      a,
      (now) => [
        { type: 'REQUEST_STARTED', now },
        { type: 'REQUEST_CANCELLED', now },
      ],
      20,
    );
    const s = a.getSnapshot();
    expect(s.value).toBe('loaded');
    expect(s.context.consecutiveFailures).toBe(0);
    expect(s.context.window.calls).toBe(0);
    expect(s.context.inFlight).toBe(0);
  });

  it('takes the taxonomy verdict as is (failureFrom of classifyError)', () => {
    const a = loadedSeedActor();
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    for (let i = 0; i < 5; i++) {
      const now = a.getSnapshot().context.now + 1;
      a.send({ type: 'REQUEST_STARTED', now });
      a.send({ type: 'REQUEST_FAILED', now, ...failureFrom(classifyError(refused, 'connect')) });
    }
    expect(a.getSnapshot().value).toBe('open');
  });
});

describe('missing models', () => {
  it('a 404 model-not-found makes the model missing, never open; it comes back when found', () => {
    const a = loadedSeedActor();
    const notFound = Object.assign(new Error("model 'qwen2.5-coder:32b' not found"), {
      name: 'ResponseError',
      status_code: 404,
    });
    const now = a.getSnapshot().context.now + 1;
    a.send({ type: 'REQUEST_STARTED', now });
    a.send({ type: 'REQUEST_FAILED', now, ...failureFrom(classifyError(notFound, 'first_token')) });
    let s = a.getSnapshot();
    expect(s.value).toBe('missing');
    expect(s.context.timesOpened).toBe(0);
    expect(s.context.consecutiveFailures).toBe(0);
    expect(s.context.resident).toBe(false);
    expect(canAcceptRequest(s)).toBe(false);
    a.send({ type: 'MODEL_FOUND', now: now + 1 });
    s = a.getSnapshot();
    expect(s.value).toBe('unloaded');
    expect(canAcceptRequest(s)).toBe(true);
  });

  it('a successful probe or load also leaves missing', () => {
    const a = seedActor();
    a.send({ type: 'MODEL_MISSING', now: T0 + 1 });
    a.send({ type: 'PROBE_SUCCEEDED', now: T0 + 2, latencyMs: 100 });
    expect(a.getSnapshot().value).toBe('loaded');
    a.send({ type: 'MODEL_MISSING', now: T0 + 3 });
    a.send({ type: 'LOAD_REQUESTED', now: T0 + 4 });
    expect(a.getSnapshot().value).toBe('loading');
    a.send({ type: 'LOAD_SUCCEEDED', now: T0 + 5, durationMs: 30_000 });
    expect(a.getSnapshot().value).toBe('loaded');
  });
});

describe('half-open and recovery', () => {
  function openedAt(clock: ManualClock) {
    const a = loadedSeedActor(clock);
    feed(a, bad(), 5);
    expect(a.getSnapshot().value).toBe('open');
    return a;
  }

  it('reaches half-open by time alone, with no traffic at all', () => {
    const clock = new ManualClock(T0);
    const a = openedAt(clock);
    const openUntil = a.getSnapshot().context.openUntil ?? 0;
    clock.advance(openUntil - clock.now() - 1);
    expect(a.getSnapshot().value).toBe('open');
    clock.advance(1);
    expect(a.getSnapshot().value).toBe('halfOpen');
    expect(a.getSnapshot().context.trialsLeft).toBe(1);
  });

  it('lets half_open_max_calls trials through; a success closes with a fresh window', () => {
    const clock = new ManualClock(T0);
    const a = openedAt(clock);
    advanceTo(clock, a.getSnapshot().context.openUntil);
    const now = clock.now();
    expect(canAcceptRequest(a.getSnapshot())).toBe(true);
    a.send({ type: 'REQUEST_STARTED', now });
    expect(a.getSnapshot().context.trialsLeft).toBe(0);
    expect(canAcceptRequest(a.getSnapshot())).toBe(false);
    a.send({ type: 'REQUEST_SUCCEEDED', now: now + 1, latencyMs: 300 });
    const s = a.getSnapshot();
    expect(s.value).toBe('loaded');
    expect(s.context.window.calls).toBe(0);
    expect(s.context.consecutiveFailures).toBe(0);
    expect(s.context.closedAt).toBe(now + 1);
    expect(s.context.inFlight).toBe(0);
  });

  it('a failed trial reopens for twice as long, growing up to the cap', () => {
    const clock = new ManualClock(T0);
    const a = openedAt(clock);
    const spans: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c = a.getSnapshot().context;
      spans.push((c.openUntil ?? 0) - (c.openedAt ?? 0));
      clock.advance((c.openUntil ?? 0) - clock.now());
      expect(a.getSnapshot().value).toBe('halfOpen');
      feed(a, bad());
      expect(a.getSnapshot().value).toBe('open');
      expect(a.getSnapshot().context.openReason).toBe('trial_failed');
    }
    expect(spans).toEqual([60_000, 120_000, 240_000, 300_000, 300_000, 300_000]);
    expect(a.getSnapshot().context.timesOpened).toBe(7);
  });

  it('a success resets the grown open time: the next opening starts from the base again', () => {
    const clock = new ManualClock(T0);
    const a = openedAt(clock);
    // A failed trial grows the open time...
    advanceTo(clock, a.getSnapshot().context.openUntil);
    feed(a, bad());
    let c = a.getSnapshot().context;
    expect((c.openUntil ?? 0) - (c.openedAt ?? 0)).toBe(120_000);
    // ...a successful one closes the circuit and forgets the growth at once.
    advanceTo(clock, c.openUntil);
    feed(a, ok());
    expect(a.getSnapshot().value).toBe('loaded');
    expect(a.getSnapshot().context.openStreak).toBe(0);
    feed(a, bad(), 5);
    c = a.getSnapshot().context;
    expect(a.getSnapshot().value).toBe('open');
    expect((c.openUntil ?? 0) - (c.openedAt ?? 0)).toBe(60_000);
  });

  it('a cancelled or caller-faulted trial gives its place back; a late pre-open outcome decides nothing', () => {
    const clock = new ManualClock(T0);
    const a = loadedSeedActor(clock);
    // One request still running when the circuit opens.
    a.send({ type: 'REQUEST_STARTED', now: clock.now() });
    feed(a, bad(), 5);
    expect(a.getSnapshot().context.inFlight).toBe(1);
    advanceTo(clock, a.getSnapshot().context.openUntil);
    expect(a.getSnapshot().value).toBe('halfOpen');
    // The late request fails: not a trial, so the circuit neither reopens nor closes.
    a.send(fail('REQUEST_FAILED', clock.now(), 'TRANSIENT', 'timeout'));
    expect(a.getSnapshot().value).toBe('halfOpen');
    expect(a.getSnapshot().context.inFlight).toBe(0);
    a.send({ type: 'REQUEST_STARTED', now: clock.now() });
    a.send({ type: 'REQUEST_CANCELLED', now: clock.now() });
    expect(a.getSnapshot().context.trialsLeft).toBe(1);
    a.send({ type: 'REQUEST_STARTED', now: clock.now() });
    a.send(fail('REQUEST_FAILED', clock.now(), 'CLIENT', 'bad_request'));
    expect(a.getSnapshot().value).toBe('halfOpen');
    expect(a.getSnapshot().context.trialsLeft).toBe(1);
  });

  it('a probe closes a half-open circuit, or reopens it', () => {
    const clock = new ManualClock(T0);
    const a = openedAt(clock);
    advanceTo(clock, a.getSnapshot().context.openUntil);
    a.send(fail('PROBE_FAILED', clock.now(), 'TRANSIENT', 'timeout'));
    expect(a.getSnapshot().value).toBe('open');
    advanceTo(clock, a.getSnapshot().context.openUntil);
    a.send({ type: 'PROBE_SUCCEEDED', now: clock.now(), latencyMs: 100 });
    expect(a.getSnapshot().value).toBe('loaded');
  });

  it('without a timer, the first request after the open time moves to half-open as a trial', () => {
    const a = loadedSeedActor();
    feed(a, bad(), 5);
    const openUntil = a.getSnapshot().context.openUntil ?? 0;
    expect(canAcceptRequest(a.getSnapshot(), openUntil - 1)).toBe(false);
    expect(canAcceptRequest(a.getSnapshot(), openUntil)).toBe(true);
    a.send({ type: 'REQUEST_STARTED', now: openUntil - 1 });
    expect(a.getSnapshot().value).toBe('open');
    a.send({ type: 'REQUEST_CANCELLED', now: openUntil - 1 });
    a.send({ type: 'REQUEST_STARTED', now: openUntil });
    const s = a.getSnapshot();
    expect(s.value).toBe('halfOpen');
    expect(s.context.trialsInFlight).toBe(1);
    expect(s.context.trialsLeft).toBe(0);
  });

  it('a late success after the circuit opened neither underflows nor closes it', () => {
    const a = loadedSeedActor();
    const now = a.getSnapshot().context.now;
    a.send({ type: 'REQUEST_STARTED', now });
    feed(a, bad('FATAL', 'oom'));
    a.send({ type: 'REQUEST_SUCCEEDED', now: now + 5, latencyMs: 10 });
    a.send({ type: 'REQUEST_SUCCEEDED', now: now + 6, latencyMs: 10 });
    const s = a.getSnapshot();
    expect(s.value).toBe('open');
    expect(s.context.inFlight).toBe(0);
  });
});

describe('degraded', () => {
  it('slow calls over the slow-rate threshold make a serving model degraded; fast ones bring it back', () => {
    const a = loadedSeedActor();
    feed(a, ok(25_000), 9);
    expect(a.getSnapshot().value).toBe('loaded');
    feed(a, ok(25_000));
    expect(a.getSnapshot().value).toBe('degraded');
    expect(canAcceptRequest(a.getSnapshot())).toBe(true);
    expect(a.getSnapshot().context.degradedUntil).toBe(a.getSnapshot().context.now + 60_000);
    // 10 fast calls push the slow share of the 20-call window to 10/20 = 0.5: still degraded; one more recovers.
    feed(a, ok(100), 10);
    expect(a.getSnapshot().value).toBe('degraded');
    feed(a, ok(100));
    expect(a.getSnapshot().value).toBe('loaded');
    expect(a.getSnapshot().context.degradedUntil).toBeNull();
  });

  it('intermittent failures (a quarter of calls) degrade without opening', () => {
    const a = loadedSeedActor();
    for (let i = 0; i < 3; i++) {
      feed(a, ok(), 3);
      feed(a, bad());
    }
    // 12 calls, 3 failed: 0.25 >= half of the 0.5 opening rate.
    expect(a.getSnapshot().value).toBe('degraded');
    expect(a.getSnapshot().context.timesOpened).toBe(0);
  });

  it('with no fresh evidence for a recovery time, degraded is judged afresh', () => {
    const clock = new ManualClock(T0);
    const a = loadedSeedActor(clock);
    feed(a, ok(25_000), 10);
    expect(a.getSnapshot().value).toBe('degraded');
    advanceTo(clock, a.getSnapshot().context.degradedUntil);
    const s = a.getSnapshot();
    expect(s.value).toBe('loaded');
    expect(s.context.window.calls).toBe(0);
  });
});

describe('loading', () => {
  it('measures the load, and requests started while loading wait in flight', () => {
    const a = seedActor();
    a.send({ type: 'LOAD_REQUESTED', now: T0 + 1 });
    a.send({ type: 'REQUEST_STARTED', now: T0 + 2 });
    let s = a.getSnapshot();
    expect(s.value).toBe('loading');
    expect(s.context.inFlight).toBe(1);
    expect(s.context.loadStartedAt).toBe(T0 + 1);
    expect(s.context.loadDeadline).toBe(T0 + 1 + 300_000);
    expect(expectedReadyInMs(s, T0 + 10_001)).toBe(25_000);
    a.send({ type: 'LOAD_SUCCEEDED', now: T0 + 30_001, durationMs: 30_000, sizeVramGb: 14 });
    s = a.getSnapshot();
    expect(s.value).toBe('loaded');
    expect(s.context.measuredLoadMs).toBe(30_000);
    expect(s.context.loadTimeMs).toBe(30_000);
    expect(s.context.sizeVramGb).toBe(14);
    expect(s.context.inFlight).toBe(1);
    expect(expectedReadyInMs(s, T0 + 30_001)).toBe(0);
  });

  it('a request that times out while waiting on the load does not count against the model', () => {
    const a = seedActor();
    a.send({ type: 'LOAD_REQUESTED', now: T0 + 1 });
    for (let i = 0; i < 10; i++) {
      a.send({ type: 'REQUEST_STARTED', now: T0 + 2 + i });
      a.send(fail('REQUEST_FAILED', T0 + 2 + i, 'TRANSIENT', 'timeout'));
    }
    const s = a.getSnapshot();
    expect(s.value).toBe('loading');
    expect(s.context.consecutiveFailures).toBe(0);
    expect(s.context.inFlight).toBe(0);
  });

  it('a load that passes its deadline fails as a load timeout', () => {
    const clock = new ManualClock(T0);
    const a = seedActor(clock);
    a.send({ type: 'LOAD_REQUESTED', now: T0 });
    clock.advance(300_000);
    const s = a.getSnapshot();
    expect(s.value).toBe('unloaded');
    expect(s.context.lastFailure).toEqual({
      errorClass: 'TRANSIENT',
      reason: 'load_timeout',
      at: T0 + 300_000,
    });
    expect(s.context.consecutiveFailures).toBe(1);
  });

  it('an OOM on load opens the circuit at once', () => {
    const a = seedActor();
    a.send({ type: 'LOAD_REQUESTED', now: T0 + 1 });
    a.send({ type: 'LOAD_FAILED', now: T0 + 2, errorClass: 'FATAL', reason: 'oom' });
    expect(a.getSnapshot().value).toBe('open');
  });

  it('a request waiting for an unloaded model does not load it (the supervisor decides loads)', () => {
    const a = seedActor();
    a.send({ type: 'REQUEST_STARTED', now: T0 + 1 });
    expect(a.getSnapshot().value).toBe('unloaded');
    expect(a.getSnapshot().context.inFlight).toBe(1);
    // Ollama loaded it for the request anyway (it was sent to a model evicted behind our back).
    a.send({ type: 'REQUEST_SUCCEEDED', now: T0 + 2, latencyMs: 40_000 });
    expect(a.getSnapshot().value).toBe('loaded');
    expect(a.getSnapshot().context.resident).toBe(true);
  });

  it('a probe keeps the model busy until its outcome, without counting as use or demand', () => {
    const a = loadedSeedActor();
    const before = a.getSnapshot().context;
    a.send({ type: 'PROBE_STARTED', now: T0 + 50_000 });
    expect(a.getSnapshot().context.probing).toBe(1);
    expect(a.getSnapshot().context.lastUsed).toBe(before.lastUsed);
    expect(a.getSnapshot().context.demand).toBe(before.demand);
    a.send({ type: 'PROBE_SUCCEEDED', now: T0 + 50_010, latencyMs: 10 });
    expect(a.getSnapshot().context.probing).toBe(0);
    a.send({ type: 'PROBE_SUCCEEDED', now: T0 + 50_020, latencyMs: 10 });
    expect(a.getSnapshot().context.probing).toBe(0);
  });

  it('learns its size, load time and generation rate, counting samples', () => {
    const a = seedActor();
    a.send({ type: 'LOAD_REQUESTED', now: T0 + 1 });
    a.send({ type: 'LOAD_SUCCEEDED', now: T0 + 30_001, durationMs: 30_000, sizeGb: 19.2, sizeVramGb: 16 });
    a.send({ type: 'REQUEST_STARTED', now: T0 + 30_002 });
    a.send({ type: 'REQUEST_SUCCEEDED', now: T0 + 31_002, latencyMs: 1000, evalCount: 50, evalMs: 500 });
    const c = a.getSnapshot().context;
    expect(c).toMatchObject({ measuredSizeGb: 19.2, sizeSamples: 1, loadSamples: 1, tokensPerS: 100 });
    expect(c.tokenSamples).toBe(1);
    // Without our clock's time of a token, the answer's length is not learned either (they go together).
    expect(c.answerTokens).toBeNull();
    a.send({ type: 'REQUEST_STARTED', now: T0 + 31_003 });
    a.send({ type: 'REQUEST_SUCCEEDED', now: T0 + 31_503, latencyMs: 500, evalCount: 50, tokenMs: 8 });
    expect(a.getSnapshot().context).toMatchObject({ answerTokens: 50, tokenMs: 8 });
    // Decayed demand: one request, as of its start.
    expect(c.demand).toBe(1);
    expect(c.demandAt).toBe(T0 + 30_002);
  });

  it('after a restart, a load in progress is forgotten along with everything in flight', () => {
    const a = seedActor();
    a.send({ type: 'LOAD_REQUESTED', now: T0 + 1 });
    a.send({ type: 'REQUEST_STARTED', now: T0 + 2 });
    a.send({ type: 'RESTORED', now: T0 + 3 });
    const s = a.getSnapshot();
    expect(s.value).toBe('unloaded');
    expect(s.context.inFlight).toBe(0);
  });
});

describe('reconciliation with /api/ps', () => {
  it('a model gone from /api/ps is unloaded, unless the sample predates our load', () => {
    const a = loadedSeedActor();
    const loadedAt = a.getSnapshot().context.loadedAt ?? 0;
    a.send({ type: 'RECONCILED', now: loadedAt + 10, loaded: false, sampledAt: loadedAt - 5 });
    expect(a.getSnapshot().value).toBe('loaded');
    a.send({ type: 'RECONCILED', now: loadedAt + 20, loaded: false, sampledAt: loadedAt + 15 });
    expect(a.getSnapshot().value).toBe('unloaded');
  });

  it('a model loaded behind our back is picked up with its VRAM and expiry', () => {
    const a = seedActor();
    a.send({ type: 'RECONCILED', now: T0 + 1, loaded: true, sizeVramGb: 12, expiresAt: T0 + 300_000 });
    const s = a.getSnapshot();
    expect(s.value).toBe('loaded');
    expect(s.context).toMatchObject({ resident: true, sizeVramGb: 12, expiresAt: T0 + 300_000 });
  });

  it('an open circuit keeps its state while residency is tracked', () => {
    const a = loadedSeedActor();
    feed(a, bad('FATAL', 'oom'));
    expect(a.getSnapshot().context.resident).toBe(true);
    a.send({ type: 'UNLOADED', now: a.getSnapshot().context.now + 1 });
    expect(a.getSnapshot().value).toBe('open');
    expect(a.getSnapshot().context.resident).toBe(false);
  });
});

describe('statistics and views', () => {
  it('keeps an EWMA and a p95 over a bounded reservoir, and never moves time backwards', () => {
    const a = loadedSeedActor();
    for (let i = 1; i <= 100; i++) feed(a, ok(i * 10));
    const now = a.getSnapshot().context.now;
    a.send({ type: 'REQUEST_STARTED', now: now - 1000 });
    const s = a.getSnapshot();
    expect(s.context.now).toBe(now);
    expect(s.context.latencies).toHaveLength(32);
    const v = modelView(s);
    // The last 32 samples are 690..1000 ms; nearest-rank p95 of them is the 31st.
    expect(v.latencyP95Ms).toBe(990);
    expect(v.latencyEwmaMs).toBeGreaterThan(900);
    expect(v.latencyEwmaMs).toBeLessThan(1000);
    expect(v).toMatchObject({
      state: 'loaded',
      inFlight: 1,
      acceptsRequests: true,
      sizeGb: 20,
    });
    expect(v.lastUsed).toBe(now);
  });

  it('estimates answer time from real answers only: service time when Ollama gives it, probes left out', () => {
    const a = loadedSeedActor();
    // Answers that waited 3 s in Ollama's queue but took 2 s to generate: the estimate is the 2 s.
    for (let i = 0; i < 20; i++)
      feed(a, (now) => [
        { type: 'REQUEST_STARTED', now },
        { type: 'REQUEST_SUCCEEDED', now, latencyMs: 5000, serviceMs: 2000 },
      ]);
    expect(a.getSnapshot().context.latencyEwmaMs).toBeCloseTo(2000, 0);
    // One-token probes answer in a tenth of a second; they must not pull the estimate down.
    for (let i = 0; i < 20; i++)
      feed(a, (now) => [
        { type: 'PROBE_STARTED', now },
        { type: 'PROBE_SUCCEEDED', now, latencyMs: 100 },
      ]);
    const c = a.getSnapshot().context;
    expect(c.latencyEwmaMs).toBeCloseTo(2000, 0);
    // The latencies users saw (for p95) are the whole answers, queueing included.
    expect(c.latencies.every((l) => l === 5000)).toBe(true);
    // Without Ollama's figures, the whole latency is all there is.
    feed(a, ok(4000));
    expect(a.getSnapshot().context.latencyEwmaMs).toBeCloseTo(2400, 0);
  });

  it('context is plain JSON', () => {
    const a = loadedSeedActor();
    feed(a, ok(), 3);
    feed(a, bad());
    const c = a.getSnapshot().context;
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('uses the defaults of makeInput in the harness', () => {
    expect(makeInput().circuit.failureThreshold).toBe(3);
  });
});
