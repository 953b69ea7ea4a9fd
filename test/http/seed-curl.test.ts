import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeManager } from './fake-manager.ts';
import { startApp, type TestApp, usingFakeManager } from './harness.ts';
import { SEED_EXAMPLES } from './seed-examples.ts';

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveCurl = has('curl');
const haveJq = has('jq');
// jq must be installed in CI (apt-get install jq); this skip exists only for a machine without it.
if (!haveJq) console.warn('seed curl+jq examples SKIPPED: jq is not installed (apt-get install jq)');
if (!haveCurl) console.warn('seed curl examples SKIPPED: curl is not installed (apt-get install curl)');

function run(command: string, port: number): Promise<string> {
  const script = command.replaceAll('localhost:8309', `127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', `set -o pipefail; ${script}`], { timeout: 10_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe.skipIf(!haveCurl || !haveJq)("the seed document's curl + jq examples, as written", () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  afterAll(async () => t.close());

  it("the examples here are the seed's own text (checked when the seed file is at hand)", () => {
    const seed = [
      '../shared/seed/000_112c1b8a6ee46dad.txt',
      '/work/shared/seed/000_112c1b8a6ee46dad.txt',
    ].find(existsSync);
    if (!seed) return;
    const text = readFileSync(seed, 'utf8');
    for (const example of Object.values(SEED_EXAMPLES)) expect(text).toContain(example);
  });

  it('query: a resilient completion with its metadata', async () => {
    const out = JSON.parse(await run(SEED_EXAMPLES.query, port));
    expect(typeof out.response).toBe('string');
    expect(out.response.length).toBeGreaterThan(0);
    expect(t.manager.catalog()).toContain(out.model_used);
    expect(typeof out.fallback_used).toBe('boolean');
    expect(out.attempts).toBeGreaterThanOrEqual(1);
    expect(out.latency_ms).toBeGreaterThanOrEqual(0);
    expect(typeof out.selection_reason).toBe('string');
    expect(out.task_type).toBe('code_generation');
    expect(out.urgency).toBe('interactive');
  });

  it('status | jq .', async () => {
    const out = JSON.parse(await run(SEED_EXAMPLES.status, port));
    expect(out.models.length).toBeGreaterThan(0);
    expect(out.circuits.length).toBeGreaterThan(0);
    expect(out.hosts[0].vram_budget_gb).toBeGreaterThan(0);
    expect(out.backend).toBe('simulated');
  });

  it('models | jq .', async () => {
    const out = JSON.parse(await run(SEED_EXAMPLES.models, port));
    const names = out.models.map((m: { name: string }) => m.name);
    for (const name of t.manager.catalog()) expect(names).toContain(name);
  });

  it('health with force_check', async () => {
    const out = JSON.parse(await run(SEED_EXAMPLES.health, port));
    expect(out.model_name).toBe('qwen2.5-coder:32b');
    expect(typeof out.healthy).toBe('boolean');
  });

  it('preload', async () => {
    const text = await run(SEED_EXAMPLES.preload, port);
    const out = JSON.parse(text);
    expect(out.model_name, text).toBe('deepseek-r1:32b');
    expect(['loaded', 'loading', 'already_loaded', 'refused']).toContain(out.status);
    // 18 GB on the seed's 16 GB card does not fit beside the warm set: a preload says so and loads nothing
    // unless forced.
    if (out.status === 'refused') {
      expect(out.would_evict).toContain('llama3.2:3b');
      expect(out.reason).toMatch(/force/);
    }
  });

  it('the dashboard jq filter', async () => {
    const out = JSON.parse(await run(SEED_EXAMPLES.dashboard, port));
    const status = (await t.app.inject({ url: '/api/echo/resilient/status' })).json();
    expect(out.total_models).toBe(status.models.length);
    expect(out.total_models).toBeGreaterThan(0);
    expect(Array.isArray(out.loaded_models)).toBe(true);
    const ids = status.models.map((m: { id: string }) => m.id);
    for (const id of out.loaded_models) expect(ids).toContain(id);
    for (const c of out.circuit_problems) expect(c.available).toBe(false);
    // The real manager's states move between two reads (background loads finish); the fake's do not.
    if (!usingFakeManager()) return;
    const loadedIds = status.models
      .filter((m: { state: string }) => m.state === 'loaded')
      .map((m: { id: string }) => m.id);
    expect(out.loaded_models).toEqual(loadedIds);
    expect(out.loaded_models.length).toBeGreaterThan(0);
    // Nothing is broken until we break it.
    expect(out.circuit_problems).toEqual([]);
    (t.manager as FakeManager).openCircuits.add('llama3.1:70b');
    const broken = JSON.parse(await run(SEED_EXAMPLES.dashboard, port));
    expect(broken.circuit_problems.map((c: { model: string }) => c.model)).toEqual(['llama3.1:70b']);
    (t.manager as FakeManager).openCircuits.clear();
  });

  it('live testing query', async () => {
    const out = JSON.parse(await run(SEED_EXAMPLES.live, port));
    expect(out.urgency).toBe('interactive');
    expect(out.response.length).toBeGreaterThan(0);
  });
});
