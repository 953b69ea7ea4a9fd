import type { CatalogModel } from './catalog.ts';
import type { SimTimer } from './clock.ts';
import { offloadSlowdown } from './eviction.ts';
import { CancelledError } from './scheduler-errors.ts';

/** A request waiting for one of a runner's num_parallel slots. */
export interface SlotWaiter {
  resolve(): void;
  reject(err: Error): void;
  settled: boolean;
}

/** One model in (simulated) memory: loading or loaded, with its slots, references and keep-alive. */
export class Runner {
  status: 'loading' | 'loaded' = 'loading';
  /** Requests holding the runner (in a slot or waiting for one). The keep-alive clock runs only at 0. */
  refCount = 0;
  /** Requests inside a slot. */
  active = 0;
  slotWaiters: SlotWaiter[] = [];
  /** Chosen by the scheduler to make room: unloads as soon as it is idle, takes no new requests. */
  evicting = false;
  /** Wall-clock ms at which an idle runner expires; undefined while busy or kept forever. */
  idleExpiresAt: number | undefined;
  expiryTimer: SimTimer | undefined;
  loadTimer: SimTimer | undefined;
  readonly slowdown: number;
  readonly loaded: Promise<void>;
  private markSettled!: () => void;

  constructor(
    readonly model: CatalogModel,
    readonly sizeVram: number,
    /** Keep-alive in ms; Infinity = forever. */
    public sessionMs: number,
    readonly numCtx: number,
  ) {
    this.slowdown = offloadSlowdown(model.sizeBytes, sizeVram);
    this.loaded = new Promise((resolve) => {
      this.markSettled = resolve;
    });
  }

  get name(): string {
    return this.model.name;
  }

  /** Resolves once one of `limit` slots is free (FIFO); rejects with CancelledError when `signal` aborts. */
  takeSlot(limit: number, signal: AbortSignal): Promise<void> {
    if (this.active < limit && this.slotWaiters.length === 0) {
      this.active++;
      return Promise.resolve();
    }
    if (signal.aborted) return Promise.reject(new CancelledError('request cancelled'));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (waiter.settled) return;
        waiter.settled = true;
        this.slotWaiters = this.slotWaiters.filter((w) => w !== waiter);
        reject(new CancelledError('request cancelled'));
      };
      const waiter: SlotWaiter = {
        settled: false,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.slotWaiters.push(waiter);
    });
  }

  /** Frees a slot and hands it to the longest waiter. */
  releaseSlot(): void {
    this.active--;
    const next = this.slotWaiters.shift();
    if (next) {
      next.settled = true;
      this.active++;
      next.resolve();
    }
  }

  /** The load finished, failed or was abandoned: whoever waits on `loaded` may look again. */
  settleLoad(): void {
    this.markSettled();
  }
}
