import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/args.ts';
import { main } from '../../src/cli.ts';
import { runSimulatorCli, type SimCliIo } from '../../src/simulator/main.ts';
import type { SimulatorHandle } from '../../src/simulator/types.ts';

/** `rmm sim`: flags, config file, the one line it prints, and exit 2 on bad flags. */

const dir = mkdtempSync(join(tmpdir(), 'rmm-sim-cli-'));
const configFile = join(dir, 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({
    hosts: [
      { name: 'gpu1', url: 'http://127.0.0.1:11434', vram_gb: 16, num_parallel: 1, max_loaded_models: 3 },
      { name: 'gpu2', url: 'http://127.0.0.1:11435', vram_gb: 8, num_parallel: 2, max_loaded_models: 2 },
    ],
  }),
);

const started: SimulatorHandle[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

function io(lines: string[]): SimCliIo {
  return { out: (line) => lines.push(line), onSignal: () => {} };
}

describe('rmm sim', () => {
  it('starts the simulator for the named host and prints one line with its URL', async () => {
    const lines: string[] = [];
    const sim = await runSimulatorCli(
      [
        '--port',
        '0',
        '--config',
        configFile,
        '--seed',
        '5',
        '--time-scale',
        '0.001',
        '--host-name',
        'gpu2',
        '--bind',
        '127.0.0.1',
      ],
      io(lines),
    );
    started.push(sim);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(sim.url);
    expect(lines[0]).toMatch(/host gpu2, seed 5, time scale 0\.001/);
    expect(sim.state()).toMatchObject({ host: 'gpu2', vram_budget_bytes: 8e9 });
    // time scale 0.001: the seed catalog's 4 s load of llama3.2:3b takes about 4 ms.
    const r = await new Ollama({ host: sim.url }).generate({
      model: 'llama3.2:3b',
      prompt: 'What is 1 + 2?',
    });
    expect(r.response).toMatch(/^3\b/);
    expect(r.load_duration).toBeGreaterThanOrEqual(3.9e9);
  });

  it('rejects bad flags with a UsageError that says what is allowed', async () => {
    await expect(runSimulatorCli(['--prot', '1'], io([]))).rejects.toThrow(
      /unknown flag --prot; known flags: --port/,
    );
    await expect(runSimulatorCli(['--port', 'abc'], io([]))).rejects.toThrow(UsageError);
    await expect(runSimulatorCli(['--port', '70000'], io([]))).rejects.toThrow(
      /--port must be an integer from 0 to 65535/,
    );
    await expect(runSimulatorCli(['--time-scale', '0'], io([]))).rejects.toThrow(
      /--time-scale must be a number above 0/,
    );
    await expect(runSimulatorCli(['--seed', '1.5'], io([]))).rejects.toThrow(/--seed must be an integer/);
    await expect(runSimulatorCli(['--config', configFile, '--host-name', 'gpu9'], io([]))).rejects.toThrow(
      /--host-name "gpu9" is not in the config; known hosts: gpu1, gpu2/,
    );
    await expect(runSimulatorCli(['extra'], io([]))).rejects.toThrow(/unexpected argument "extra"/);
  });

  it('`rmm sim` with a bad flag exits 2 with a clear message', async () => {
    const errors: string[] = [];
    const spy = vi
      .spyOn(console, 'error')
      .mockImplementation((msg: unknown) => void errors.push(String(msg)));
    try {
      expect(await main(['sim', '--bogus'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]).toMatch(/^rmm: unknown flag --bogus/);
  });
});
