import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../time/clock.ts';
import { removeStaleTemps, writeFileAtomic } from './atomic-write.ts';
import { decodeEnvelope, type Envelope, encodeEnvelope, stringifyPayload } from './envelope.ts';
import { quarantineFile } from './quarantine.ts';

export type LoadResult =
  | { status: 'fresh' }
  | { status: 'restored'; envelope: Envelope }
  /** `movedTo` is null only when even the rename failed; `reason` then says so too. */
  | { status: 'quarantined'; movedTo: string | null; reason: string };

/**
 * A log the snapshot is cut against; `Journal` satisfies it. `checkpoint` is called in the same synchronous
 * step that captures the payload, so every record appended before it is in the snapshot and every record
 * after it is not; `flush({ sync: true })` makes that checkpoint durable before the snapshot naming it is.
 */
export interface CheckpointSink {
  checkpoint(snapshotRef: string): string;
  flush(options?: { sync?: boolean }): Promise<void>;
  /** Told by load() which checkpoint the restored snapshot was cut at, so new journal files can name it. */
  restored?(checkpoint: { id: string; snapshot: string }): void;
}

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

interface Capture {
  generation: number;
  savedAt: string;
  text: string;
  checkpoint: string | undefined;
}

/**
 * The supervisor's state file. Every write is atomic (see writeFileAtomic) and writes run one at a time in
 * call order; each payload is captured (serialised, stamped, checkpointed) when it is taken, and a write
 * whose capture is older than what is already on disk is skipped, so the file only ever moves forward.
 */
export class SnapshotStore {
  readonly path: string;
  private readonly dir: string;
  private readonly name: string;
  private readonly schemaVersion: number;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly debounceMs: number;
  private readonly checkpoints: CheckpointSink | undefined;
  private readonly durable: boolean;

  private tail: Promise<void> = Promise.resolve();
  private generation = 0;
  private writtenGeneration = 0;
  private pending: (() => unknown) | null = null;
  private timer: unknown = null;
  private scheduledJob: Promise<void> | null = null;

  private savedAt: string | null = null;
  private loaded: LoadResult | null = null;
  private error: { at: string; message: string } | null = null;
  private writes = 0;
  private errors = 0;
  private superseded = 0;

  constructor(options: SnapshotStoreOptions) {
    if (!Number.isInteger(options.schemaVersion)) throw new TypeError('schemaVersion must be an integer');
    this.dir = options.dir;
    this.name = options.name ?? 'state.json';
    this.path = join(options.dir, this.name);
    this.schemaVersion = options.schemaVersion;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.debounceMs = options.debounceMs ?? 250;
    this.checkpoints = options.checkpoints;
    this.durable = options.durable ?? true;
    this.ensureDir();
  }

