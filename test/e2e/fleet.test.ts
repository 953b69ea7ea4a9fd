import { afterEach, describe, expect, it } from 'vitest';
import { TASK_TYPES, URGENCIES } from '../../src/config/schema.ts';
import type { CompletionResult } from '../../src/manager/completion.ts';
import { RmmError } from '../../src/manager/errors.ts';
import { eventually, SMALL_CATALOG, type Stack, startStack, stateOf } from './harness.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('the seed catalog on a 16 GB host', () => {
  it('cold start: an interactive code request is answered from the warm set, and the chain model starts loading', async () => {
    // 0.2: the interactive deadline is 1 s, loads of the code chain 1.2–7 s: none of them can make it.
    stack = await startStack(0.2);
    const { manager, config } = stack;
    expect(stateOf(manager, 'llama3.2:3b')).toBe('loaded');
    const r = await manager.complete({
      kind: 'generate',
      prompt: 'Write a Python function to parse JSON',
      urgency: 'interactive',
    });
    expect(r.task_type).toBe('code_generation');
    expect(r.model_used, r.selection_reason).toBe('llama3.2:3b');
    expect(r.fallback_used).toBe(true);
    expect(r.selection_reason).toMatch(/out of chain/);
    expect(r.selection_reason).toMatch(/qwen2\.5-coder:32b skipped/);
    // Some code model of the chain is now loading (or loaded) for the requests that follow.
    const chain = config.chains['code_generation']!.map((e) => e.model);
    await eventually(
      () => chain.some((m) => ['loading', 'loaded'].includes(stateOf(manager, m) ?? '')),
      3000,
      'a code model to load',
    );
  });

  it('a mixed workload across all models never takes the simulator over its VRAM budget', async () => {
    stack = await startStack(0.02);
    const { manager, sim } = stack;
    const tasks = TASK_TYPES;
    const urgencies = URGENCIES;
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const taskType = tasks[i % tasks.length]!;
      const urgency = urgencies[(i * 7) % 3]!;
      jobs.push(
        manager
          .complete({ kind: 'generate', prompt: `job ${i}`, taskType, urgency })
          .catch((e: unknown) => e),
      );
      if (i % 6 === 5) await new Promise((r) => setTimeout(r, 40));
    }
    const results = await Promise.all(jobs);
    const answered = results.filter((r) => !(r instanceof Error)) as CompletionResult[];
    expect(answered.length).toBeGreaterThan(50);
    for (const r of results) if (r instanceof Error) expect(r).toBeInstanceOf(RmmError);
    const state = sim.state();
    expect(state.vram_peak_bytes).toBeLessThanOrEqual(state.vram_budget_bytes);
    // We made room ourselves: Ollama never had to evict on its own to fit one of our loads.
    expect(state.evictions_by_scheduler).toEqual([]);
    const ledger = manager.status().hosts[0]!;
    expect(ledger.vram_used_gb).toBeLessThanOrEqual(ledger.vram_budget_gb);
  });
});

describe('load with faults', () => {
  it('500 concurrent requests with 20% injected faults: every one answered or given a clear error', async () => {
    stack = await startStack(0.02, SMALL_CATALOG);
    const { manager, sim } = stack;
    sim.faults.add({ kind: 'http_500', rate: 0.1 });
    sim.faults.add({ kind: 'busy_503', rate: 0.05 });
    sim.faults.add({ kind: 'cut_stream', rate: 0.05 });
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        manager
          .complete({
            kind: i % 2 ? 'chat' : 'generate',
            prompt: `q${i}`,
            messages: [{ role: 'user', content: `q${i}` }],
            taskType: 'general',
            urgency: 'batch',
          })
          .then(
            (r) => ({ ok: true as const, r }),
            (e: unknown) => ({ ok: false as const, e }),
          ),
      ),
    );
    expect(results).toHaveLength(500);
    const failures = results.filter((x) => !x.ok);
    for (const f of failures) {
      expect(f.e).toBeInstanceOf(RmmError);
      expect((f.e as RmmError).message.length).toBeGreaterThan(20);
    }
    // Faults are spread over three models; the chain absorbs almost all of them.
    expect(failures.length).toBeLessThan(25);
    expect(results.filter((x) => x.ok && x.r.fallback_used).length).toBeGreaterThan(0);
  });
});
