import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ModelKey } from './models.ts';

/**
 * The engine in a child process, for tests that need a host to die for real (kill -9: connection
 * refused from then on, streams cut mid-answer) and for keeping llama.cpp out of the test worker.
 */

export interface EngineProcess {
  url: string;
  pid: number;
  /** Sends the signal (default SIGKILL) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the process wrote to stderr so far (llama.cpp errors land here). */
  stderr(): string;
}

export interface EngineProcessOptions {
  /** Folder of GGUF files; default: the shared generated-models folder (see defaultModelDir). */
  dir?: string;
  /** Which generated models to make sure are in the folder. Default ['tiny', 'big']. */
  models?: readonly ModelKey[];
  port?: number;
  /** OLLAMA_KEEP_ALIVE as a Go duration. Default 5m. */
  keepAlive?: string;
  vram?: 'all' | 'none';
  /** How long to wait for the URL line before giving up. Default 60 s (CI machines can be slow). */
  startTimeoutMs?: number;
}

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = /real engine listening on (http:\/\/\S+)/;

export async function startEngineProcess(options: EngineProcessOptions = {}): Promise<EngineProcess> {
  const args = ['--import', 'tsx', main, '--models', (options.models ?? ['tiny', 'big']).join(',')];
  if (options.dir !== undefined) args.push('--dir', options.dir);
  if (options.port !== undefined) args.push('--port', String(options.port));
  if (options.keepAlive !== undefined) args.push('--keep-alive', options.keepAlive);
  if (options.vram !== undefined) args.push('--vram', options.vram);
  // cwd = the repository root, where `--import tsx` resolves.
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const url = await waitForUrl(child, exited, options.startTimeoutMs ?? 60_000, () => err);
    return {
      url,
      pid: child.pid!,
      stderr: () => err,
      kill: async (signal = 'SIGKILL') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
}

function waitForUrl(child: ChildProcess, exited: Promise<void>, timeoutMs: number, stderr: () => string) {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`real engine did not start within ${timeoutMs} ms; stderr:\n${stderr()}`)),
      timeoutMs,
    );
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = LISTENING.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`real engine exited before listening (code ${child.exitCode}); stderr:\n${stderr()}`));
    });
  });
}
