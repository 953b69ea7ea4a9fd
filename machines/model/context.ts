import type { Config } from '../../src/config/schema.ts';
import type { CircuitSettings, ModelContext, ModelInput } from './types.ts';
import { emptyWindow } from './window.ts';

/** The config's `circuit` section (seconds) in the machine's units (ms). */
export function circuitConfigFrom(config: Pick<Config, 'circuit'>): CircuitSettings {
  const c = config.circuit;
  return {
    failureThreshold: c.failure_threshold,
    recoveryTimeoutMs: c.recovery_timeout_s * 1000,
    // A cap below the base would shrink the first opening; the base wins.
    recoveryTimeoutMaxMs: Math.max(c.recovery_timeout_max_s, c.recovery_timeout_s) * 1000,
    recoveryMultiplier: c.recovery_multiplier,
    halfOpenMaxCalls: c.half_open_max_calls,
    windowSize: c.window_size,
    // More minimum calls than the window holds could never be met: clamp so rates still work.
    minimumCalls: Math.min(c.minimum_calls, c.window_size),
    failureRateThreshold: c.failure_rate_threshold,
    slowCallMs: c.slow_call_s * 1000,
    slowCallRateThreshold: c.slow_call_rate_threshold,
  };
}

/** The input for one model on one host, from the validated config. Throws if either is unknown. */
export function modelInputFrom(
  config: Pick<Config, 'circuit' | 'models' | 'hosts' | 'load' | 'preload'>,
  hostName: string,
  modelName: string,
  now: number,
): ModelInput {
  const spec = config.models[modelName];
  if (!spec) throw new Error(`unknown model ${modelName}`);
  if (!config.hosts.some((h) => h.name === hostName)) throw new Error(`unknown host ${hostName}`);
  return {
    id: `${hostName}/${modelName}`,
    model: modelName,
    host: hostName,
    sizeGb: spec.size_gb,
    loadTimeMs: spec.load_time_s * 1000,
    circuit: circuitConfigFrom(config),
    loadTimeoutMs: config.load.timeout_s * 1000,
    demandHalfLifeMs: config.preload.demand_half_life_s * 1000,
    now,
  };
}

/**
 * The first context. Returned through a spread on purpose: XState copies the context with
 * `Object.assign({}, context, patch)` on every assign, and V8 (Node 20) keeps that copy fast only when
 * the source object was itself made by a spread; from an object literal or JSON.parse, a context of
 * this many keys drops into dictionary mode and each assign costs ~5 µs instead of ~0.4 µs.
 * See withFastContexts for restored snapshots.
 */
export function initialContext(input: ModelInput): ModelContext {
  const literal: ModelContext = {
    id: input.id,
    model: input.model,
    host: input.host,
    sizeGb: input.sizeGb,
    circuit: { ...input.circuit },
    loadTimeoutMs: input.loadTimeoutMs,
    demandHalfLifeMs: input.demandHalfLifeMs,
    now: input.now,
    inFlight: 0,
    probing: 0,
    lastUsed: null,
    demand: 0,
    demandAt: null,
    consecutiveFailures: 0,
    window: emptyWindow(input.circuit.windowSize),
    lastFailure: null,
    latencyEwmaMs: null,
    probeLatencyMs: null,
    answerTokens: null,
    tokenMs: null,
    latencies: [],
    latencyNext: 0,
    loadTimeMs: input.loadTimeMs,
    measuredLoadMs: null,
    loadSamples: 0,
    measuredSizeGb: null,
    sizeSamples: 0,
    tokensPerS: null,
    tokenSamples: 0,
    peers: {},
    loadStartedAt: null,
    loadDeadline: null,
    loadedAt: null,
    resident: false,
    sizeVramGb: null,
    expiresAt: null,
    openUntil: null,
    openedAt: null,
    openReason: null,
    timesOpened: 0,
    openStreak: 0,
    closedAt: null,
    trialsLeft: 0,
    trialsInFlight: 0,
    degradedUntil: null,
  };
  return { ...literal };
}

/**
 * A persisted snapshot (any machine, children included) with every `context` object re-made by a
 * spread, so that actors restored from JSON keep XState's per-assign copy fast (see initialContext).
 * The data is unchanged; call it on what JSON.parse returned, before createActor(..., { snapshot }).
 */
export function withFastContexts<T>(persisted: T): T {
  if (persisted === null || typeof persisted !== 'object') return persisted;
  const s = persisted as Record<string, unknown>;
  const out: Record<string, unknown> = { ...s };
  if (s['context'] !== null && typeof s['context'] === 'object' && !Array.isArray(s['context'])) {
    out['context'] = { ...(s['context'] as Record<string, unknown>) };
  }
  const children = s['children'];
  if (children !== null && typeof children === 'object') {
    const revived: Record<string, unknown> = {};
    for (const [id, child] of Object.entries(children as Record<string, unknown>)) {
      const c = child as Record<string, unknown> | null;
      revived[id] =
        c && typeof c === 'object' && 'snapshot' in c
          ? { ...c, snapshot: withFastContexts(c['snapshot']) }
          : c;
    }
    out['children'] = revived;
  }
  return out as T;
}
