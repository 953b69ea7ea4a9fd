/** What one simulated host allows the scheduler: its VRAM, slots, resident models and queue. */
export interface HostLimits {
  budgetBytes: number;
  numParallel: number;
  maxLoaded: number;
  maxQueue: number;
  defaultKeepAliveMs: number;
  version: string;
}
