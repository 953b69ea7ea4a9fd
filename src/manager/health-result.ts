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
