import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';

/** Tries to reach a Redis that went away this often (ms). */
const RECONNECT_MS = 500;
/** A command Redis has not answered by then fails: nothing waits on Redis longer (ms). */
const COMMAND_TIMEOUT_MS = 1000;

export type MessageHandler = (channel: string, text: string) => void;

/**
 * The connection to Redis: one client for commands, one for subscriptions (a subscribed client can do
 * nothing else). Commands never queue while Redis is away: they fail at once, so a caller falls back to
 * local decisions instead of waiting. Going down is logged once, coming back once; both are in `status()`.
 */
export class RedisLink {
  readonly cmd: Redis;
  private readonly sub: Redis;
  private upNow = false;
  private changedAt: number;
  private lastError: string | null = null;
  private readonly upListeners: Array<() => void> = [];
  private readonly downListeners: Array<() => void> = [];
  private closing = false;

  constructor(
    readonly url: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: COMMAND_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: () => RECONNECT_MS,
    };
    this.cmd = new Redis(url, options);
    // Subscriptions are not commands with answers to wait for: no timeout, and they come back by themselves.
    this.sub = new Redis(url, { ...options, commandTimeout: undefined, autoResubscribe: true });
    this.changedAt = clock.now();
    for (const client of [this.cmd, this.sub]) {
      // An 'error' event nobody listens to would crash the process; it is the reconnect loop's business.
      client.on('error', (err: Error) => {
        this.lastError = err.message;
      });
    }
    this.cmd.on('ready', () => this.setUp(true));
    this.cmd.on('close', () => this.setUp(false));
  }

  /** Connects both clients; resolves either way (Redis away at start means local decisions until it comes). */
  async connect(channels: string[], onMessage: MessageHandler): Promise<void> {
    this.sub.on('message', onMessage);
    await Promise.all([
      this.cmd.connect().catch(() => {}),
      this.sub
        .connect()
        .then(() => this.sub.subscribe(...channels))
        .catch(() => {}),
    ]);
    if (!this.upNow) this.logDown();
  }

  get up(): boolean {
    return this.upNow;
  }

  onUp(listener: () => void): void {
    this.upListeners.push(listener);
  }

  onDown(listener: () => void): void {
    this.downListeners.push(listener);
  }

  /** Publishes without waiting; a message lost while Redis is away is repaired by the next full state. */
  publish(channel: string, message: object): void {
    if (!this.upNow) return;
    this.cmd.publish(channel, JSON.stringify(message)).catch(() => {});
  }

  status(): { url: string; connected: boolean; since: string; last_error: string | null } {
    return {
      url: redacted(this.url),
      connected: this.upNow,
      since: new Date(this.changedAt).toISOString(),
      last_error: this.upNow ? null : this.lastError,
    };
  }

  private setUp(up: boolean) {
    if (up === this.upNow || this.closing) return;
    this.upNow = up;
    this.changedAt = this.clock.now();
    if (up) {
      this.logger.info(
        { redis: redacted(this.url) },
        'shared state: Redis is back; rejoining the other replicas',
      );
      for (const l of this.upListeners) l();
    } else {
      this.logDown();
      for (const l of this.downListeners) l();
    }
  }

  private logDown() {
    this.logger.warn(
      { redis: redacted(this.url), err: this.lastError },
      'shared state: Redis is unreachable; this replica decides alone (plans its hosts itself) until it returns',
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([this.cmd.quit().catch(() => {}), this.sub.quit().catch(() => {})]);
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}

/** A Redis URL without its password, for logs and status. */
export function redacted(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
