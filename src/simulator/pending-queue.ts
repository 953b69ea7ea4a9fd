import type { CatalogModel } from './catalog.ts';
import type { Runner } from './runner.ts';

export interface ScheduleRequest {
  model: CatalogModel;
  /** undefined keeps the runner's earlier keep-alive (the default on a fresh load). */
  keepAliveMs: number | undefined;
  numCtx?: number | undefined;
  signal: AbortSignal;
}

/** A request waiting for a runner: settled once it has one, an error, or is gone. */
export interface Pending {
  req: ScheduleRequest;
  settled: boolean;
  resolve(runner: Runner): void;
  reject(err: Error): void;
}

export function settle(p: Pending, outcome: Runner | Error): void {
  if (p.settled) return;
  p.settled = true;
  if (outcome instanceof Error) p.reject(outcome);
  else p.resolve(outcome);
}

/**
 * The scheduler's queue: requests waiting in arrival order, the one being placed (`current`), and the
 * wake-ups the placing loop waits on when it can do nothing until something leaves memory.
 */
export class PendingQueue {
  private readonly pending: Pending[] = [];
  current: Pending | undefined;
  private wakers = new Set<() => void>();

  push(p: Pending): void {
    this.pending.push(p);
  }

  shift(): Pending | undefined {
    return this.pending.shift();
  }

  remove(p: Pending): void {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
  }

  /** Queued requests still waiting (the one being placed is not counted). */
  length(): number {
    return this.pending.filter((p) => !p.settled).length;
  }

  queuedFor(model: string): number {
    return this.pending.filter((p) => !p.settled && p.req.model.name === model).length;
  }

  /** Whether the request being placed or a queued one still wants `model`. */
  wants(model: string): boolean {
    const wants = (p: Pending | undefined) => p !== undefined && !p.settled && p.req.model.name === model;
    return wants(this.current) || this.pending.some(wants);
  }

  /** Settles every queued request, then the one being placed, with `err`, and empties the queue. */
  settleAll(err: Error): void {
    for (const p of [...this.pending, ...(this.current ? [this.current] : [])]) settle(p, err);
    this.pending.length = 0;
  }

  /** Resolves at the next unload, failed or abandoned load, or cancellation: the loop looks again. */
  nextUnload(p: Pending): Promise<void> {
    if (p.settled) return Promise.resolve();
    return new Promise((resolve) => this.wakers.add(resolve));
  }

  wake(): void {
    const wakers = this.wakers;
    this.wakers = new Set();
    for (const w of wakers) w();
  }
}
