import { circuitConfigFrom, modelInputFrom } from '../../machines/model/context.ts';
import type { SupervisorInput } from '../../machines/supervisor/types.ts';
import type { Config } from '../config/schema.ts';
import type { EvictionPolicyName } from '../policy/planner.ts';

/** The models the config puts on a host: its own list, else the whole catalog. */
export function modelsOnHost(config: Readonly<Config>, host: Config['hosts'][number]): string[] {
  return host.models ? [...host.models] : Object.keys(config.models);
}

/** The supervisor's first context, from the validated config (hosts, configured models, warm set). */
export function supervisorInputFrom(
  config: Readonly<Config>,
  now: number,
  evictionPolicy: EvictionPolicyName = 'value',
): SupervisorInput {
  const hosts = config.hosts.map((h) => ({
    name: h.name,
    url: h.url,
    budgetGb: h.vram_gb,
    maxLoadedModels: h.max_loaded_models,
    numParallel: h.num_parallel,
  }));
  const models = config.hosts.flatMap((h) =>
    modelsOnHost(config, h).map((m) => modelInputFrom(config, h.name, m, now)),
  );
  const pinned = config.hosts.flatMap((h) =>
    config.warm_set.filter((m) => modelsOnHost(config, h).includes(m)).map((m) => `${h.name}/${m}`),
  );
  return {
    hosts,
    models,
    pinned,
    evictionPolicy,
    loadTimeoutMs: config.load.timeout_s * 1000,
    modelDefaults: {
      circuit: circuitConfigFrom(config),
      loadTimeoutMs: config.load.timeout_s * 1000,
      demandHalfLifeMs: config.preload.demand_half_life_s * 1000,
    },
    now,
  };
}
