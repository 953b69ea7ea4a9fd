import type { CancelSignal } from './cancel-signal.ts';
import type { AttemptDetail } from './completion.ts';

export interface EmbedRequest {
  /** A concrete embedding model, 'auto' or 'auto:embed' (the embed chain). */
  model?: string;
  input: string[];
  /** Truncate inputs longer than the context (Ollama's default true). */
  truncate?: boolean;
  dimensions?: number;
  options?: Record<string, unknown>;
  requestId?: string;
  signal?: CancelSignal;
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
