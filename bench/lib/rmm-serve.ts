import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/schema.ts';
import { freePort } from './free-port.ts';

const ROOT = join(import.meta.dirname, '../..');

/** `rmm serve` as a user runs it: the compiled service (bin/rmm.js → dist/), no transpiler loaded. */
export interface RmmProcess {
  pid: number;
  url: string;
  /** From spawn to the first 200 from /readyz (a model can take traffic), in ms. */
  readyMs: number;
  /** SIGTERM (a clean shutdown: snapshot and journal flushed), SIGKILL after 10 s. */
  close(): Promise<void>;
}

/**
 * Starts `node bin/rmm.js serve` with `config` (written as JSON beside `stateDir`) on a free port, its logs
 * at info to /dev/null (every line is still formatted and written), and resolves once /readyz answers 200.
 * The same state folder again is a restart: snapshot and journal restored.
 */
export async function serveRmm(config: Readonly<Config>, stateDir: string): Promise<RmmProcess> {
  const port = await freePort();
  const file = `${stateDir}.config.json`;
  writeFileSync(file, JSON.stringify({ ...config, state_dir: stateDir, server: { ...config.server, port } }));
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/rmm.js', 'serve', '--config', file], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, RMM_LOG_LEVEL: config.server.log_level },
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const readyMs = await untilReady(url, started, exited);
  return { pid: child.pid!, url, readyMs, close: () => stop(child, exited) };
}

async function untilReady(url: string, started: number, exited: Promise<number | null>): Promise<number> {
  let gone: number | null | undefined;
  void exited.then((code) => {
    gone = code;
  });
  while (performance.now() - started < 30_000) {
    if (gone !== undefined) throw new Error(`rmm serve exited with ${gone} before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - started;
    } catch {
      // Not listening yet.
    }
    // Short steps: this is also how the restart-to-ready time is measured.
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`rmm serve was not ready at ${url} within 30 s`);
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