  /** ISO saved_at of the newest envelope on disk that this store wrote or restored. */
  get lastSavedAt(): string | null {
    return this.savedAt;
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
    const stale = removeStaleTemps(this.path);
    if (stale.length > 0)
      this.logger?.warn({ removed: stale }, 'removed temp files of interrupted snapshot writes');

    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.settle({ status: 'fresh' });
      return this.quarantine(`unreadable: ${(err as Error).message}`);
    }
    const decoded = decodeEnvelope(text, this.schemaVersion);
    if (!decoded.ok) return this.quarantine(`${decoded.kind}: ${decoded.reason}`);
    this.savedAt = decoded.envelope.saved_at;
    const checkpoint = decoded.envelope.journal_checkpoint;
    if (checkpoint !== undefined) {
      this.checkpoints?.restored?.({ id: checkpoint, snapshot: this.refFor(decoded.envelope.saved_at) });
    }
    this.logger?.info(
      {
        file: this.path,
        saved_at: decoded.envelope.saved_at,
        journal_checkpoint: decoded.envelope.journal_checkpoint,
      },
      'restored state file',
    );
    return this.settle({ status: 'restored', envelope: decoded.envelope });
  }

  /**
   * Moves the current state file aside and records a quarantined load. Public so a caller whose restore of
   * a well-formed payload fails (say, the machine rejects it) can set the file aside the same way.
   */
  quarantine(reason: string): LoadResult {
    const outcome = quarantineFile(this.path, this.clock.now());
    const fullReason = outcome.error ? `${reason}; moving it aside failed: ${outcome.error}` : reason;
    this.logger?.error(
      { file: this.path, moved_to: outcome.movedTo, reason: fullReason },
      'state file is unusable: set aside, starting fresh',
    );
    return this.settle({ status: 'quarantined', movedTo: outcome.movedTo, reason: fullReason });
  }

  /** Captures `payload` now and writes it after any write already queued. Rejects if that write fails. */
  save(payload: unknown): Promise<void> {
    let capture: Capture;
    try {
      capture = this.capture(payload);
    } catch (err) {
      this.fail(err, 'could not capture snapshot');
      return Promise.reject(err);
    }
    return this.enqueue(() => this.write(capture));
  }

  /**
   * Debounced save. The first call arms a timer of `debounceMs`; later calls only replace the getter, which
   * is called when the write actually starts (so the newest state wins). The timer is not pushed back by
   * later calls, so constant activity still saves about once per window. Failures are logged, not thrown.
   */
  schedule(getPayload: () => unknown): void {
    this.pending = getPayload;
    if (this.timer === null && this.scheduledJob === null) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        this.enqueueScheduled().catch(() => {});
      }, this.debounceMs);
    }
  }

  /** Writes a pending scheduled save now and waits for every queued write. For graceful shutdown. */
  async flush(): Promise<void> {
    this.cancelTimer();
    const job = this.pending !== null || this.scheduledJob !== null ? this.enqueueScheduled() : null;
    await this.tail;
    if (job) await job;
  }

  /** Resolves when every write queued so far has finished (without forcing a pending scheduled save). */
  async idle(): Promise<void> {
    await this.tail;
  }

  /** Drops a pending scheduled save without writing it. */
  cancel(): void {
    this.cancelTimer();
    this.pending = null;
  }

  status(): SnapshotStatus {
    const load = this.loaded;
    return {
      file: this.path,
      last_saved_at: this.savedAt,
      last_load:
        load === null
          ? null
          : load.status === 'quarantined'
            ? { status: load.status, reason: load.reason, moved_to: load.movedTo }
            : { status: load.status },
      last_error: this.error,
      writes: this.writes,
      errors: this.errors,
      superseded: this.superseded,
    };
  }

  /** How a journal checkpoint names a snapshot: file name and capture time. */
  private refFor(savedAt: string): string {
    return `${this.name}@${savedAt}`;
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

  private capture(payload: unknown): Capture {
    const payloadText = stringifyPayload(payload);
    const savedAt = new Date(this.clock.now()).toISOString();
    const checkpoint = this.checkpoints?.checkpoint(this.refFor(savedAt));
    const meta = { schemaVersion: this.schemaVersion, savedAt, journalCheckpoint: checkpoint };
    return { generation: ++this.generation, savedAt, text: encodeEnvelope(payloadText, meta), checkpoint };
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => {});
    return run;
  }

  private enqueueScheduled(): Promise<void> {
    if (this.scheduledJob !== null) return this.scheduledJob;
    const job = this.enqueue(async () => {
      this.scheduledJob = null;
      const get = this.pending;
      this.pending = null;
      if (get === null) return;
      let capture: Capture;
      try {
        capture = this.capture(get());
      } catch (err) {
        this.fail(err, 'could not capture snapshot');
        throw err;
      }
      await this.write(capture);
    });
    this.scheduledJob = job;
    return job;
  }

  private async write(capture: Capture): Promise<void> {
    if (capture.generation < this.writtenGeneration) {
      this.superseded++;
      return;
    }
    if (capture.checkpoint !== undefined && this.checkpoints) {
      try {
        await this.checkpoints.flush({ sync: this.durable });
      } catch (err) {
        // The snapshot matters more than replay: write it anyway. Its checkpoint may then be missing from
        // the journal, which readJournal reports as checkpointFound: false.
        this.logger?.warn({ err, checkpoint: capture.checkpoint }, 'journal checkpoint may not be durable');
      }
    }
    try {
      await writeFileAtomic(this.path, capture.text, this.durable);
    } catch (err) {
      this.fail(err, 'snapshot write failed');
      throw err;
    }
    this.writtenGeneration = capture.generation;
    this.savedAt = capture.savedAt;
    this.writes++;
    this.error = null;
  }

  private fail(err: unknown, message: string): void {
    this.errors++;
    this.error = {
      at: new Date(this.clock.now()).toISOString(),
      message: `${message}: ${(err as Error).message}`,
    };
    this.logger?.error({ err, file: this.path }, message);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
