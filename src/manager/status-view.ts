import type { TaskType } from '../config/schema.ts';

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
