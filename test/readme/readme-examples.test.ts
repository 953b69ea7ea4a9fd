import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.ts';
import { jsonDocuments, readmeBlocks } from './readme-blocks.ts';

/**
 * Runs every shell example of the README against a service started here (the compiled `rmm serve`, as a
 * user starts it, with the default catalogue on the built-in simulator), with its own state folder and
 * ports: the README's 127.0.0.1:8309 and 127.0.0.1:11434 are mapped to them, and RMM_PORT points `rmm`
 * at it. How a block is checked, or why it is not run, is said next to it (see readme-blocks.ts).
 */
const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = readmeBlocks(README);

let service: ChildProcess | undefined;
let serviceUrl = '';
let simulatorUrl = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmm-readme-'));
  const config = defaultConfig();
  config.simulate = 'always';
  config.simulator.port = 0;
  // Simulated time 100× faster: loads of the seed's catalogue take tens of milliseconds.
  config.simulator.time_scale = 0.01;
  config.server.port = 0;
  config.server.log_level = 'info';
  config.state_dir = join(dir, 'state');
  writeFileSync(join(dir, 'rmm.json'), JSON.stringify(config));
  const child = spawn(process.execPath, ['bin/rmm.js', 'serve', '--config', join(dir, 'rmm.json')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RMM_API_KEY: '', OLLAMA_HOST: '' },
  });
  service = child;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const rec = JSON.parse(line) as { msg?: string; url?: string; simulator?: string[] };
      if (rec.simulator) simulatorUrl = rec.simulator[0]!;
      if (rec.msg === 'resilient model manager listening') {
        serviceUrl = rec.url!;
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`rmm serve exited with ${code}`)));
  });
  // The examples are what a person runs once the service is up: wait until it can take traffic.
  const until = Date.now() + 30_000;
  while ((await fetch(`${serviceUrl}/readyz`)).status !== 200) {
    if (Date.now() > until) throw new Error('the service did not become ready in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // npm's first `npx rmm` in a fresh environment sets up its exec cache (seconds on a busy machine): done
  // once here, so the examples' own time limit measures the examples.
  execFileSync('npx', ['rmm', 'help'], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 });
}, 120_000);

afterAll(async () => {
  if (!service || service.exitCode !== null) return;
  const exited = new Promise((resolve) => service!.once('exit', resolve));
  service.kill('SIGTERM');
  await exited;
});

/** The README's addresses → the test service's. */
function localise(code: string): string {
  const service = new URL(serviceUrl).host;
  const simulator = new URL(simulatorUrl).host;
  return code
    .replaceAll('127.0.0.1:8309', service)
    .replaceAll('localhost:8309', service)
    .replaceAll('127.0.0.1:11434', simulator)
    .replaceAll('localhost:11434', simulator);
}

/** A block that has not finished in this time has failed; it is killed with everything it started. */
const BLOCK_TIMEOUT_MS = 20_000;

function run(code: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], {
      detached: true,
      cwd: ROOT,
      env: {
        ...process.env,
        RMM_PORT: new URL(serviceUrl).port,
        RMM_API_KEY: '',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${BLOCK_TIMEOUT_MS} ms: a block that never ends needs a skip marker)`;
      process.kill(-child.pid!, 'SIGKILL');
    }, BLOCK_TIMEOUT_MS);
    child.once('close', (exit) => {
      clearTimeout(timer);
      resolve({ code: exit, stdout, stderr });
    });
  });
}

describe('README examples', () => {
  it('has examples, and every one that is not run says why', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    expect(blocks.filter((b) => !b.skip).length).toBeGreaterThanOrEqual(5);
  });

  for (const block of blocks) {
    const title = `line ${block.line}: ${block.code.split('\n')[0]!.slice(0, 70)}`;
    it.skipIf(block.skip !== undefined)(
      `${title}${block.skip ? ` (not run: ${block.skip})` : ''}`,
      async () => {
        const result = await run(localise(block.code));
        const context = `README line ${block.line}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
        expect(result.code, context).toBe(block.exit);
        expect(result.stdout.trim(), context).not.toBe('');
        if (block.json) {
          const docs = jsonDocuments(result.stdout);
          expect(docs.length, context).toBeGreaterThan(0);
          for (const doc of docs) {
            const isError = typeof doc === 'object' && doc !== null && 'error' in doc;
            expect(isError, context).toBe(false);
          }
        }
        for (const re of block.match) expect(result.stdout, context).toMatch(re);
      },
    );
  }
});
