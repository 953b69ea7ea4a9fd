import { type BenchChild, startChild } from './lib/child.ts';
import { overheadConfig, pointedAt } from './lib/configs.ts';
import { type ProfileSummary, summariseProfile } from './lib/cpu-profile.ts';
import { runLoad } from './lib/load.ts';
import { cpuSeconds } from './lib/proc.ts';
import { round, Samples, type Summary, summarise } from './lib/stats.ts';

export const TARGET_NAMES = ['direct', 'proxy', 'service'] as const;
type TargetName = (typeof TARGET_NAMES)[number];
const MODES = ['non_streaming', 'streaming'] as const;
type Mode = (typeof MODES)[number];
const CONNECTIONS = [1, 10, 64] as const;

export interface OverheadCell {
  mode: Mode;
  connections: number;
  target: TargetName;
  requests: number;
  failed: number;
  req_per_s: number;
  /** Whole response (non-streaming) or first body byte (streaming), in µs. */
  latency: Summary;
  /** Streaming only: until the last byte. */
  total?: Summary;
  /** CPU of the process that answered the client (the simulator itself for `direct`), per request. */
  cpu_us_per_req: number;
  /** The simulator's CPU per request in every case: the backend's share, the same work for all three. */
  backend_cpu_us_per_req: number;
}

export interface OverheadResult {
  payload: unknown;
  duration_s: number;
  rounds: number;
  cells: OverheadCell[];
  ratios: Array<{
    mode: Mode;
    connections: number;
    cpu_vs_proxy: number;
    req_per_s_vs_proxy: number;
    req_per_s_vs_direct: number;
    p50_added_us_vs_direct: number;
    p50_added_us_vs_proxy: number;
    p99_vs_direct: number;
  }>;
  targets: Array<{ name: string; goal: string; value: number; met: boolean; note: string }>;
}

/** Same body for all three: a named model (the service still selects, journals and meters it). */
function bodyFor(mode: Mode): string {
  return JSON.stringify({
    model: 'llama3.2:3b',
    prompt: 'Say something short about load balancers.',
    stream: mode === 'streaming',
    options: { num_predict: 16 },
  });
}

/**
 * (a) the simulator directly, (b) a bare Fastify + undici proxy to it, (c) the service, each in its own
 * process so /proc gives each its own CPU; the load generator (autocannon) runs here. Cells are run
 * round-robin (direct, proxy, service per connection count) and `rounds` times, so drift on a noisy box
 * hits all three alike.
 */
