import type { TaskType, Urgency } from '../config/schema.ts';
import type { CancelSignal } from './cancel-signal.ts';

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
  signal?: CancelSignal;
  /**
   * When set, the answer is streamed: every chunk is handed over as it arrives. `raw` is its line as Ollama
   * sent it (absent on the final one), to pass through as is.
   */
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
