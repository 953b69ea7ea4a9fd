import type { TaskType, Urgency } from '../config/schema.ts';

/**
 * The manager's public, in-process API. The HTTP layer is one client of it; library users are another
 * (the seed's `complete_with_fallback`, `preload_model`, `get_prometheus_metrics`).
 */

/** A tool call as Ollama carries it: arguments are an object (OpenAI's are a JSON string). */
export interface ToolCall {
  /** Ollama ≥ 0.12 numbers calls; kept when present. */
  id?: string;
  function: { name: string; arguments: Record<string, unknown>; index?: number };
}

/** A chat message, Ollama's fields; anything else a client sends rides along in the passthrough. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  /** Calls the assistant made (in a history the client sends back). */
  tool_calls?: ToolCall[];
  /** On a `tool` message: which tool this is the result of. */
  tool_name?: string;
  /** The assistant's reasoning (think-capable models). */
  thinking?: string;
  [field: string]: unknown;
}

/** One streamed piece of an answer, in Ollama's own chunk shape (generate or chat). */
export interface UpstreamChunk {
  model: string;
  created_at: string;
  response?: string;
  /** generate with think: the reasoning, apart from the answer. */
  thinking?: string;
  message?: { role: 'assistant'; content: string; thinking?: string; tool_calls?: ToolCall[] };
  done: boolean;
  done_reason?: string;
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
  context?: number[];
}

export interface CompletionRequest {
  /** 'generate' sends `prompt`, 'chat' sends `messages`. */
  kind: 'generate' | 'chat';
  prompt?: string;
  messages?: ChatMessage[];
  system?: string;
  /** Passed to Ollama as is (temperature, num_predict, ...). */
  options?: Record<string, unknown>;
  /** "json" or a JSON schema. */
  format?: unknown;
  /** Tools the model may call (chat), in Ollama's shape; only tool-capable models are chosen. */
  tools?: unknown[];
  /** Reasoning on (true, or a level such as "high"); only think-capable models are chosen. */
  think?: boolean | string;
  /** generate only, passed as is: fill-in-the-middle suffix (insert-capable models), images, raw mode... */
  suffix?: string;
  images?: string[];
  raw?: boolean;
  template?: string;
  context?: number[];
  /** Fields this code does not know, passed through to Ollama unchanged (a newer client's, say). */
  extra?: Record<string, unknown>;
  /** A concrete model name (tried first, then its chain), 'auto', or 'auto:<task>'. */
  model?: string;
  taskType?: TaskType;
  urgency?: Urgency;
  /**
   * The client's own deadline (ms from now; the x-rmm-deadline-ms header): past it the request fails with
   * RMM_DEADLINE_EXCEEDED instead of waiting for a late answer. Without it a late answer is always waited for.
   */
  deadlineMs?: number;
  requestId?: string;
  signal?: AbortSignal;
  /** When set, the answer is streamed: every chunk is handed over as it arrives. */
  /** Each streamed chunk; `raw` is its line as Ollama sent it (absent on the final one), to pass through as is. */
  onChunk?: (chunk: UpstreamChunk, raw?: string) => void;
}

export interface AttemptDetail {
  model: string;
  host: string;
  outcome: 'success' | 'failure' | 'skipped' | 'cancelled';
  error_class?: 'TRANSIENT' | 'DEGRADED' | 'FATAL' | 'CLIENT' | 'CANCELLED';
  error?: string;
  latency_ms: number;
  retry: number;
}

export interface Classification {
  task_type: TaskType;
  confidence: number;
  matched: string[];
  source: 'given' | 'classified' | 'default' | 'model';
}

export interface CompletionResult {
  request_id: string;
  response: string;
  model_used: string;
  host: string;
  fallback_used: boolean;
  attempts: number;
  latency_ms: number;
  selection_reason: string;
  task_type: TaskType;
  urgency: Urgency;
  classification: Classification;
  attempts_detail: AttemptDetail[];
  /** The final upstream chunk (metrics, done_reason), as Ollama sent it. */
  final: UpstreamChunk;
  /** The model's reasoning, when think was asked and the model gave it. */
  thinking?: string;
  /** Tools the model called (chat), gathered from the whole answer. */
  tool_calls?: ToolCall[];
  /** An embedding request's vectors (Manager.embed; never set on completions). */
  embeddings?: number[][];
  /** How long after the urgency's deadline the answer came (absent when in time). */
  late_ms?: number;
}

export interface EmbedRequest {
  /** A concrete embedding model, 'auto' or 'auto:embed' (the embed chain). */
  model?: string;
  input: string[];
  /** Truncate inputs longer than the context (Ollama's default true). */
  truncate?: boolean;
  dimensions?: number;
  options?: Record<string, unknown>;
  requestId?: string;
  signal?: AbortSignal;
}

export interface EmbedResult {
  request_id: string;
  model_used: string;
  host: string;
  embeddings: number[][];
  fallback_used: boolean;
  attempts: number;
  latency_ms: number;
  selection_reason: string;
  attempts_detail: AttemptDetail[];
  prompt_eval_count?: number;
  total_duration?: number;
  load_duration?: number;
}

export interface HealthResult {
  model_name: string;
  host: string;
  healthy: boolean;
  /** false: the model was not tested (not loaded and not forced, or no free slot); `detail` says why. */
  tested: boolean;
  state: string;
  cached: boolean;
  checked_at: string | null;
  latency_ms: number | null;
  detail: string;
}