export async function runOverhead(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<OverheadResult> {
  const durationS = opts.quick ? 2 : 4;
  const rounds = opts.quick ? 1 : 2;
  const config = overheadConfig();
  const sim = await startChild('sim', { config });
  const children: BenchChild[] = [sim];
  try {
    const proxy = await startChild('proxy', { upstream: sim.url });
    children.push(proxy);
    const service = await startChild('service', { config: pointedAt(config, sim.url, 'overhead') });
    children.push(service);
    const targets: Record<TargetName, BenchChild> = { direct: sim, proxy, service };

    const acc = new Map<
      string,
      { ok: number; failed: number; s: number; cpu: number; simCpu: number; lat: Samples; total: Samples }
    >();
    for (const mode of MODES) {
      const body = bodyFor(mode);
      for (const name of TARGET_NAMES) {
        await runLoad({
          url: `${targets[name].url}/api/generate`,
          body,
          connections: 10,
          durationS: opts.quick ? 0.5 : 1,
        });
      }
      for (const connections of CONNECTIONS) {
        for (let r = 0; r < rounds; r++) {
          for (const name of TARGET_NAMES) {
            const target = targets[name];
            const cpu0 = cpuSeconds(target.pid);
            const sim0 = cpuSeconds(sim.pid);
            const res = await runLoad({ url: `${target.url}/api/generate`, body, connections, durationS });
            const cpu = cpuSeconds(target.pid) - cpu0;
            const simCpu = cpuSeconds(sim.pid) - sim0;
            const key = `${mode}|${connections}|${name}`;
            const a = acc.get(key) ?? {
              ok: 0,
              failed: 0,
              s: 0,
              cpu: 0,
              simCpu: 0,
              lat: new Samples(),
              total: new Samples(),
            };
            a.ok += res.ok;
            a.failed += res.failed;
            a.s += res.elapsedS;
            a.cpu += cpu;
            a.simCpu += simCpu;
            a.lat.merge(mode === 'streaming' ? res.ttfb : res.total);
            if (mode === 'streaming') a.total.merge(res.total);
            acc.set(key, a);
            opts.log(
              `overhead ${mode} c=${connections} ${name}: ${Math.round(res.ok / res.elapsedS)} req/s, cpu ${Math.round((cpu / Math.max(1, res.ok)) * 1e6)} µs/req${res.failed ? `, ${res.failed} failed` : ''}`,
            );
          }
        }
      }
    }
    const cells: OverheadCell[] = [];
    for (const [key, a] of acc) {
      const [mode, connections, target] = key.split('|') as [Mode, string, TargetName];
      const cell: OverheadCell = {
        mode,
        connections: Number(connections),
        target,
        requests: a.ok,
        failed: a.failed,
        req_per_s: round(a.ok / a.s, 0),
        latency: summarise(a.lat),
        cpu_us_per_req: round((a.cpu / Math.max(1, a.ok)) * 1e6, 1),
        backend_cpu_us_per_req: round((a.simCpu / Math.max(1, a.ok)) * 1e6, 1),
      };
      if (mode === 'streaming') cell.total = summarise(a.total);
      cells.push(cell);
    }
    return {
      payload: JSON.parse(bodyFor('non_streaming')),
      duration_s: durationS,
      rounds,
      cells,
      ...judge(cells),
    };
  } finally {
    for (const c of children.reverse()) await c.close();
  }
}

function judge(cells: OverheadCell[]): Pick<OverheadResult, 'ratios' | 'targets'> {
  const find = (mode: Mode, c: number, t: TargetName) =>
    cells.find((x) => x.mode === mode && x.connections === c && x.target === t)!;
  const ratios: OverheadResult['ratios'] = [];
  for (const mode of MODES) {
    for (const c of CONNECTIONS) {
      const d = find(mode, c, 'direct');
      const p = find(mode, c, 'proxy');
      const s = find(mode, c, 'service');
      ratios.push({
        mode,
        connections: c,
        cpu_vs_proxy: round(s.cpu_us_per_req / p.cpu_us_per_req),
        req_per_s_vs_proxy: round(s.req_per_s / p.req_per_s),
        req_per_s_vs_direct: round(s.req_per_s / d.req_per_s),
        p50_added_us_vs_direct: s.latency.p50_us - d.latency.p50_us,
        p50_added_us_vs_proxy: s.latency.p50_us - p.latency.p50_us,
        p99_vs_direct: round(s.latency.p99_us / d.latency.p99_us),
      });
    }
  }
  const worstCpu = Math.max(...ratios.map((r) => r.cpu_vs_proxy));
  const added1 = Math.max(...ratios.filter((r) => r.connections === 1).map((r) => r.p50_added_us_vs_direct));
  const thr64 = Math.min(...ratios.filter((r) => r.connections === 64).map((r) => r.req_per_s_vs_proxy));
  const svcCpu = Math.min(...cells.filter((c) => c.target === 'service').map((c) => c.cpu_us_per_req));
  return {
    ratios,
    targets: [
      {
        name: 'gateway CPU per request vs bare proxy (worst cell)',
        goal: '≤ 1.5×',
        value: worstCpu,
        met: worstCpu <= 1.5,
        note:
          worstCpu <= 1.5
            ? ''
            : `misses by ${round(worstCpu / 1.5, 2)}× (service's best cell: ${svcCpu} µs/req)`,
      },
      {
        name: 'added p50 at 1 connection vs direct (worst of both modes)',
        goal: '≤ 300 µs',
        value: added1,
        met: added1 <= 300,
        note: added1 <= 300 ? '' : `misses by ${added1 - 300} µs`,
      },
      {
        name: 'throughput at 64 connections vs bare proxy (worst of both modes)',
        goal: '≥ 0.7×',
        value: thr64,
        met: thr64 >= 0.7,
        note: thr64 >= 0.7 ? '' : `misses by ${round(0.7 - thr64, 2)} (${round(thr64 / 0.7, 2)} of the goal)`,
      },
    ],
  };
}

/**
 * Where the service's CPU goes: a V8 profile of the gateway process under the non-streaming load at 10
 * connections, taken after warm-up so start-up is not in it.
 */
export async function profileService(opts: {
  quick: boolean;
  root: string;
  file: string;
  mode?: Mode;
}): Promise<ProfileSummary> {
  const config = overheadConfig();
  const sim = await startChild('sim', { config });
  try {
    const service = await startChild('service', { config: pointedAt(config, sim.url, 'profile') });
    try {
      const url = `${service.url}/api/generate`;
      const body = bodyFor(opts.mode ?? 'non_streaming');
      await runLoad({ url, body, connections: 10, durationS: opts.quick ? 1 : 2 });
      await service.call('startProfile', 200);
      await runLoad({ url, body, connections: 10, durationS: opts.quick ? 2 : 4 });
      await service.call('stopProfile', opts.file);
      return summariseProfile(opts.file, opts.root, 25);
    } finally {
      await service.close();
    }
  } finally {
    await sim.close();
  }
}
