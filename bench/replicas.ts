import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaledConfig } from '../src/config/test-config.ts';
import { startSimulator } from '../src/simulator/index.ts';
import { startRedis } from './lib/redis-server.ts';
import { closeReplicas, serveReplica, startReplicas } from './lib/replicas.ts';
import { round } from './lib/stats.ts';

export interface ReplicasBenchResult {
  /** Circuit opened through one replica, seen open on the two others: ms after the opening, per trial. */
  propagation_ms: number[];
  propagation_median_ms: number;
  propagation_max_ms: number;
  /** kill -9 of the planner lease holder → another replica plans the host (ms), and the lease time. */
  takeover_ms: number;
  lease_s: number;
}

const CATALOG = {
  models: {
    alpha: { size_gb: 3, load_time_s: 4, tokens_per_s: 100, strengths: ['general'] },
    beta: { size_gb: 3, load_time_s: 4, tokens_per_s: 100, strengths: ['general'] },
  },
  chains: {
    general: [
      { model: 'alpha', quality: 0.95 },
      { model: 'beta', quality: 0.85 },
    ],
  },
  warm_set: ['alpha', 'beta'],
  hosts: [
    { name: 'local', url: 'http://127.0.0.1:11434', vram_gb: 16, num_parallel: 2, max_loaded_models: 4 },
  ],
};

const now = () => performance.now();

/**
 * Replicas sharing one fleet through a real redis-server: how soon a circuit opened through one replica is
 * open on the others (three replicas in this process, each with its own Redis connections and actors), and
 * how soon another replica plans the host after the lease holder is killed (two `rmm serve` processes).
 */
export async function runReplicasBench(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<ReplicasBenchResult> {
  const redis = await startRedis();
  const sim = await startSimulator({ config: scaledConfig(0.05, CATALOG) });
  try {
    const propagation: number[] = [];
    const trials = opts.quick ? 3 : 10;
    for (let t = 0; t < trials; t++) {
      const replicas = await startReplicas(3, redis.url, sim.url, CATALOG);
      try {
        const seen = new Map<string, number>();
        for (const r of replicas) {
          const ref = r.manager.fleet.supervisor().models['local/alpha']!;
          ref.subscribe((s) => {
            if (s.value === 'open' && !seen.has(r.id)) seen.set(r.id, now());
          });
        }
        const fault = sim.faults.add({ kind: 'http_500', model: 'alpha', rate: 1 });
        const a = replicas[0]!;
        for (let i = 0; i < 20 && !seen.has(a.id); i++)
          await a.manager.complete({ kind: 'generate', prompt: `q${i}`, model: 'alpha' }).catch(() => {});
        sim.faults.remove(fault);
        const until = now() + 5000;
        while (seen.size < 3 && now() < until) await new Promise((r) => setTimeout(r, 1));
        const opened = seen.get(a.id);
        if (opened === undefined || seen.size < 3)
          throw new Error(`trial ${t}: the circuit was not seen open everywhere`);
        propagation.push(round(Math.max(...[...seen.values()].map((v) => v - opened)), 2));
      } finally {
        await closeReplicas(replicas);
      }
    }
    opts.log(`replicas: circuit propagation ${propagation.join(', ')} ms`);

    // Takeover: two processes, the holder killed.
    const base = scaledConfig(0.05, CATALOG);
    const dir = mkdtempSync(join(tmpdir(), 'rmm-bench-replicas-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        ...base,
        simulate: 'never',
        hosts: base.hosts.map((h) => ({ ...h, url: sim.url })),
        shared_state: { ...base.shared_state, namespace: `rmm-bench-${process.pid}` },
        server: { ...base.server, port: 0, log_level: 'info' },
      }),
    );
    const procs = [
      await serveReplica('bench-a', configFile, redis.url),
      await serveReplica('bench-b', configFile, redis.url),
    ];
    try {
      const planner = async (url: string) =>
        (
          (await (await fetch(`${url}/api/echo/resilient/status`)).json()) as {
            shared_state: { planners: Record<string, { this_replica: boolean }> };
          }
        ).shared_state.planners['local']!.this_replica;
      const holder = (await planner(procs[0]!.url)) ? procs[0]! : procs[1]!;
      const other = holder === procs[0] ? procs[1]! : procs[0]!;
      const killed = now();
      holder.child.kill('SIGKILL');
      let takeover = Number.NaN;
      while (now() - killed < 30_000) {
        if (await planner(other.url)) {
          takeover = now() - killed;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      opts.log(
        `replicas: takeover after kill -9 in ${round(takeover, 0)} ms (lease ${base.shared_state.lease_s} s)`,
      );
      const sorted = [...propagation].sort((x, y) => x - y);
      return {
        propagation_ms: propagation,
        propagation_median_ms: sorted[Math.floor(sorted.length / 2)]!,
        propagation_max_ms: sorted.at(-1)!,
        takeover_ms: round(takeover, 0),
        lease_s: base.shared_state.lease_s,
      };
    } finally {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  } finally {
    await sim.close();
    await redis.close();
  }
}

/** The replicas bench's targets (issue 17): the figures the issue names, each against its goal. */
export function replicasTargets(
  r: ReplicasBenchResult,
): Array<[string, string, string, number, boolean, string]> {
  const takeoverGoalMs = r.lease_s * 1000 + 1000;
  return [
    [
      'replicas',
      'circuit opened on one replica, seen open on the others (worst trial)',
      '≤ 1000 ms',
      r.propagation_max_ms,
      r.propagation_max_ms <= 1000,
      `${r.propagation_ms.length} trials, median ${r.propagation_median_ms} ms (pub/sub through a local redis-server)`,
    ],
    [
      'replicas',
      'another replica plans the host after kill -9 of the lease holder',
      `≤ lease + 1 s (${takeoverGoalMs} ms)`,
      r.takeover_ms,
      r.takeover_ms <= takeoverGoalMs,
      `lease ${r.lease_s} s (the bench's scaled config)`,
    ],
  ];
}

export function replicasSection(r: ReplicasBenchResult): string {
  return [
    '### Replicas (three replicas sharing one simulated host through a local redis-server)',
    '',
    `Circuit propagation per trial (ms after the opening on the first replica until it is open on both others): ${r.propagation_ms.join(', ')}.`,
    `Planner takeover after \`kill -9\` of the lease holder (two \`rmm serve\` processes): ${r.takeover_ms} ms with a ${r.lease_s} s lease.`,
  ].join('\n');
}
