import { FOREVER_MS } from '../../../src/simulator/duration.ts';
import type { Llama, LlamaContext, LlamaModel, LlamaSequence } from '../llama-binding.ts';
import type { EngineModel } from './catalog.ts';
import { FifoLock } from './fifo-lock.ts';

/**
 * One model's life in the engine, the way Ollama's scheduler runs a runner: loaded on first use (one load
 * at a time engine-wide), one request at a time (num_parallel 1; the rest queue in arrival order), kept for
 * keep_alive after its last request, then unloaded. A request without keep_alive keeps the earlier value;
 * keep_alive 0 unloads once the requests in flight are done. Changing num_ctx reloads it.
 */

export interface RunnerSettings {
  llama: Llama;
  /** Shared by every runner of the engine: Ollama loads one model at a time. */
  loadLock: FifoLock;
  defaultKeepAliveMs: number;
  threads: number;
  useMmap: boolean;
  now: () => number;
}

export interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaSequence;
}

export type RunnerState = 'unloaded' | 'loading' | 'loaded';

export class ModelRunner {
  state: RunnerState = 'unloaded';
  /** Requests holding or waiting for the slot; the runner is idle (and may expire) only at zero. */
  inFlight = 0;
  loads = 0;
  /** Wall time of the last completed load (model file + context), in ms (fractional, monotonic clock). */
  lastLoadMs: number | undefined;
  numCtx = 0;
  private loaded: Loaded | undefined;
  private keepAliveMs: number;
  private expiresAtMs = 0;
  private expiry: ReturnType<typeof setTimeout> | undefined;
  private readonly slot = new FifoLock();
  /** Loads and unloads of this runner, in order, so an unload never races the next load. */
  private ops: Promise<unknown> = Promise.resolve();

  constructor(
    readonly info: EngineModel,
    private readonly settings: RunnerSettings,
  ) {
    this.keepAliveMs = settings.defaultKeepAliveMs;
  }

  get waiting(): number {
    return this.slot.waiting;
  }

  /** Model and context memory as node-llama-cpp accounts it; the file size while still loading. */
  get sizeBytes(): number {
    if (!this.loaded) return this.info.sizeBytes;
    const { model, context } = this.loaded;
    return (
      model.memoryUsage.ram + model.memoryUsage.vram + context.memoryUsage.ram + context.memoryUsage.vram
    );
  }

  /** While busy, a full keep-alive from now (the timer starts when the last request ends). */
  get expiresAt(): number {
    if (this.inFlight > 0 || this.expiresAtMs === 0) {
      return this.settings.now() + (Number.isFinite(this.keepAliveMs) ? this.keepAliveMs : FOREVER_MS);
    }
    return this.expiresAtMs;
  }

  /**
   * Joins the queue for the model; resolves when it is this request's turn. `keepAliveMs` (when given)
   * replaces the runner's keep-alive from now on. The returned function ends the request.
   */
  async enter(keepAliveMs: number | undefined, signal: AbortSignal): Promise<() => void> {
    this.inFlight++;
    this.cancelExpiry();
    if (keepAliveMs !== undefined) this.keepAliveMs = keepAliveMs;
    let release: () => void;
    try {
      release = await this.slot.acquire(signal);
    } catch (err) {
      this.leave();
      throw err;
    }
    return () => {
      release();
      this.leave();
    };
  }

  /** The loaded model with a context of `numCtx` tokens, loading (or reloading) it first if needed. */
  ensureLoaded(numCtx: number): Promise<Loaded> {
    return this.serial(async () => {
      if (this.loaded && this.numCtx === numCtx) return this.loaded;
      if (this.loaded) await this.dispose();
      return this.load(numCtx);
    });
  }

  /** keep_alive 0 with nothing to do: unload as soon as the requests in flight are done. */
  requestUnload(): void {
    this.keepAliveMs = 0;
    if (this.inFlight === 0) void this.unload();
  }

  unload(): Promise<void> {
    this.cancelExpiry();
    return this.serial(() => this.dispose());
  }

  /** Waits for the request holding the model (if any) to finish, then unloads it. */
  async shutdown(): Promise<void> {
    const release = await this.slot.acquire();
    try {
      await this.unload();
    } finally {
      release();
    }
  }

  private leave(): void {
    this.inFlight--;
    if (this.inFlight > 0 || this.state === 'unloaded') return;
    if (this.keepAliveMs <= 0) {
      void this.unload();
    } else if (Number.isFinite(this.keepAliveMs)) {
      this.expiresAtMs = this.settings.now() + this.keepAliveMs;
      // Unref'd: an idle engine must not keep a test process alive just to expire a model.
      this.expiry = setTimeout(() => {
        if (this.inFlight === 0) void this.unload();
      }, this.keepAliveMs);
      this.expiry.unref();
    } else {
      this.expiresAtMs = this.settings.now() + FOREVER_MS;
    }
  }

  private cancelExpiry(): void {
    if (this.expiry !== undefined) clearTimeout(this.expiry);
    this.expiry = undefined;
    this.expiresAtMs = 0;
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.ops.then(op, op);
    this.ops = next.catch(() => undefined);
    return next;
  }

  private async load(numCtx: number): Promise<Loaded> {
    const { llama, loadLock, threads, useMmap } = this.settings;
    // Listed by /api/ps from the moment its load starts, not while it waits for another model's load.
    const release = await loadLock.acquire();
    this.state = 'loading';
    const startedAt = performance.now();
    let model: LlamaModel | undefined;
    try {
      // gpuLayers 0: a CPU build has no GPU, and saying so keeps node-llama-cpp from probing for one.
      model = await llama.loadModel({ modelPath: this.info.path, gpuLayers: 0, useMmap });
      const context = await model.createContext({ contextSize: numCtx, threads, sequences: 1 });
      this.loaded = { model, context, sequence: context.getSequence() };
      this.numCtx = context.contextSize;
      this.lastLoadMs = performance.now() - startedAt;
      this.loads++;
      this.state = 'loaded';
      return this.loaded;
    } catch (err) {
      await model?.dispose();
      this.state = 'unloaded';
      throw err;
    } finally {
      release();
    }
  }

  private async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    this.state = 'unloaded';
    this.numCtx = 0;
    // A fresh load starts from the engine's default again, as in Ollama.
    this.keepAliveMs = this.settings.defaultKeepAliveMs;
    if (!loaded) return;
    await loaded.context.dispose();
    await loaded.model.dispose();
  }
}
