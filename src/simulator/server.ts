import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config, HostConfig } from '../config/schema.ts';
import type { Clock } from '../time/clock.ts';
import { Catalog, normaliseName } from './catalog.ts';
import { SimClock } from './clock.ts';
import type { RequestContext, SimServices } from './context.ts';
import { freshCounters, type SimCounters } from './counters.ts';
import { parseEnvKeepAlive } from './duration.ts';
import { FaultBook } from './faults.ts';
import { readBody, sendError, sendText } from './http-io.ts';
import { RequestLog } from './request-log.ts';
import { matchRoute } from './router.ts';
import { Scheduler } from './scheduler.ts';
import type { Fault, FaultSpec, SimState, SimulatorHandle } from './types.ts';

/**
 * The simulated Ollama host: a plain node:http server (exact wire control: plain-text 404/405, destroyed
 * sockets, hangs), the scheduler, the fault book, and the admin surface. One instance per config host.
 */
export class SimulatorServer implements SimulatorHandle, SimServices {
  readonly clock: SimClock;
  readonly catalog: Catalog;
  readonly faults: FaultBook;
  readonly counters: SimCounters = freshCounters();
  readonly requests = new RequestLog();
  readonly seed: number;
  readonly version: string;
  private sched: Scheduler;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Ollama requests being answered: a host restart cuts them. */
  private readonly inflight = new Set<ServerResponse>();
  private downUntil = 0;
  url = '';
  port = 0;

  /** `clock`: run on this clock instead of the machine's (the deterministic simulation's virtual time). */
  constructor(
    readonly config: Readonly<Config>,
    readonly host: Readonly<HostConfig>,
    clock?: Clock,
  ) {
    this.seed = config.simulator.seed;
    this.version = config.simulator.version;
    this.clock = new SimClock(config.simulator.time_scale, clock);
    this.catalog = new Catalog(config, host, this.clock.wallNow());
    this.faults = new FaultBook(this.seed);
    this.sched = this.newScheduler();
    this.server = createServer({ requestTimeout: 0, noDelay: true }, (req, res) => this.dispatch(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(hostAddr: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, hostAddr, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    this.url = `http://${hostAddr.includes(':') ? `[${hostAddr}]` : hostAddr}:${this.port}`;
  }

  scheduler(): Scheduler {
    return this.sched;
  }

  get faultControl() {
    return {
      add: (spec: FaultSpec) => this.faults.add(spec),
      remove: (id: string) => void this.faults.remove(id),
      clear: () => this.faults.clear(),
      list: (): Fault[] => this.faults.list(),
    };
  }

  state(): SimState {
    const models = this.sched.modelStates();
    return {
      host: this.host.name,
      version: this.version,
      vram_budget_bytes: budgetBytes(this.host),
      vram_used_bytes: this.sched.vramUsed(),
      vram_peak_bytes: this.counters.vram_peak_bytes,
      models,
      loads_total: this.counters.loads_total,
      loads_abandoned: this.counters.loads_abandoned,
      loads_failed: this.counters.loads_failed,
      unloads_requested: this.counters.unloads_requested,
      expirations_total: this.counters.expirations_total,
      evictions_by_scheduler: this.counters.evictions_by_scheduler.map((e) => ({ ...e })),
      requests_total: this.counters.requests_total,
      inference_requests_total: this.counters.inference_requests_total,
      queue_length: this.sched.queueLength(),
      restarts_total: this.counters.restarts_total,
      down: this.isDown(),
      faults: this.faults.list(),
    };
  }

  restart(downMs?: number): void {
    this.counters.restarts_total++;
    this.cutEverything();
    if (downMs && downMs > 0) this.downUntil = this.clock.now() + this.clock.real(downMs);
  }

  reset(): void {
    this.cutEverything();
    this.downUntil = 0;
    this.faults.reset();
    this.catalog.reset();
    this.requests.clear();
    Object.assign(this.counters, freshCounters());
  }

  async close(): Promise<void> {
    this.sched.dispose();
    this.clock.dispose();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private newScheduler(): Scheduler {
    const { host, config } = this;
    return new Scheduler(
      {
        budgetBytes: budgetBytes(host),
        numParallel: host.num_parallel,
        maxLoaded: host.max_loaded_models,
        maxQueue: config.simulator.max_queue,
        defaultKeepAliveMs: parseEnvKeepAlive(config.simulator.default_keep_alive),
        version: this.version,
      },
      this.clock,
      this.counters,
      {
        outOfMemory: (model) => this.faults.take('oom_on_load', model) !== undefined,
        loadTimeout: (model) => {
          const fault = this.faults.take('load_timeout', model);
          return fault ? { ms: fault.ms } : undefined;
        },
      },
    );
  }

  /** Everything unloaded, every Ollama request cut, as when the process dies. */
  private cutEverything(): void {
    for (const res of this.inflight) res.destroy();
    this.inflight.clear();
    this.sched.dispose();
    this.sched = this.newScheduler();
  }

  private isDown(): boolean {
    return this.clock.now() < this.downUntil;
  }

  /**
   * Answers one request. The HTTP server calls it for every connection's requests; the in-process
   * transport (src/simulate/) calls it with request and response objects of its own, without sockets.
   */
  dispatch(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, (err as Error).message ?? String(err));
      else res.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = req.method ?? 'GET';
    const route = matchRoute(method, url.pathname);
    if (route.kind === 'not_found') return sendText(res, 404, '404 page not found');
    if (route.kind === 'method_not_allowed') return sendText(res, 405, '405 method not allowed');
    const body = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const ctx: RequestContext = {
      req,
      res,
      url,
      body,
      signal: abort.signal,
      startedAt: this.clock.now(),
      sim: this,
    };
    if (route.kind === 'admin') return route.handler(ctx);

    this.counters.requests_total++;
    this.requests.record(method, url.pathname, body);
    if (this.isDown()) return void req.socket.destroy();
    if (await this.gate(ctx, modelOf(body))) return;
    this.inflight.add(res);
    try {
      await route.handler(ctx);
    } finally {
      this.inflight.delete(res);
    }
  }

  /** Faults that act on the connection itself. Returns true when the request was disposed of. */
  private async gate(ctx: RequestContext, model: string | undefined): Promise<boolean> {
    const restart = this.faults.take('host_restart', model);
    if (restart) {
      this.restart(restart.down_ms);
      if (this.isDown()) {
        ctx.req.socket.destroy();
        return true;
      }
    }
    if (this.faults.take('refuse', model)) {
      ctx.req.socket.destroy();
      return true;
    }
    if (this.faults.take('hang', model)) {
      // Accepted, never answered: held until the client gives up.
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return true;
    }
    const latency = this.faults.take('latency', model);
    if (latency && !(await this.clock.sleep(latency.ms ?? 0, ctx.signal))) return true;
    return false;
  }
}

function budgetBytes(host: Readonly<HostConfig>): number {
  return Math.round(host.vram_gb * 1e9);
}

/** The model a request names, for scoping faults; undefined when it names none. */
function modelOf(body: string): string | undefined {
  if (body === '') return undefined;
  try {
    const value = JSON.parse(body) as Record<string, unknown> | null;
    const name = value?.['model'] ?? value?.['name'];
    return typeof name === 'string' && name !== '' ? normaliseName(name) : undefined;
  } catch {
    return undefined;
  }
}
