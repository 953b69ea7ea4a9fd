import type { FaultKind, FaultSpec } from '../../src/simulator/index.ts';

/**
 * Every simulator fault kind with parameters that bite at the bench's time scale (fault durations are
 * real milliseconds: scaledConfig leaves the simulator's own time scale at 1). `rate` spreads the fault
 * over a share of the matching requests; `host_restart` is an event, so it fires once.
 */
export function faultFor(
  kind: FaultKind,
  scale: number,
  scope: { rate?: number; model?: string } = {},
): FaultSpec {
  const base: FaultSpec = { kind, ...(scope.model !== undefined && { model: scope.model }) };
  const rated = scope.rate !== undefined ? { ...base, rate: scope.rate } : base;
  switch (kind) {
    case 'latency':
      // Twice the interactive deadline (5 s real-world).
      return { ...rated, ms: 10_000 * scale };
    case 'slow_tokens':
      return { ...rated, factor: 8 };
    case 'cut_stream':
      return { ...rated, after_tokens: 2 };
    case 'http_500':
      return rated;
    case 'load_timeout':
      return { ...rated, ms: 4000 * scale };
    case 'host_restart':
      return { ...base, count: 1, down_ms: 3000 * scale };
    default:
      return rated;
  }
}

/** Pairs of faults that hit together in the chaos matrix (the combinations seen in practice). */
export const COMBINATIONS: ReadonlyArray<readonly FaultKind[]> = [
  ['refuse', 'http_500'],
  ['hang', 'busy_503'],
  ['oom_on_load', 'load_timeout', 'missing'],
  ['slow_tokens', 'stall_after_first_token', 'cut_stream', 'garbage'],
  ['latency', 'host_restart', 'http_500'],
];
