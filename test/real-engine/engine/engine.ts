import { type Llama, loadLlamaModule } from '../llama-binding.ts';
import { EngineCatalog, type EngineModel } from './catalog.ts';
import { FifoLock } from './fifo-lock.ts';
import { ChunkGate } from './gate.ts';
import { ModelRunner } from './runner.ts';

export interface EngineOptions {
  /** Folder of *.gguf files; each is served as `<file name>:latest`. */
  dir: string;
  /** OLLAMA_KEEP_ALIVE: how long a model stays loaded after its last request. Default 5 minutes. */
  defaultKeepAliveMs?: number;
  /** num_ctx when a request does not set one (capped at the model's own context length). Default 2048. */
  defaultNumCtx?: number;
  /**
   * num_predict when a request does not set one. Ollama's default is unbounded (until the context is full);
   * random weights rarely sample end-of-text, so that would mean thousands of tokens. Default 128.
   */
  defaultNumPredict?: number;
  /** CPU threads per context. Default 1: CI machines have two cores and the test runner needs one. */
  threads?: number;
  /**
   * Read the whole file into memory on load instead of mapping it. Default false (no mmap): a mapped load
   * costs a few milliseconds whatever the size, so load time would not grow with the model as it does in
   * Ollama on a GPU.
   */
  useMmap?: boolean;
  /**
   * What /api/ps reports as size_vram. 'all' (default): the engine plays a GPU host, so the memory it really
   * uses for a model is reported as VRAM and the manager's VRAM accounting sees real numbers. 'none': what
   * Ollama itself reports on a CPU (0).
   */
  vram?: 'all' | 'none';
  /** Requests waiting across all models before new ones get 503 (OLLAMA_MAX_QUEUE). Default 512. */
  maxQueue?: number;
  /** What /api/version answers. Default 0.12.0, the simulator's default. */
  version?: string;
}

/** The engine's state behind the HTTP layer: the model folder, one runner per model, the test gate. */
export class Engine {
  readonly gate = new ChunkGate();
  readonly settings: Required<Omit<EngineOptions, 'dir'>>;
  private readonly runners = new Map<string, ModelRunner>();
  private readonly loadLock = new FifoLock();
  private closed = false;

  private constructor(
    readonly catalog: EngineCatalog,
    private readonly llama: Llama,
    options: EngineOptions,
  ) {
    this.settings = {
      defaultKeepAliveMs: options.defaultKeepAliveMs ?? 5 * 60_000,
      defaultNumCtx: options.defaultNumCtx ?? 2048,
      defaultNumPredict: options.defaultNumPredict ?? 128,
      threads: options.threads ?? 1,
      useMmap: options.useMmap ?? false,
      vram: options.vram ?? 'all',
      maxQueue: options.maxQueue ?? 512,
      version: options.version ?? '0.12.0',
    };
  }

  static async create(options: EngineOptions): Promise<Engine> {
    const module = await loadLlamaModule();
    const llama = await module.getLlama({
      gpu: false,
      build: 'never',
      logLevel: module.LlamaLogLevel.error,
      logger: (level, message) => {
        if (level === 'error' || level === 'fatal') process.stderr.write(`[llama.cpp] ${message}\n`);
      },
    });
    return new Engine(new EngineCatalog(options.dir, module), llama, options);
  }

  /** The runner for a model in the folder (created on first use, kept for the engine's life). */
  runner(model: EngineModel): ModelRunner {
    let runner = this.runners.get(model.name);
    if (!runner || runner.info.path !== model.path) {
      runner = new ModelRunner(model, {
        llama: this.llama,
        loadLock: this.loadLock,
        defaultKeepAliveMs: this.settings.defaultKeepAliveMs,
        threads: this.settings.threads,
        useMmap: this.settings.useMmap,
        now: Date.now,
      });
      this.runners.set(model.name, runner);
    }
    return runner;
  }

  /** Requests waiting for a model's slot across the engine. */
  get queued(): number {
    let n = 0;
    for (const r of this.runners.values()) n += r.waiting;
    return n;
  }

  /** Runners that are loading or loaded, latest expiry first (the /api/ps order). */
  resident(): ModelRunner[] {
    return [...this.runners.values()]
      .filter((r) => r.state !== 'unloaded')
      .sort((a, b) => b.expiresAt - a.expiresAt || a.info.name.localeCompare(b.info.name));
  }

  /** What tests read from GET /__engine/state: every runner's real measurements. */
  state() {
    return {
      gate: { pause_after_chunks: this.gate.pauseAfterChunks, paused: this.gate.paused },
      models: [...this.runners.values()].map((r) => ({
        name: r.info.name,
        state: r.state,
        in_flight: r.inFlight,
        waiting: r.waiting,
        loads: r.loads,
        last_load_ms: r.lastLoadMs ?? null,
        size: r.state === 'loaded' ? r.sizeBytes : 0,
        context_length: r.numCtx,
      })),
    };
  }

  /** Call after the HTTP server stopped taking requests and dropped its connections (which aborts them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gate.set(null);
    for (const runner of this.runners.values()) await runner.shutdown();
    await this.llama.dispose();
  }
}
