import { type BenchChild, startChild } from './lib/child.ts';
import { overheadConfig, pointedAt } from './lib/configs.ts';
import { type ProfileSummary, summariseProfile } from './lib/cpu-profile.ts';
import { runLoad } from './lib/load.ts';
import { cpuSeconds, peakRssBytes, rssBytes } from './lib/proc.ts';
import { serveRmm } from './lib/rmm-serve.ts';
import { percentile, round } from './lib/stats.ts';
import {
  type CellKey,
  CONNECTIONS,
  ENDPOINTS,
  type Endpoint,
  judge,
  type Memory,
  MODES,
  type Mode,
  type OverheadCell,
  type OverheadRatio,
  type Run,
  ratioOf,
  type Spread,
  spread,
  TARGET_NAMES,
  type Target,
  type TargetName,
} from './overhead-judge.ts';
import { measureRestart, type RestartResult } from './overhead-restart.ts';

export { TARGET_NAMES } from './overhead-judge.ts';

export interface OverheadResult {
  payloads: Record<Endpoint, unknown>;
  duration_s: number;
  repeats: number;
  cells: OverheadCell[];
  ratios: OverheadRatio[];
  memory: Memory;
  restart?: RestartResult;
  targets: Target[];
}

const PATHS: Record<Endpoint, string> = {
  generate: '/api/generate',
  chat: '/api/chat',
  openai: '/v1/chat/completions',
};
const PROMPT = 'Say something short about load balancers.';

/** The same request for all three targets: a named model (the service still selects, journals and meters it). */
function bodyFor(endpoint: Endpoint, mode: Mode): Record<string, unknown> {
  const stream = mode === 'streaming';
  const model = 'llama3.2:3b';
  if (endpoint === 'generate') return { model, prompt: PROMPT, stream, options: { num_predict: 16 } };
  const messages = [{ role: 'user', content: PROMPT }];
  if (endpoint === 'chat') return { model, messages, stream, options: { num_predict: 16 } };
  return { model, messages, stream, max_tokens: 16 };
}

/**
 * (a) the simulator directly, (b) the floor: a bare Fastify + undici proxy to it, (c) the service as users
 * run it (`rmm serve`, compiled, logs at info). Each in its own process, so /proc gives each its own CPU;
 * the load generator (autocannon) runs here. For every endpoint, mode and connection count the three are
 * measured round-robin, `repeats` times, so drift on a noisy box hits all three alike; each ratio is taken
 * within a repeat and the median of the repeats reported with its spread.
 */
