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
