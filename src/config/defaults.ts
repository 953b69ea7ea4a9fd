import type { Config } from './schema.ts';

/**
 * The seed's catalog and thresholds. Sizes and load times the seed gives are used as written
 * (qwen2.5-coder:32b 20 GB / 35 s, deepseek-r1:32b 18 GB / 30 s, llama3.1:70b 40 GB / 90 s,
 * deepseek-r1:14b 9 GB / 15 s, llama3.2:8b 5 GB / 8 s, llama3.2:3b 2.5 GB / 4 s). The seed is silent on
 * deepseek-coder:latest (6.7B, ~3.8 GB at q4) and tinyllama:latest (1.1B, ~0.64 GB): those figures are
 * the published model sizes with load times scaled like the others. Token rates are typical of a 16 GB
 * card and only feed estimates until real latencies are measured.
 */
export const DEFAULT_MODELS: Config['models'] = {
  'qwen2.5-coder:32b': {
    size_gb: 20,
    load_time_s: 35,
    tokens_per_s: 14,
    strengths: ['code_generation', 'code_review'],
    family: 'qwen2',
    parameter_size: '32.8B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'tools', 'insert'],
    context_length: 32768,
  },
  'deepseek-coder:latest': {
    size_gb: 3.8,
    load_time_s: 6,
    tokens_per_s: 55,
    strengths: ['code_generation'],
    family: 'llama',
    parameter_size: '7B',
    quantization_level: 'Q4_0',
    capabilities: ['completion', 'insert'],
    context_length: 16384,
  },
  'deepseek-r1:32b': {
    size_gb: 18,
    load_time_s: 30,
    tokens_per_s: 15,
    strengths: ['reasoning', 'code_review'],
    family: 'qwen2',
    parameter_size: '32.8B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'thinking'],
    context_length: 131072,
  },
  'deepseek-r1:14b': {
    size_gb: 9,
    load_time_s: 15,
    tokens_per_s: 32,
    strengths: ['reasoning', 'general'],
    family: 'qwen2',
    parameter_size: '14.8B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'thinking'],
    context_length: 131072,
  },
  'llama3.2:8b': {
    size_gb: 5,
    load_time_s: 8,
    tokens_per_s: 48,
    strengths: ['general', 'simple'],
    family: 'llama',
    parameter_size: '8.0B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'tools'],
    context_length: 131072,
  },
  'llama3.2:3b': {
    size_gb: 2.5,
    load_time_s: 4,
    tokens_per_s: 90,
    strengths: ['fast_response', 'simple'],
    family: 'llama',
    parameter_size: '3.2B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'tools'],
    context_length: 131072,
  },
  'tinyllama:latest': {
    size_gb: 0.64,
    load_time_s: 2,
    tokens_per_s: 160,
    strengths: ['fast_response'],
    family: 'llama',
    parameter_size: '1B',
    quantization_level: 'Q4_0',
    capabilities: ['completion'],
    context_length: 2048,
  },
  'llama3.1:70b': {
    size_gb: 40,
    load_time_s: 90,
    tokens_per_s: 4,
    strengths: ['complex', 'creative'],
    family: 'llama',
    parameter_size: '70.6B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'tools'],
    context_length: 131072,
  },
  // Not in the seed: an embedding model, so /api/embed and /v1/embeddings work out of the box. Embedding
  // models serve only the `embed` chain, never a chat chain.
  'nomic-embed-text:latest': {
    size_gb: 0.27,
    load_time_s: 1,
    tokens_per_s: 2000,
    strengths: ['embed'],
    family: 'nomic-bert',
    parameter_size: '137M',
    quantization_level: 'F16',
    capabilities: ['embedding'],
    context_length: 2048,
  },
};

/**
 * code_generation and fast_response are the seed's chains verbatim (order and scores). The seed names
 * the other task types without chains; these follow each model's stated strength.
 */