export async function runOverhead(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<OverheadResult> {
  const durationS = opts.quick ? 1 : 2;
  const repeats = opts.quick ? 1 : 3;
  const config = overheadConfig();
  const sim = await startChild('sim', { config });
  const closers: Array<() => Promise<void>> = [() => sim.close()];
  try {
    const proxy = await startChild('proxy', { upstream: sim.url });
    closers.push(() => proxy.close());
    const own = pointedAt(config, sim.url, 'overhead');
    const service = await serveRmm(own, own.state_dir!);
    closers.push(() => service.close());
    const targets: Record<TargetName, Pick<BenchChild, 'pid' | 'url'>> = { direct: sim, proxy, service };
    // Idle: started, nothing asked yet beyond the readiness checks.
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssOf(targets, rssBytes);
    opts.log(`overhead: service ready in ${Math.round(service.readyMs)} ms, idle RSS ${idle.service} MB`);

    // Every route once before any cell: a freshly started process runs cold code, and the first endpoint
    // measured would carry the optimiser's work alone.
    for (const endpoint of ENDPOINTS)
      for (const mode of MODES)
        for (const name of TARGET_NAMES)
          await runLoad({
            url: `${targets[name].url}${PATHS[endpoint]}`,
            body: JSON.stringify(bodyFor(endpoint, mode)),
            connections: 10,
            durationS: opts.quick ? 0.3 : 1,
          });
    const cells: OverheadCell[] = [];
    const ratios: OverheadRatio[] = [];
    for (const endpoint of ENDPOINTS) {
      for (const mode of MODES) {
        const body = JSON.stringify(bodyFor(endpoint, mode));
        const path = PATHS[endpoint];
        for (const name of TARGET_NAMES)
          await runLoad({
            url: `${targets[name].url}${path}`,
            body,
            connections: 10,
            durationS: opts.quick ? 0.5 : 1,
          });
        for (const connections of CONNECTIONS) {
          const key: CellKey = { endpoint, mode, connections };
          const runs = { direct: [], proxy: [], service: [] } as Record<TargetName, Run[]>;
          for (let r = 0; r < repeats; r++) {
            for (const name of TARGET_NAMES) {
              const run = await measure(
                targets[name].pid,
                sim.pid,
                `${targets[name].url}${path}`,
                body,
                connections,
                durationS,
                mode,
              );
              runs[name].push(run);
              opts.log(
                `overhead ${endpoint} ${mode} c=${connections} ${name}: ${run.req_per_s} req/s, cpu ${run.cpu_us_per_req} µs/req${run.failed ? `, ${run.failed} failed` : ''}`,
              );
            }
          }
          for (const name of TARGET_NAMES) cells.push(cellOf(key, name, runs[name]));
          ratios.push(ratioOf(key, runs));
        }
      }
    }
    const memory: Memory = { idle_rss_mb: idle, peak_rss_mb: rssOf(targets, peakRssBytes) };
    let restart: RestartResult | undefined;
    try {
      restart = await measureRestart({ quick: opts.quick, log: opts.log });
    } catch (err) {
      opts.log(`overhead: restart measurement failed: ${(err as Error).message}`);
    }
    return {
      payloads: Object.fromEntries(ENDPOINTS.map((e) => [e, bodyFor(e, 'non_streaming')])) as Record<
        Endpoint,
        unknown
      >,
      duration_s: durationS,
      repeats,
      cells,
      ratios,
      memory,
      ...(restart && { restart }),
      targets: judge(ratios, memory, restart?.ready_ms),
    };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

async function measure(
  pid: number,
  simPid: number,
  url: string,
  body: string,
  connections: number,
  durationS: number,
  mode: Mode,
): Promise<Run> {
  const cpu0 = cpuSeconds(pid);
  const sim0 = cpuSeconds(simPid);
  const res = await runLoad({ url, body, connections, durationS });
  const cpu = cpuSeconds(pid) - cpu0;
  const simCpu = cpuSeconds(simPid) - sim0;
  const lat = (mode === 'streaming' ? res.ttfb : res.total).sorted();
  const n = Math.max(1, res.ok);
  return {
    req_per_s: round(res.ok / res.elapsedS, 0),
    cpu_us_per_req: round((cpu / n) * 1e6, 1),
    backend_cpu_us_per_req: round((simCpu / n) * 1e6, 1),
    p50_us: Math.round(percentile(lat, 50) * 1000),
    p99_us: Math.round(percentile(lat, 99) * 1000),
    failed: res.failed,
  };
}

function cellOf(key: CellKey, target: TargetName, runs: Run[]): OverheadCell {
  const of = (f: (r: Run) => number, digits?: number): Spread => spread(runs.map(f), digits);
  return {
    ...key,
    target,
    requests: Math.round(runs.reduce((s, r) => s + r.req_per_s, 0)),
    failed: runs.reduce((s, r) => s + r.failed, 0),
    req_per_s: of((r) => r.req_per_s, 0),
    cpu_us_per_req: of((r) => r.cpu_us_per_req, 1),
    backend_cpu_us_per_req: of((r) => r.backend_cpu_us_per_req, 1),
    p50_us: of((r) => r.p50_us, 0),
    p99_us: of((r) => r.p99_us, 0),
  };
}

function rssOf(
  targets: Record<TargetName, { pid: number }>,
  read: (pid: number) => number,
): Record<TargetName, number> {
  const out = {} as Record<TargetName, number>;
  for (const name of TARGET_NAMES) out[name] = round(read(targets[name].pid) / 2 ** 20, 1);
  return out;
}

/**
 * Where the service's CPU goes: a V8 profile of the gateway (the same code, run from source in a bench
 * child so the profiler can be started and stopped over IPC) under the /api/generate load at 10
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
      const body = JSON.stringify(bodyFor('generate', opts.mode ?? 'non_streaming'));
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
