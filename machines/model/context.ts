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
  config: Pick<Config, 'circuit' | 'models' | 'hosts' | 'load'>,
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
    now,
  };
}

export function initialContext(input: ModelInput): ModelContext {
  return {
    id: input.id,
    model: input.model,
    host: input.host,
    sizeGb: input.sizeGb,
    circuit: { ...input.circuit },
    loadTimeoutMs: input.loadTimeoutMs,
    now: input.now,
    inFlight: 0,
    lastUsed: null,
    consecutiveFailures: 0,
    window: emptyWindow(input.circuit.windowSize),
    lastFailure: null,
    latencyEwmaMs: null,
    latencies: [],
    latencyNext: 0,
    loadTimeMs: input.loadTimeMs,
    measuredLoadMs: null,
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
}