export const DEFAULT_CHAINS: Config['chains'] = {
  code_generation: [
    { model: 'qwen2.5-coder:32b', quality: 0.95 },
    { model: 'deepseek-coder:latest', quality: 0.88 },
    { model: 'deepseek-r1:32b', quality: 0.8 },
    { model: 'deepseek-r1:14b', quality: 0.65 },
    { model: 'llama3.2:8b', quality: 0.5 },
  ],
  code_review: [
    { model: 'qwen2.5-coder:32b', quality: 0.95 },
    { model: 'deepseek-r1:32b', quality: 0.9 },
    { model: 'deepseek-coder:latest', quality: 0.82 },
    { model: 'deepseek-r1:14b', quality: 0.72 },
    { model: 'llama3.2:8b', quality: 0.5 },
  ],
  reasoning: [
    { model: 'deepseek-r1:32b', quality: 0.95 },
    { model: 'llama3.1:70b', quality: 0.9 },
    { model: 'deepseek-r1:14b', quality: 0.82 },
    { model: 'llama3.2:8b', quality: 0.55 },
    { model: 'llama3.2:3b', quality: 0.4 },
  ],
  complex: [
    { model: 'llama3.1:70b', quality: 0.95 },
    { model: 'deepseek-r1:32b', quality: 0.9 },
    { model: 'qwen2.5-coder:32b', quality: 0.8 },
    { model: 'deepseek-r1:14b', quality: 0.7 },
    { model: 'llama3.2:8b', quality: 0.5 },
  ],
  fast_response: [
    { model: 'llama3.2:3b', quality: 0.95 },
    { model: 'tinyllama:latest', quality: 1.0 },
    { model: 'llama3.2:8b', quality: 0.9 },
  ],
  simple: [
    { model: 'llama3.2:8b', quality: 0.9 },
    { model: 'llama3.2:3b', quality: 0.85 },
    { model: 'deepseek-r1:14b', quality: 0.8 },
    { model: 'tinyllama:latest', quality: 0.6 },
  ],
  creative: [
    { model: 'llama3.1:70b', quality: 0.95 },
    { model: 'deepseek-r1:14b', quality: 0.75 },
    { model: 'llama3.2:8b', quality: 0.7 },
    { model: 'llama3.2:3b', quality: 0.55 },
  ],
  embed: [{ model: 'nomic-embed-text:latest', quality: 0.8 }],
  general: [
    { model: 'llama3.2:8b', quality: 0.85 },
    { model: 'deepseek-r1:14b', quality: 0.85 },
    { model: 'llama3.2:3b', quality: 0.7 },
    { model: 'tinyllama:latest', quality: 0.5 },
  ],
};

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';

export function defaultConfig(): Config {
  return {
    server: {
      host: '127.0.0.1',
      port: 8309,
      body_limit_bytes: 1_048_576,
      body_timeout_s: 30,
      rate_limit_per_minute: 0,
      log_level: 'info',
    },
    state_dir: './data',
    simulate: 'auto',
    hosts: [{ name: 'local', url: DEFAULT_OLLAMA_URL, vram_gb: 16, num_parallel: 1, max_loaded_models: 3 }],
    models: structuredClone(DEFAULT_MODELS),
    chains: structuredClone(DEFAULT_CHAINS),
    warm_set: ['llama3.2:3b'],
    circuit: {
      failure_threshold: 5,
      recovery_timeout_s: 60,
      recovery_timeout_max_s: 300,
      recovery_multiplier: 2,
      half_open_max_calls: 1,
      window_size: 20,
      minimum_calls: 10,
      failure_rate_threshold: 0.5,
      slow_call_s: 20,
      slow_call_rate_threshold: 0.5,
    },
    health: { ttl_s: 30, probe_timeout_s: 10, probe_interval_s: 30 },
    retry: {
      base_delay_s: 1,
      max_delay_s: 4,
      max_attempts_per_model: 3,
      budget_ratio: 0.2,
      budget_window_s: 10,
      budget_min_retries: 3,
    },
    deadlines: { interactive_s: 5, background_s: 30, batch_s: 900 },
    load: { timeout_s: 300, keep_alive: '-1' },
    selection: {
      out_of_chain_fallback: true,
      expected_output_tokens: 64,
      partial_offload_slowdown: 4,
      giant_quiet_s: 600,
    },
    // Predictive preloading is on: on the simulated day it lifts delivered quality (the afternoon's reasoning
    // model is loaded before the afternoon's interactive questions arrive) at a fraction of the load time saved.
    preload: { predictive: true, interval_s: 60, demand_half_life_s: 600 },
    host_health: { probe_timeout_s: 1, probe_interval_s: 0.5, down_wait_s: 2 },
    shared_state: { redis_url: null, replica_id: null, namespace: 'rmm', lease_s: 3 },
    reconcile_interval_s: 15,
    stream_idle_timeout_s: 30,
    simulator: {
      seed: 42,
      time_scale: 1,
      max_queue: 512,
      default_keep_alive: '5m',
      version: '0.12.0',
      port: 11434,
    },
  };
}
