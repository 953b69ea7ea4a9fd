import { type Static, Type } from 'typebox';

/**
 * The whole configuration document, as written in YAML or JSON. Keys are snake_case like the seed's
 * own vocabulary (failure_threshold, recovery_timeout). Every duration is in seconds (fractions allowed)
 * so tests can shrink any timing without a second unit system.
 */

const Seconds = (description: string, def: number) =>
  Type.Number({ minimum: 0, description: `${description} (seconds, default ${def})` });

export const TASK_TYPES = [
  'code_generation',
  'code_review',
  'reasoning',
  'complex',
  'fast_response',
  'simple',
  'creative',
  'general',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const URGENCIES = ['interactive', 'background', 'batch'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const ModelSpecSchema = Type.Object(
  {
    size_gb: Type.Number({ exclusiveMinimum: 0, description: 'memory the loaded model takes (GB)' }),
    load_time_s: Seconds('cold load time on its host, before any measurement', 10),
    tokens_per_s: Type.Number({ exclusiveMinimum: 0, description: 'generation rate when fully on GPU' }),
    strengths: Type.Array(Type.String(), { description: 'task types this model is good at' }),
    family: Type.Optional(Type.String()),
    parameter_size: Type.Optional(Type.String()),
    quantization_level: Type.Optional(Type.String()),
    context_length: Type.Optional(Type.Integer({ minimum: 1 })),
    capabilities: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Literal('completion'),
          Type.Literal('tools'),
          Type.Literal('thinking'),
          Type.Literal('insert'),
          Type.Literal('vision'),
          Type.Literal('embedding'),
        ]),
        { description: "Ollama's words; what /api/show reports wins when the host says" },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ModelSpec = Static<typeof ModelSpecSchema>;

export const ChainEntrySchema = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    quality: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type ChainEntry = Static<typeof ChainEntrySchema>;

export const HostSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }),
    url: Type.String({ pattern: '^https?://' }),
    vram_gb: Type.Number({ exclusiveMinimum: 0 }),
    num_parallel: Type.Integer({ minimum: 1, description: 'requests one loaded model serves at once' }),
    max_loaded_models: Type.Integer({ minimum: 1 }),
    models: Type.Optional(Type.Array(Type.String(), { description: 'models on this host; default: all' })),
  },
  { additionalProperties: false },
);
export type HostConfig = Static<typeof HostSchema>;

