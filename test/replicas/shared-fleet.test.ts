import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../bench/lib/redis-server.ts';
import { closeReplicas, type Replica, startReplicas } from '../../bench/lib/replicas.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { mergedDecisions, replayReplicas, replicaOf } from '../../src/replay/merge.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { eventually, SMALL_CATALOG } from '../e2e/harness.ts';

let redis: RedisServer;
let sim: SimulatorHandle;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.close();
});

async function withSim<T>(patch: Parameters<typeof scaledConfig>[1], fn: () => Promise<T>): Promise<T> {
  sim = await startSimulator({ config: scaledConfig(0.05, { ...SMALL_CATALOG, ...patch }) });
  try {
    return await fn();
  } finally {
    await sim.close();
  }
}

describe('replicas sharing one fleet through Redis', () => {
  it('300 concurrent requests over 3 replicas: one planner, each model loaded once, VRAM within budget, 0 evictions by Ollama', async () => {
    const patch = { warm_set: ['gamma'] };
    await withSim(patch, async () => {
      const replicas = await startReplicas(3, redis.url, sim.url, { ...SMALL_CATALOG, ...patch });
      try {
        const planners = replicas.filter(
          (r) =>
            r.manager.status().shared_state.mode === 'redis' &&
            r.manager.fleet.host('local')?.planner === 'local',
        );
        expect(planners.map((r) => r.id)).toHaveLength(1);
        const models = ['alpha', 'beta', 'delta'];
        const results = await Promise.allSettled(
          Array.from({ length: 300 }, (_, i) =>
            replicas[i % 3]!.manager.complete({
              kind: 'generate',
              prompt: `question ${i}`,
              model: models[i % models.length]!,
              urgency: 'batch',
            }),
          ),
        );
        const failed = results.filter((r) => r.status === 'rejected');
        expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
        const loads = replicas.flatMap((r) => r.backend.loads);
        for (const model of [...models, 'gamma'])
          expect(
            loads.filter((m) => m === model),
            model,
          ).toHaveLength(1);
        // Not "only one replica sent loads": on a starved box a lease may legitimately move mid-test (its
        // renewal ran past the lease), and the new holder then loads. What must hold is above: each model
        // loaded once in all, never twice by two planners.
        expect(loads).toHaveLength(4);
        const state = sim.state();
        expect(state.evictions_by_scheduler).toEqual([]);
        expect(state.vram_peak_bytes).toBeLessThanOrEqual(state.vram_budget_bytes);
        // Every replica sees the same ledger.
        await eventually(() =>
          replicas.every(
            (r) =>
              JSON.stringify(Object.keys(r.manager.fleet.host('local')!.ledger).sort()) ===
              JSON.stringify(['alpha', 'beta', 'delta', 'gamma']),
          ),
        );
      } finally {
        await closeReplicas(replicas);
      }
    });
  });

  it('a circuit opened through replica A: B and C skip that model with zero attempts', async () => {
    await withSim({}, async () => {
      const replicas = await startReplicas(3, redis.url, sim.url, SMALL_CATALOG);
      const [a, b, c] = replicas as [Replica, Replica, Replica];
      try {
        const fault = sim.faults.add({ kind: 'http_500', model: 'alpha', rate: 1 });
        for (let i = 0; i < 20 && a.manager.fleet.stateOf('local/alpha') !== 'open'; i++)
          await a.manager.complete({ kind: 'generate', prompt: `q${i}`, model: 'alpha' });
        expect(a.manager.fleet.stateOf('local/alpha')).toBe('open');
        sim.faults.remove(fault);
        await eventually(() => [b, c].every((r) => r.manager.fleet.stateOf('local/alpha') === 'open'));
        for (const r of [b, c]) {
          const answer = await r.manager.complete({
            kind: 'generate',
            prompt: 'after',
            model: 'auto:general',
          });
          expect(answer.attempts_detail.map((d) => d.model)).not.toContain('alpha');
          expect(answer.model_used).toBe('beta');
          // Nothing was tried on alpha here: no failure of our own, the verdict came from A.
          expect(r.manager.fleet.context('local/alpha')!.openReason).toMatch(/^peer: replica-a/);
          expect(r.manager.status().circuits.find((x) => x.model === 'alpha')!.is_open).toBe(true);
        }
      } finally {
        await closeReplicas(replicas);
      }
    });
  });

  it('Redis stopped for 20 s under traffic: no request fails, each replica plans alone, they converge after it returns', async () => {
    await withSim({}, async () => {
      const replicas = await startReplicas(3, redis.url, sim.url, SMALL_CATALOG);
      let stop = false;
      const outcomes: Array<{ ok: boolean; error?: string }> = [];
      const traffic = (async () => {
        for (let i = 0; !stop; i++) {
          const r = replicas[i % 3]!;
          // Mostly the warm set; every tenth asks for delta, which must be loaded (and planned) somewhere.
          const model = i % 10 === 9 ? 'delta' : 'auto:general';
          await r.manager
            .complete({ kind: 'generate', prompt: `q${i}`, model, urgency: 'batch' })
            .then(() => outcomes.push({ ok: true }))
            .catch((err: Error) => outcomes.push({ ok: false, error: err.message }));
          await new Promise((res) => setTimeout(res, 20));
        }
      })();
      try {
        await eventually(() => outcomes.length >= 20, 20_000);
        await redis.stop();
        await eventually(() => replicas.every((r) => statusOf(r).fallback === true), 10_000);
        // Every host is planned locally while Redis is away.
        expect(replicas.every((r) => r.manager.fleet.host('local')!.planner === 'local')).toBe(true);
        await new Promise((res) => setTimeout(res, 20_000));
        const during = outcomes.length;
        await redis.start();
        await eventually(() => {
          const planners = replicas.map((r) => statusOf(r).planners['local']!);
          return (
            replicas.every((r) => statusOf(r).redis.connected && !statusOf(r).fallback) &&
            new Set(planners.map((p) => p.replica)).size === 1 &&
            planners.filter((p) => p.this_replica).length === 1
          );
        }, 15_000);
        await eventually(() => outcomes.length >= during + 20, 20_000);
        stop = true;
        await traffic;
        expect(outcomes.filter((o) => !o.ok)).toEqual([]);
        expect(outcomes.length).toBeGreaterThan(100);
      } finally {
        stop = true;
        await traffic;
        await closeReplicas(replicas);
      }
    });
  }, 90_000);

  it('each replica journals with its id; replay --merge interleaves them by time and verifies each', async () => {
    await withSim({ warm_set: ['gamma'] }, async () => {
      const root = mkdtempSync(join(tmpdir(), 'rmm-merge-'));
      const replicas = await startReplicas(
        2,
        redis.url,
        sim.url,
        { ...SMALL_CATALOG, warm_set: ['gamma'] },
        root,
      );
      try {
        for (const [i, model] of ['alpha', 'beta', 'delta', 'alpha'].entries())
          await replicas[i % 2]!.manager.complete({ kind: 'generate', prompt: 'q', model, urgency: 'batch' });
      } finally {
        await closeReplicas(replicas);
      }
      const dirs = replicas.map((r) => join(root, r.id));
      expect(dirs.map(replicaOf)).toEqual(['replica-a', 'replica-b']);
      const replays = replayReplicas(dirs, { verify: true });
      for (const r of replays) expect(r.result.divergence, r.replica).toBeNull();
      const rows = mergedDecisions(replays);
      expect(new Set(rows.map((r) => r.replica))).toEqual(new Set(['replica-a', 'replica-b']));
      expect(rows.map((r) => r.at)).toEqual([...rows.map((r) => r.at)].sort((x, y) => x - y));
      // The planner's loads and the other replica's forwarded wants, side by side.
      const kinds = new Set(rows.map((r) => `${r.replica}:${r.kind}`));
      expect([...kinds].some((k) => k.endsWith(':forwarded'))).toBe(true);
      expect([...kinds].some((k) => k.endsWith(':load'))).toBe(true);
    });
  });
});

function statusOf(r: Replica) {
  const s = r.manager.status().shared_state;
  if (s.mode !== 'redis') throw new Error(`${r.id} is not sharing state`);
  return s;
}
