import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from './defaults.ts';
import { validateConfig } from './load.ts';
import type { Config } from './schema.ts';

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/**
 * The seed's catalog with every timing shrunk by `scale` (default 1/1000: a 35 s load takes 35 ms), for
 * tests and benchmarks. `patch` (in real-world units) is merged first, arrays and the models/chains
 * records replaced, so its timings are scaled too.
 */
export function scaledConfig(scale = 0.001, patch: DeepPartial<Config> = {}): Readonly<Config> {
  const c = merge(
    defaultConfig() as unknown as Record<string, unknown>,
    structuredClone(patch) as Record<string, unknown>,
  ) as unknown as Config;
  for (const spec of Object.values(c.models)) {
    spec.load_time_s *= scale;
    spec.tokens_per_s /= scale;
  }
  c.circuit.recovery_timeout_s *= scale;
  c.circuit.recovery_timeout_max_s *= scale;
  c.circuit.slow_call_s *= scale;
  c.health.ttl_s *= scale;
  c.health.probe_timeout_s *= scale;
  c.health.probe_interval_s *= scale;
  c.retry.base_delay_s *= scale;
  c.retry.max_delay_s *= scale;
  c.retry.budget_window_s *= scale;
  c.deadlines.interactive_s *= scale;
  c.deadlines.background_s *= scale;
  c.deadlines.batch_s *= scale;
  c.load.timeout_s *= scale;
  c.preload.interval_s *= scale;
  // Background preloads would move what tests arrange to be loaded: on only when a test asks for it.
  c.preload.predictive = patch.preload?.predictive ?? false;
  c.preload.demand_half_life_s *= scale;
  // Loopback HTTP takes a few ms whatever the scale: a host probe needs that much to tell up from down.
  c.host_health.probe_timeout_s = Math.max(0.25, c.host_health.probe_timeout_s * scale);
  c.host_health.probe_interval_s = Math.max(0.02, c.host_health.probe_interval_s * scale);
  c.host_health.down_wait_s = Math.max(0.3, c.host_health.down_wait_s * scale);
  c.reconcile_interval_s *= scale;
  // A lease shorter than the event loop can stall on these 2 noisy cores would change hands for nothing.
  c.shared_state.lease_s = Math.max(1, c.shared_state.lease_s * scale);
  c.selection.giant_quiet_s *= scale;
  c.stream_idle_timeout_s *= scale;
  // The catalog itself is scaled, so the simulator must not scale it again.
  c.simulator.time_scale = 1;
  // Any free port: a test's simulator on 11434 would look like a real Ollama to every other test.
  c.simulator.port = 0;
  c.server.log_level = 'silent';
  c.server.port = 0;
  // Each test run gets its own state folder: a shared ./data would carry circuits from run to run.
  if (patch.state_dir === undefined) c.state_dir = mkdtempSync(join(tmpdir(), 'rmm-test-state-'));
  return validateConfig(c);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    const cur = base[k];
    const replace =
      k === 'models' || k === 'chains' || Array.isArray(v) || typeof v !== 'object' || v === null;
    base[k] =
      replace || typeof cur !== 'object' || cur === null
        ? v
        : merge(cur as Record<string, unknown>, v as Record<string, unknown>);
  }
  return base;
}
