import type { TaskType, Urgency } from '../config/schema.ts';
import type { CancelSignal } from './cancel-signal.ts';
import type { CompletionRequest, CompletionResult } from './completion.ts';
import type { EmbedRequest, EmbedResult } from './embedding.ts';
import type { HealthResult } from './health-result.ts';
import type { PreloadResult } from './preload-result.ts';
import type { ModelView, StatusView } from './status-view.ts';

/**
 * The manager's public, in-process API. The HTTP layer is one client of it; library users are another
 * (the seed's `complete_with_fallback`, `preload_model`, `get_prometheus_metrics`).
 */
export interface Manager {
  complete(request: CompletionRequest): Promise<CompletionResult>;
  /** The seed's name for `complete` with a plain prompt. */
  completeWithFallback(input: {
    prompt: string;
    taskType?: TaskType;
    urgency?: Urgency;
    model?: string;
    signal?: CancelSignal;
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