export interface PreloadResult {
  model_name: string;
  host: string;
  /** refused: it would have to evict the warm set and `force` was not given (nothing changed). */
  status: 'loaded' | 'loading' | 'already_loaded' | 'refused';
  evicted: string[];
  /** With status refused: what loading it would evict. */
  would_evict?: string[];
  reason: string;
}

export interface ModelView {
  id: string;
  name: string;
  host: string;
  state: string;
  size_gb: number;
  load_time_s: number;
  strengths: string[];
  chains: Array<{ task_type: TaskType | string; position: number; quality: number }>;
  in_flight: number;
  latency_ewma_ms: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  /** The last health probe's latency (one token: a sign of life, not an answer's time). */
  probe_latency_ms: number | null;
  last_used: string | null;
  /** In memory on its host now (the supervisor's ledger). */
  resident: boolean;
  /** GPU memory it takes while loaded or loading (the ledger), else null. */
  vram_gb: number | null;
  /** What planning uses, each with its source (config < discovered < measured) and sample count. */
  estimates: {
    vram_gb: EstimateView;
    load_s: EstimateView;
    tokens_per_s: EstimateView;
  };
  /** Decayed request count (what eviction calls demand). */
  demand: number;
  /** Where the model is known from: the config, or discovery on its host (a model the config does not name). */
  origin: 'config' | 'discovered';
  /** What its host says of it (/api/tags, /api/show), else what the config says. */
  details: {
    family: string | null;
    parameter_size: string | null;
    quantization_level: string | null;
    capabilities: string[];
    context_length: number | null;
  };
}

export interface EstimateView {
  value: number;
  source: 'config' | 'discovered' | 'measured';
  samples: number;
}

export interface HostHealthView {
  status: 'unknown' | 'up' | 'down';
  since: string | null;
  reason: string | null;
  outages: number;
  /** The Ollama version the host reported. */
  version: string | null;
}

export interface CircuitView {
  id: string;
  model: string;
  host: string;
  state: string;
  available: boolean;
  is_open: boolean;
  failure_count: number;
  times_opened: number;
  retry_at: string | null;
}

export interface HostView {
  name: string;
  url: string;
  backend: 'real' | 'simulated';
  reachable: boolean;
  health: HostHealthView;
  vram_budget_gb: number;
  vram_used_gb: number;
  loaded: string[];
  loading: string[];
  unloading: string[];
  /** Models another client loaded there: they take room and are never evicted by us. */
  foreign: Array<{ name: string; vram_gb: number }>;
  /** Loads wanted but waiting for room. */
  waiting: Array<{ model: string; mode: string; urgency: string; request_id?: string }>;
}

export interface PersistenceStatus {
  state_file: string;
  last_saved_at: string | null;
  /** 'fresh', 'restored' or 'quarantined' (the file was moved aside and the service started fresh). */
  last_load: string;
  quarantined: string | null;
  journal_records: number;
  last_error: string | null;
}

/** How this replica coordinates with others: alone (`embedded`), or through Redis (`shared_state`). */
export type SharedStateStatus =
  | { mode: 'embedded' }
  | {
      mode: 'redis';
      replica: string;
      redis: { url: string; connected: boolean; since: string; last_error: string | null };
      /** Redis away: this replica plans every host itself until it returns. */
      fallback: boolean;
      lease_s: number;
      /** Per host: the replica holding its planner lease, the lease's fencing token, and whether it is us. */
      planners: Record<string, { replica: string | null; token: number; this_replica: boolean }>;
    };

export interface StatusView {
  backend: 'real' | 'simulated';
  started_at: string;
  uptime_s: number;
  models: ModelView[];
  circuits: CircuitView[];
  hosts: HostView[];
  recent_decisions: Array<{ at: string; request_id?: string; kind: string; message: string }>;
  /** The chains in effect, each with where it comes from and the rule that built it. */
  chains: Array<{
    task: string;
    source: 'config' | 'built';
    rule: string;
    chain: Array<{ model: string; quality: number }>;
  }>;
  /** Failures of the actor system itself (a bug): null while there is none. */
  last_error: string | null;
  /** Where state is saved and how the last start went (absent without a state folder). */
  persistence?: PersistenceStatus;
  /** Replicas sharing the fleet through Redis, or `embedded` (one process, the default). */
  shared_state: SharedStateStatus;
  /** The seed's model_state.json view. */
  model_state: {
    circuits: Record<string, { is_open: boolean; failure_count: number }>;
    saved_at: string | null;
  };
}

export interface Manager {
  complete(request: CompletionRequest): Promise<CompletionResult>;
  /** The seed's name for `complete` with a plain prompt. */
  completeWithFallback(input: {
    prompt: string;
    taskType?: TaskType;
    urgency?: Urgency;
    model?: string;
    signal?: AbortSignal;
  }): Promise<CompletionResult>;
  /** Loads a model now. Without `force` it never evicts the warm set (status `refused` says what it would). */
  preloadModel(name: string, options?: { force?: boolean }): Promise<PreloadResult>;
  /** Embeddings through the embed chain, with the same resilience as completions. */
  embed(request: EmbedRequest): Promise<EmbedResult>;
  checkHealth(name: string, force?: boolean): Promise<HealthResult>;
  status(): StatusView;
  models(): ModelView[];
  /** True when at least one model can take traffic now. */
  ready(): boolean;
  /** Model names known to the catalog (for /api/tags and /v1/models). */
  catalog(): string[];
  /** The lowest Ollama version across the hosts (what /api/version answers); undefined until one answers. */
  upstreamVersion(): string | undefined;
  prometheusMetrics(): Promise<string>;
  close(): Promise<void>;
}
