import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../bench/lib/redis-server.ts';
import { type ReplicaProcess, serveReplica } from '../../bench/lib/replicas.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { eventually, SMALL_CATALOG } from '../e2e/harness.ts';

interface SharedStatus {
  shared_state: {
    mode: string;
    planners: Record<string, { replica: string | null; this_replica: boolean }>;
  };
  hosts: Array<{ loading: string[]; loaded: string[] }>;
}

async function statusOf(p: ReplicaProcess): Promise<SharedStatus> {
  return (await (await fetch(`${p.url}/api/echo/resilient/status`)).json()) as SharedStatus;
}

let redis: RedisServer;
let sim: SimulatorHandle;
const running: ReplicaProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await sim?.close();
  await redis?.close();
});

describe('planner lease failover', () => {
  it('kill -9 of the lease holder during loads: another replica plans within the lease time; no load lost or doubled; every request answered', async () => {
    const patch = { ...SMALL_CATALOG, warm_set: ['gamma'] };
    const base = scaledConfig(0.05, patch);
    sim = await startSimulator({ config: base });
    const dir = mkdtempSync(join(tmpdir(), 'rmm-replicas-'));
    const configFile = join(dir, 'config.json');
    const config = structuredClone(base) as unknown as Record<string, unknown>;
    Object.assign(config, {
      simulate: 'never',
      hosts: base.hosts.map((h) => ({ ...h, url: sim.url })),
      shared_state: { ...base.shared_state, namespace: `rmm-failover-${process.pid}` },
      server: { ...base.server, port: 0, log_level: 'info' },
    });
    writeFileSync(configFile, JSON.stringify(config));
    for (const id of ['replica-a', 'replica-b', 'replica-c'])
      running.push(await serveReplica(id, configFile, redis.url));

    const statuses = await Promise.all(running.map(statusOf));
    const holderIndex = statuses.findIndex((s) => s.shared_state.planners['local']!.this_replica);
    expect(holderIndex).toBeGreaterThanOrEqual(0);
    const holder = running[holderIndex]!;
    const others = running.filter((p) => p !== holder);
    for (const s of statuses) expect(s.shared_state.planners['local']!.replica).toBe(holder.id);

    // Requests that need loads, to the replicas that survive; the holder plans those loads.
    const models = ['alpha', 'beta', 'delta'];
    const requests = Array.from({ length: 30 }, (_, i) =>
      fetch(`${others[i % 2]!.url}/api/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: models[i % 3], prompt: `q${i}`, stream: false, urgency: 'batch' }),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> })),
    );
    // Kill the holder while a load it sent is under way (delta takes 2 s to load at this scale).
    await eventually(async () => (await statusOf(others[0]!)).hosts[0]!.loading.length > 0, 10_000);
    await new Promise<void>((resolve) => {
      holder.child.once('exit', () => resolve());
      holder.child.kill('SIGKILL');
    });

    await eventually(async () => {
      const after = await Promise.all(others.map(statusOf));
      const planners = after.map((s) => s.shared_state.planners['local']!);
      return (
        planners.every((p) => p.replica !== holder.id && others.some((o) => o.id === p.replica)) &&
        planners.filter((p) => p.this_replica).length === 1
      );
    }, 10_000);

    const answers = await Promise.all(requests);
    // Answered, or a clear error with a stable code (none expected: every model fits and was wanted by batch work).
    for (const a of answers) {
      if (a.status !== 200)
        expect((a.body['error'] as { code?: string })?.code, JSON.stringify(a.body)).toBeTruthy();
    }
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);

    const state = sim.state();
    const completed = state.loads_total - state.loads_abandoned - state.loads_failed;
    // gamma (warm set), alpha, beta and delta: each loaded exactly once, whoever planned it.
    expect(completed).toBe(4);
    expect(
      state.models
        .filter((m) => m.status === 'loaded')
        .map((m) => m.name)
        .sort(),
    ).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    expect(state.evictions_by_scheduler).toEqual([]);
    expect(state.vram_peak_bytes).toBeLessThanOrEqual(state.vram_budget_bytes);
  }, 90_000);
});
