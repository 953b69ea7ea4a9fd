import type { Backend } from '../backend/backend.ts';
import type { Config } from '../config/schema.ts';
import type { CancelSignal } from '../manager/cancel-signal.ts';
import { classifyError } from '../policy/errors.ts';
import type { Clock } from '../time/clock.ts';
import { clockSignal } from './clock-signal.ts';
import type { Fleet } from './fleet.ts';

export type HostVerdict = 'up' | 'down';

/**
 * The host breaker's I/O: asks a host's `GET /api/version` (Ollama answers it without touching a model),
 * and tells the supervisor when the host goes down or answers again. A request that meets a refused or
 * reset connection, or a timeout, asks for a verdict before blaming the model: if the host does not answer
 * its own probe either, the host is down and no model is charged. While a host is down it is probed every
 * `host_health.probe_interval_s`, so its models serve again as soon as it answers.
 */
export class HostHealth {
  private readonly running = new Map<string, Promise<HostVerdict>>();
  private readonly polling = new Map<string, unknown>();
  private readonly upWaiters = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly fleet: Fleet,
    private readonly backends: ReadonlyMap<string, Backend>,
    private readonly clock: Clock,
    /** Reconciles a host that answers again after being down (a restart may have emptied its memory). */
    private readonly onBack: (host: string) => Promise<void>,
  ) {}

  isDown(host: string): boolean {
    return this.fleet.host(host)?.health.status === 'down';
  }

  /** One probe of the host, shared with any already running; reports the verdict to the supervisor. */
  verdict(host: string): Promise<HostVerdict> {
    const running = this.running.get(host);
    if (running) return running;
    const p = this.probe(host).finally(() => this.running.delete(host));
    this.running.set(host, p);
    return p;
  }

  private async probe(host: string): Promise<HostVerdict> {
    const backend = this.backends.get(host);
    if (!backend) return 'down';
    const bound = clockSignal(this.clock, this.config.host_health.probe_timeout_s * 1000);
    let version: string;
    try {
      version = await backend.version(bound.signal);
    } catch (err) {
      const c = classifyError((err as { cause?: unknown }).cause ?? err, 'connect');
      this.markDown(host, c.reason);
      return 'down';
    } finally {
      bound.clear();
    }
    // Back after being down (or never seen): it may have restarted with nothing in memory. It counts as up
    // only once its /api/ps has been read (HOST_RECONCILED marks it up), so no request trusts a stale ledger.
    if (this.fleet.host(host)?.health.status !== 'up') await this.onBack(host);
    const h = this.fleet.host(host);
    if (h?.health.status === 'up' && h.health.version !== version)
      this.fleet.sendSupervisor({ type: 'HOST_UP', host, version });
    return this.isDown(host) ? 'down' : 'up';
  }

  /** The host answered a reconciliation: up (the supervisor already knows), polling stops, waiters wake. */
  answered(host: string): void {
    if (this.stopped) return;
    this.stopPolling(host);
    for (const wake of [...this.upWaiters]) wake();
  }

  /** Reported by a caller that saw the host fail at the connection level (or its /api/ps fail). */
  markDown(host: string, reason: string): void {
    const h = this.fleet.host(host);
    if (!h || this.stopped) return;
    if (h.health.status !== 'down' || h.health.reason !== reason)
      this.fleet.sendSupervisor({ type: 'HOST_DOWN', host, reason });
    this.startPolling(host);
  }

  private startPolling(host: string): void {
    if (this.polling.has(host) || this.stopped) return;
    const tick = () => {
      this.polling.set(host, this.clock.setTimeout(poll, this.config.host_health.probe_interval_s * 1000));
    };
    const poll = () => {
      void this.verdict(host).then((v) => {
        if (v === 'down' && this.polling.has(host)) tick();
      });
    };
    tick();
  }

  private stopPolling(host: string): void {
    const t = this.polling.get(host);
    if (t === undefined) return;
    this.clock.clearTimeout(t);
    this.polling.delete(host);
  }

  /** Resolves true as soon as any of `hosts` is up (probing each once now), false after `ms` or abort. */
  async waitUp(hosts: readonly string[], ms: number, signal?: CancelSignal): Promise<boolean> {
    const anyUp = () => hosts.some((h) => !this.isDown(h));
    if (anyUp()) return true;
    for (const h of hosts) void this.verdict(h);
    return new Promise<boolean>((resolve) => {
      const finish = (v: boolean) => {
        this.upWaiters.delete(check);
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        resolve(v);
      };
      const check = () => {
        if (anyUp()) finish(true);
      };
      const abort = () => finish(false);
      const timer = this.clock.setTimeout(() => finish(anyUp()), ms);
      signal?.addEventListener('abort', abort, { once: true });
      this.upWaiters.add(check);
      check();
    });
  }

  stop(): void {
    this.stopped = true;
    for (const host of [...this.polling.keys()]) this.stopPolling(host);
  }
}
