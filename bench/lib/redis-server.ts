import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.ts';

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: nothing is saved, as after a crash). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real redis-server (Debian's package; CI installs it) on a free port, with nothing saved to disk. Waits
 * until it answers PING, so a test never races its start.
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    child.once('error', (err) => {
      throw new Error(`redis-server could not start (apt-get install -y redis-server): ${err.message}`);
    });
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on('error', () => {});
    try {
      await probe.connect().catch(() => {});
      for (let i = 0; i < 400; i++) {
        const pong = await probe.ping().catch(() => null);
        if (pong === 'PONG') return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`redis-server on port ${port} did not answer PING`);
    } finally {
      probe.disconnect();
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  await start();
  return { url, port, stop, start, close: stop };
}
