import { getHeapSpaceStatistics } from 'node:v8';

/**
 * The child side of bench/lib/child.ts: reads the payload, reports readiness, answers calls, and closes
 * on request. Handlers may be async; a thrown error is sent back as text.
 */
export type Handlers = Record<string, (...args: never[]) => unknown>;

export function payload<T>(): T {
  const raw = process.env['BENCH_PAYLOAD'];
  if (!raw) throw new Error('BENCH_PAYLOAD is missing: this script is started by bench/lib/child.ts');
  return JSON.parse(raw) as T;
}

export function serveParent(url: string, handlers: Handlers, close: () => Promise<void>): void {
  process.on('message', async (m: { type: string; id?: number; method?: string; args?: unknown[] }) => {
    if (m.type === 'close') {
      await close().catch(() => {});
      process.exit(0);
    }
    if (m.type !== 'call' || m.id === undefined || m.method === undefined) return;
    const handler = handlers[m.method] as ((...args: unknown[]) => unknown) | undefined;
    try {
      if (!handler) throw new Error(`no method ${m.method}`);
      const result = await handler(...(m.args ?? []));
      process.send?.({ type: 'reply', id: m.id, result: result ?? null });
    } catch (err) {
      process.send?.({ type: 'reply', id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  // The parent going away (a crashed bench) must not leave servers running.
  process.on('disconnect', () => void close().finally(() => process.exit(0)));
  process.send?.({ type: 'ready', url });
}

/**
 * Forced GC (the child runs with --expose-gc), then the heap figures. `code` is V8's code space (compiled
 * functions, which grows as the optimiser works through the program); `data` is everything else in the
 * heap, where a leak of objects shows.
 */
export function memorySample() {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  let code = 0;
  for (const s of getHeapSpaceStatistics()) if (s.space_name.includes('code')) code += s.space_used_size;
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    code,
    data: m.heapUsed - code,
    gc: gc !== undefined,
  };
}
