import { round } from './lib/stats.ts';

export const TARGET_NAMES = ['direct', 'proxy', 'service'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
export const ENDPOINTS = ['generate', 'chat', 'openai'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export const MODES = ['non_streaming', 'streaming'] as const;
export type Mode = (typeof MODES)[number];
export const CONNECTIONS = [1, 10, 64] as const;

/** A figure over the repeats of a cell: the median and the spread (lowest, highest). */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[], digits = 2): Spread {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { median: round(mid, digits), min: round(s[0]!, digits), max: round(s.at(-1)!, digits) };
}

/** One repeat of one target in one cell. */
export interface Run {
  req_per_s: number;
  cpu_us_per_req: number;
  backend_cpu_us_per_req: number;
  /** Whole response (non-streaming) or first body byte (streaming). */
  p50_us: number;
  p99_us: number;
  failed: number;
}

export interface CellKey {
  endpoint: Endpoint;
  mode: Mode;
  connections: number;
}

export interface OverheadCell extends CellKey {
  target: TargetName;
  requests: number;
  failed: number;
  req_per_s: Spread;
  cpu_us_per_req: Spread;
  backend_cpu_us_per_req: Spread;
  p50_us: Spread;
  p99_us: Spread;
}

/** The service against the floor (the bare proxy) and against the simulator answering directly. */
export interface OverheadRatio extends CellKey {
  cpu_vs_floor: Spread;
  req_per_s_vs_floor: Spread;
  p50_added_us_vs_direct: Spread;
  p99_vs_floor: Spread;
}

export interface Memory {
  idle_rss_mb: Record<TargetName, number>;
  peak_rss_mb: Record<TargetName, number>;
}

export interface Target {
  name: string;
  goal: string;
  value: number;
  met: boolean;
  note: string;
}

/** Each ratio computed per repeat (service and floor measured side by side), then summarised. */
export function ratioOf(key: CellKey, runs: Record<TargetName, Run[]>): OverheadRatio {
  const per = (f: (r: number) => number) => spread(runs.service.map((_, r) => f(r)));
  return {
    ...key,
    cpu_vs_floor: per((r) => runs.service[r]!.cpu_us_per_req / runs.proxy[r]!.cpu_us_per_req),
    req_per_s_vs_floor: per((r) => runs.service[r]!.req_per_s / runs.proxy[r]!.req_per_s),
    p50_added_us_vs_direct: spread(
      runs.service.map((s, r) => s.p50_us - runs.direct[r]!.p50_us),
      0,
    ),
    p99_vs_floor: per((r) => runs.service[r]!.p99_us / runs.proxy[r]!.p99_us),
  };
}

export function judge(ratios: OverheadRatio[], memory: Memory, restartMs: Spread | undefined): Target[] {
  const worst = (rs: OverheadRatio[], f: (r: OverheadRatio) => number, max: boolean) => {
    const v = rs.map(f);
    const x = max ? Math.max(...v) : Math.min(...v);
    const at = rs[v.indexOf(x)]!;
    return { x, where: `${at.endpoint} ${at.mode === 'streaming' ? 'stream' : 'whole'} c=${at.connections}` };
  };
  const cpu = worst(ratios, (r) => r.cpu_vs_floor.median, true);
  const thr = worst(
    ratios.filter((r) => r.connections === 64),
    (r) => r.req_per_s_vs_floor.median,
    false,
  );
  const one = ratios.filter((r) => r.connections === 1);
  const added = worst(
    one.filter((r) => r.mode === 'non_streaming'),
    (r) => r.p50_added_us_vs_direct.median,
    true,
  );
  const ttfb = worst(
    one.filter((r) => r.mode === 'streaming'),
    (r) => r.p50_added_us_vs_direct.median,
    true,
  );
  const targets: Target[] = [
    atMost(
      'gateway CPU per request vs the floor (worst cell, median of repeats)',
      cpu.x,
      1.5,
      '×',
      cpu.where,
    ),
    atLeast('throughput at 64 connections vs the floor (worst cell)', thr.x, 0.7, '×', thr.where),
    atMost(
      'added p50 at 1 connection vs direct, whole answers (worst endpoint)',
      added.x,
      300,
      ' µs',
      added.where,
    ),
    atMost(
      'added time to first byte at 1 connection vs direct, streaming (worst endpoint)',
      ttfb.x,
      500,
      ' µs',
      ttfb.where,
    ),
    atMost('RSS idle after start (compiled service)', memory.idle_rss_mb.service, 80, ' MB', ''),
    atMost('RSS peak under load (compiled service)', memory.peak_rss_mb.service, 150, ' MB', ''),
  ];
  if (restartMs)
    targets.push(
      atMost('restart to ready with 20 actors restored (median)', restartMs.median, 300, ' ms', ''),
    );
  return targets;
}

function atMost(name: string, value: number, goal: number, unit: string, where: string): Target {
  const met = value <= goal;
  const miss = unit === '×' ? `${round(value / goal, 2)}× the goal` : `by ${round(value - goal, 1)}${unit}`;
  return {
    name,
    goal: `≤ ${goal}${unit}`,
    value,
    met,
    note: [where, met ? '' : `misses ${miss}`].filter(Boolean).join('; '),
  };
}

function atLeast(name: string, value: number, goal: number, unit: string, where: string): Target {
  const met = value >= goal;
  return {
    name,
    goal: `≥ ${goal}${unit}`,
    value,
    met,
    note: [where, met ? '' : `misses: ${round(value / goal, 2)} of the goal`].filter(Boolean).join('; '),
  };
}