export const ConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65535 }),
        api_key: Type.Optional(Type.String({ minLength: 8 })),
        body_limit_bytes: Type.Integer({ minimum: 1024 }),
        body_timeout_s: Seconds('a request body that has not fully arrived by then gets a 408', 30),
        rate_limit_per_minute: Type.Integer({ minimum: 0, description: 'per token; 0 disables' }),
        log_level: Type.Union([
          Type.Literal('fatal'),
          Type.Literal('error'),
          Type.Literal('warn'),
          Type.Literal('info'),
          Type.Literal('debug'),
          Type.Literal('trace'),
          Type.Literal('silent'),
        ]),
      },
      { additionalProperties: false },
    ),
    state_dir: Type.String({ minLength: 1 }),
    /** auto: simulate only when no host is configured and nothing answers at the default Ollama address. */
    simulate: Type.Union([Type.Literal('auto'), Type.Literal('always'), Type.Literal('never')]),
    hosts: Type.Array(HostSchema, { minItems: 1 }),
    models: Type.Record(Type.String({ minLength: 1 }), ModelSpecSchema),
    chains: Type.Record(Type.String({ minLength: 1 }), Type.Array(ChainEntrySchema, { minItems: 1 })),
    warm_set: Type.Array(Type.String(), { description: 'models loaded at start and never evicted' }),
    circuit: Type.Object(
      {
        failure_threshold: Type.Integer({ minimum: 1 }),
        recovery_timeout_s: Seconds('how long an open circuit stays open the first time', 60),
        recovery_timeout_max_s: Seconds('cap for the growing open time on repeated openings', 600),
        recovery_multiplier: Type.Number({ minimum: 1 }),
        half_open_max_calls: Type.Integer({ minimum: 1 }),
        window_size: Type.Integer({ minimum: 1 }),
        minimum_calls: Type.Integer({ minimum: 1 }),
        failure_rate_threshold: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
        slow_call_s: Seconds('a call slower than this counts as slow', 20),
        slow_call_rate_threshold: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
      },
      { additionalProperties: false },
    ),
    health: Type.Object(
      {
        ttl_s: Seconds('how long a probe result is trusted', 30),
        probe_timeout_s: Seconds('one probe inference', 10),
        probe_interval_s: Seconds('background probing of loaded and open models', 30),
      },
      { additionalProperties: false },
    ),
    retry: Type.Object(
      {
        base_delay_s: Seconds('first backoff delay', 1),
        max_delay_s: Seconds('largest backoff delay', 4),
        max_attempts_per_model: Type.Integer({ minimum: 1 }),
        budget_ratio: Type.Number({ minimum: 0, maximum: 10 }),
        budget_window_s: Seconds('window over which the retry budget is counted', 10),
        budget_min_retries: Type.Integer({ minimum: 0, description: 'retries always allowed per window' }),
      },
      { additionalProperties: false },
    ),
    deadlines: Type.Object(
      {
        interactive_s: Seconds('interactive deadline', 5),
        background_s: Seconds('background deadline', 30),
        batch_s: Seconds('batch deadline (quality first)', 900),
      },
      { additionalProperties: false },
    ),
    load: Type.Object(
      {
        timeout_s: Seconds('a load that has not finished by then is abandoned', 300),
        keep_alive: Type.String({
          description: 'keep_alive sent with our loads (Go duration; "-1" forever)',
        }),
      },
      { additionalProperties: false },
    ),
    selection: Type.Object(
      {
        out_of_chain_fallback: Type.Boolean({
          description:
            'answer from the best loaded model outside the chain when no chain model can meet the deadline',
        }),
        expected_output_tokens: Type.Integer({ minimum: 1 }),
        partial_offload_slowdown: Type.Number({ minimum: 1 }),
        giant_quiet_s: Seconds(
          'background and batch work may push the warm set out (to load a model that cannot fit beside it) only after this long without an interactive request; 0: whenever',
          600,
        ),
      },
      { additionalProperties: false },
    ),
    preload: Type.Object(
      {
        predictive: Type.Boolean(),
        interval_s: Seconds('how often predictive preloading looks at demand', 60),
        demand_half_life_s: Seconds(
          'half-life of the decayed request counts eviction and preloading read',
          600,
        ),
      },
      { additionalProperties: false },
    ),
    host_health: Type.Object(
      {
        probe_timeout_s: Seconds('GET /api/version must answer within this for a host to count as up', 1),
        probe_interval_s: Seconds('how often a host that is down is probed', 0.5),
        down_wait_s: Seconds(
          'how long a request whose every candidate is on a down host waits for one to answer again',
          2,
        ),
      },
      { additionalProperties: false },
    ),
    shared_state: Type.Object(
      {
        redis_url: Type.Union([Type.Null(), Type.String({ pattern: '^rediss?://' })], {
          description: 'replicas coordinate through this Redis; null: one process, nothing shared',
        }),
        replica_id: Type.Union([Type.Null(), Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$' })], {
          description: "this replica's name in Redis and in its journal; null: host name and pid",
        }),
        namespace: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_.:-]+$' }),
        lease_s: Seconds("a host's planner lease; a replica that dies loses it after this", 3),
      },
      { additionalProperties: false },
    ),
    reconcile_interval_s: Seconds('how often /api/ps is compared with our ledger', 15),
    stream_idle_timeout_s: Seconds('a stream silent this long after its first token is cut and reported', 30),
    simulator: Type.Object(
      {
        seed: Type.Integer(),
        time_scale: Type.Number({ exclusiveMinimum: 0, description: '0.001 makes a 35 s load take 35 ms' }),
        max_queue: Type.Integer({ minimum: 1 }),
        default_keep_alive: Type.String(),
        version: Type.String(),
        port: Type.Integer({
          minimum: 0,
          maximum: 65535,
          description:
            "the built-in simulator's port (11434, Ollama's own, so examples work as written); taken: any free port; 0: any free port",
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
