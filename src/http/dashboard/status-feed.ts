import type { StatusView } from '../../manager/status-view.ts';

/** Where the feed delivers frames: one per connected client (an SSE response in production). */
export interface FeedSink {
  /** One complete frame that carries state (a status or an error); a newer one supersedes it. */
  send(frame: string): void;
  /** A keep-alive comment; worthless if it cannot go out at once. */
  heartbeat(): void;
  /** The feed is shutting down: finish the response. */
  end(): void;
}

export interface StatusFeedOptions {
  /** Reads the current status; may throw (the error is reported once, then polling goes on). */
  read: () => StatusView;
  /** How often to read while anyone listens. Default 500 ms. */
  pollMs?: number;
  /** How often to send a keep-alive comment. Default 15 000 ms. */
  heartbeatMs?: number;
  /** Told about read failures (for logging). Default: ignored. */
  onError?: (err: unknown) => void;
}

const ERROR_KEY = '\u0000error';

/**
 * Turns a polled `manager.status()` into a stream of changes shared by every client: one poll timer and one
 * heartbeat timer whatever the number of clients, running only while at least one listens, so an idle
 * dashboard costs nothing and a closed one leaves no timer behind.
 *
 * "Changed" ignores `uptime_s`: it moves every second and would turn the feed into a 1 Hz ticker; the page
 * derives uptime from `started_at` instead.
 */
export class StatusFeed {
  private readonly sinks = new Set<FeedSink>();
  private readonly read: () => StatusView;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly onError: (err: unknown) => void;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastKey: string | undefined;
  private lastFrame: string | undefined;
  private closed = false;

  constructor(options: StatusFeedOptions) {
    this.read = options.read;
    this.pollMs = options.pollMs ?? 500;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.onError = options.onError ?? (() => {});
  }

  /** Number of connected clients. */
  get clients(): number {
    return this.sinks.size;
  }

  /** True while the feed holds timers (exactly when someone listens). */
  get running(): boolean {
    return this.pollTimer !== undefined || this.heartbeatTimer !== undefined;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Adds a client and sends it the current status at once. Returns the function that removes it (safe to
   * call twice). A closed feed ends the sink straight away.
   */
  subscribe(sink: FeedSink): () => void {
    if (this.closed) {
      sink.end();
      return () => {};
    }
    this.sinks.add(sink);
    if (this.sinks.size === 1) this.start();
    // A fresh read rather than the last frame: the last poll may be up to pollMs old.
    const changed = this.poll();
    if (!changed && this.lastFrame !== undefined) sink.send(this.lastFrame);
    return () => this.unsubscribe(sink);
  }

  /** Ends every client and stops the timers; later subscribers are ended at once. */
  close(): void {
    this.closed = true;
    const sinks = [...this.sinks];
    this.sinks.clear();
    this.stop();
    for (const sink of sinks) sink.end();
  }

  private unsubscribe(sink: FeedSink): void {
    if (!this.sinks.delete(sink)) return;
    if (this.sinks.size === 0) this.stop();
  }

  private start(): void {
    this.pollTimer = setInterval(() => this.poll(), this.pollMs);
    this.heartbeatTimer = setInterval(() => {
      for (const sink of this.sinks) sink.heartbeat();
    }, this.heartbeatMs);
    // The sockets keep the process alive while clients listen; the timers themselves never should.
    this.pollTimer.unref();
    this.heartbeatTimer.unref();
  }

  private stop(): void {
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    this.pollTimer = undefined;
    this.heartbeatTimer = undefined;
    // Forget the last state so the next first client is not compared against something stale.
    this.lastKey = undefined;
    this.lastFrame = undefined;
  }

  /** Reads the status and broadcasts it if it changed; returns whether it broadcast. */
  private poll(): boolean {
    let key: string;
    let frame: string;
    try {
      const status = this.read();
      const { uptime_s: _uptime, ...stable } = status;
      key = JSON.stringify(stable);
      if (key === this.lastKey) return false;
      frame = `data: ${JSON.stringify(status)}\n\n`;
    } catch (err) {
      if (this.lastKey === ERROR_KEY) return false;
      this.onError(err);
      key = ERROR_KEY;
      frame = `event: feed-error\ndata: ${JSON.stringify({ message: describe(err) })}\n\n`;
    }
    this.lastKey = key;
    this.lastFrame = frame;
    for (const sink of this.sinks) sink.send(frame);
    return true;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : 'status unavailable';
}
