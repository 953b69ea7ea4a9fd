import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../bench/lib/redis-server.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { type SimulatorHandle, startSimulator } from '../../src/simulator/index.ts';
import { eventually } from '../e2e/harness.ts';
import { readmeBlocks } from '../readme/readme-blocks.ts';

const ROOT = join(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let redis: RedisServer | undefined;
let sim: SimulatorHandle | undefined;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await sim?.close();
  await redis?.close();
});

describe('README: two replicas with Redis in two commands', () => {
  it('the two lines, as written (ports, Redis and folders mapped to the test ones), start two replicas sharing one fleet', async () => {
    const block = readmeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).find((b) =>
      b.skip?.includes('readme-replicas.test.ts'),
    );
    expect(block, 'the README block marked for this test').toBeDefined();
    const lines = block!.code.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(2);
    redis = await startRedis();
    // Both replicas use this test's simulator (Ollama's port 11434 must stay free for other suites).
    sim = await startSimulator({ config: scaledConfig(0.05, {}) });
    const dir = mkdtempSync(join(tmpdir(), 'rmm-readme-replicas-'));
    const urls: string[] = [];
    for (const line of lines) {
      const port = await freePort();
      const command = line
        .replace(/ &$/, '')
        .replaceAll('redis://127.0.0.1:6379', redis.url)
        .replace(/RMM_PORT=\d+/, `RMM_PORT=${port}`)
        .replace(/RMM_STATE_DIR=\.\/(\S+)/, `RMM_STATE_DIR=${dir}/$1`);
      const child = spawn('bash', ['-c', command], {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, OLLAMA_HOST: sim.url, RMM_LOG_LEVEL: 'info', RMM_API_KEY: '' },
      });
      children.push(child);
      urls.push(
        await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no "listening" from: ${command}`)), 60_000);
          createInterface({ input: child.stdout! }).on('line', (text) => {
            if (!text.startsWith('{')) return;
            const rec = JSON.parse(text) as { msg?: string; url?: string };
            if (rec.msg === 'resilient model manager listening') {
              clearTimeout(timer);
              resolve(rec.url!);
            }
          });
        }),
      );
    }
    type Shared = {
      mode: string;
      replica: string;
      planners: Record<string, { replica: string; this_replica: boolean }>;
    };
    const shared = async (url: string) =>
      ((await (await fetch(`${url}/api/echo/resilient/status`)).json()) as { shared_state: Shared })
        .shared_state;
    await eventually(async () => {
      const [a, b] = await Promise.all(urls.map(shared));
      const host = Object.keys(a!.planners)[0]!;
      return (
        a!.mode === 'redis' &&
        a!.replica === 'a' &&
        b!.replica === 'b' &&
        a!.planners[host]!.replica === b!.planners[host]!.replica &&
        a!.planners[host]!.this_replica !== b!.planners[host]!.this_replica
      );
    }, 20_000);
    for (const url of urls) {
      const res = await fetch(`${url}/api/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'auto', prompt: 'hello', stream: false, urgency: 'batch' }),
      });
      expect(res.status).toBe(200);
    }
  }, 120_000);
});
