import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A bench process (simulator, proxy, gateway) driven over IPC; its own pid gives its own CPU time. */
export interface BenchChild {
  pid: number;
  url: string;
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  close(): Promise<void>;
}

type Reply = { id: number; result?: unknown; error?: string };
type Message = { type: 'ready'; url: string } | ({ type: 'reply' } & Reply);

/**
 * Forks `bench/children/<name>.ts` with tsx and --expose-gc, passes `payload` as JSON in BENCH_PAYLOAD and
 * resolves once the child reports its URL. stdout/stderr are inherited only for errors (the child's
 * logs go to /dev/null), so a crash still explains itself.
 */
export async function startChild(
  name: string,
  payload: unknown,
  opts: { execArgv?: string[]; timeoutMs?: number } = {},
): Promise<BenchChild> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const script = fileURLToPath(new URL(`../children/${name}.ts`, import.meta.url));
  const child = fork(script, [], {
    execArgv: ['--expose-gc', '--import', 'tsx', ...(opts.execArgv ?? [])],
    env: { ...process.env, BENCH_PAYLOAD: JSON.stringify(payload) },
    stdio: ['ignore', process.env['BENCH_CHILD_LOG'] ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} child did not start in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} child exited with ${code} before it was ready`));
    });
    child.on('message', (m: Message) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.url);
      } else if (m.type === 'reply') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(`${name}: ${m.error}`));
        else p?.resolve(m.result);
      }
    });
  });
  child.removeAllListeners('exit');
  child.on('exit', () => {
    for (const p of pending.values()) p.reject(new Error(`${name} child exited`));
    pending.clear();
  });
  return {
    pid: child.pid!,
    url,
    call<T>(method: string, ...args: unknown[]): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ type: 'call', id, method, args });
      });
    },
    close: () => stop(child),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ type: 'close' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
