import type { CatalogModel } from './catalog.ts';
import { offloadSlowdown } from './eviction.ts';

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
  expiryTimer: ReturnType<typeof setTimeout> | undefined;
  loadTimer: ReturnType<typeof setTimeout> | undefined;
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

  /** The load finished, failed or was abandoned: whoever waits on `loaded` may look again. */
  settleLoad(): void {
    this.markSettled();
  }
}
