import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../time/clock.ts';
import type { CheckpointSink } from './checkpoint-sink.ts';
import { type LoadResult, loadStateFile, quarantineStateFile, type StateFile } from './load-state-file.ts';
import { CoalescedJob, SerialQueue } from './serial-queue.ts';
import { type Capture, SnapshotWriter } from './snapshot-writer.ts';

export interface SnapshotStoreOptions {
  /** Folder of the state file; created if missing. */
  dir: string;
  /** File name inside `dir`. Default 'state.json'. */
  name?: string;
  /** Version of the payload's shape; a file with another version is set aside, never migrated. */
  schemaVersion: number;
  /** Default systemClock: stamps saved_at and quarantine names, arms the debounce timer. */
  clock?: Clock;
  /** Quarantines log at error, failed writes at error, restores at info. Default: silent. */
  logger?: Logger;
  /** Debounce window of `schedule()`. Default 250 ms. */
  debounceMs?: number;
  /** When given, every save cuts a journal checkpoint and the envelope carries its id. */
  checkpoints?: CheckpointSink;
  /** fsync every write (default). Off only where no power can be cut: the deterministic simulation. */
  durable?: boolean;
}

/** Plain data for the status endpoint. */
export interface SnapshotStatus {
  file: string;
  last_saved_at: string | null;
  last_load: { status: LoadResult['status']; reason?: string; moved_to?: string | null } | null;
  last_error: { at: string; message: string } | null;
  writes: number;
  errors: number;
  /** Writes skipped because a newer capture had already reached the disk. */
  superseded: number;
}

/**
 * The supervisor's state file. Every write is atomic (see writeFileAtomic) and writes run one at a time in
 * call order; each payload is captured (serialised, stamped, checkpointed) when it is taken, and a write
 * whose capture is older than what is already on disk is skipped, so the file only ever moves forward
 * (see SnapshotWriter).
 */
export class SnapshotStore {
  readonly path: string;
  private readonly dir: string;
  private readonly file: StateFile;
  private readonly clock: Clock;
  private readonly debounceMs: number;
  private readonly writer: SnapshotWriter;

  private readonly queue = new SerialQueue();
  private readonly scheduled: CoalescedJob;
  private pending: (() => unknown) | null = null;
  private timer: unknown = null;

  private loaded: LoadResult | null = null;

  constructor(options: SnapshotStoreOptions) {
    if (!Number.isInteger(options.schemaVersion)) throw new TypeError('schemaVersion must be an integer');
    const name = options.name ?? 'state.json';
    const { schemaVersion, logger } = options;
    this.dir = options.dir;
    this.path = join(options.dir, name);
    this.clock = options.clock ?? systemClock;
    this.debounceMs = options.debounceMs ?? 250;
    this.file = { path: this.path, schemaVersion, clock: this.clock, logger };
    this.writer = new SnapshotWriter({
      path: this.path,
      name,
      schemaVersion,
      clock: this.clock,
      logger,
      checkpoints: options.checkpoints,
      durable: options.durable ?? true,
    });
    this.scheduled = new CoalescedJob(this.queue, () => this.writeScheduled());
    this.ensureDir();
  }

  /** ISO saved_at of the newest envelope on disk that this store wrote or restored. */
  get lastSavedAt(): string | null {
    return this.writer.savedAt;
  }

  get lastLoad(): LoadResult | null {
    return this.loaded;
  }

  /**
   * Reads the state file at start-up. Never throws: a missing file is a fresh start; an unreadable,
   * corrupt, truncated or incompatible one is quarantined (logged at error) and the start is fresh too.
   * Also removes temp files that crashed writers left behind.
   */
  load(): LoadResult {
    this.ensureDir();
    return this.settle(loadStateFile(this.file, (envelope) => this.writer.restored(envelope)));
  }

  /**
   * Moves the current state file aside and records a quarantined load. Public so a caller whose restore of
   * a well-formed payload fails (say, the machine rejects it) can set the file aside the same way.
   */
  quarantine(reason: string): LoadResult {
    return this.settle(quarantineStateFile(this.file, reason));
  }

  /** Captures `payload` now and writes it after any write already queued. Rejects if that write fails. */
  save(payload: unknown): Promise<void> {
    let capture: Capture;
    try {
      capture = this.writer.capture(() => payload);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.run(() => this.writer.write(capture));
  }

  /**
   * Debounced save. The first call arms a timer of `debounceMs`; later calls only replace the getter, which
   * is called when the write actually starts (so the newest state wins). The timer is not pushed back by
   * later calls, so constant activity still saves about once per window. Failures are logged, not thrown.
   */
  schedule(getPayload: () => unknown): void {
    this.pending = getPayload;
    if (this.timer === null && !this.scheduled.waiting) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        this.scheduled.request().catch(() => {});
      }, this.debounceMs);
    }
  }

  /** Writes a pending scheduled save now and waits for every queued write. For graceful shutdown. */
  async flush(): Promise<void> {
    this.cancelTimer();
    const job = this.pending !== null || this.scheduled.waiting ? this.scheduled.request() : null;
    await this.queue.idle();
    if (job) await job;
  }

  /** Resolves when every write queued so far has finished (without forcing a pending scheduled save). */
  async idle(): Promise<void> {
    await this.queue.idle();
  }

  /** Drops a pending scheduled save without writing it. */
  cancel(): void {
    this.cancelTimer();
    this.pending = null;
  }

  status(): SnapshotStatus {
    const load = this.loaded;
    const writer = this.writer;
    return {
      file: this.path,
      last_saved_at: writer.savedAt,
      last_load:
        load === null
          ? null
          : load.status === 'quarantined'
            ? { status: load.status, reason: load.reason, moved_to: load.movedTo }
            : { status: load.status },
      last_error: writer.lastError,
      writes: writer.writes,
      errors: writer.errors,
      superseded: writer.superseded,
    };
  }

  private ensureDir(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch {
      // Not fatal here: load reports the folder as unreadable and every save fails with the real cause.
    }
  }

  private settle(result: LoadResult): LoadResult {
    this.loaded = result;
    return result;
  }

  /** The scheduled save: the getter is called only now, when the write starts, so the newest state wins. */
  private async writeScheduled(): Promise<void> {
    const get = this.pending;
    this.pending = null;
    if (get === null) return;
    await this.writer.write(this.writer.capture(get));
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
