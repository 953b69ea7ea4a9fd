import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../time/clock.ts';
import type { CheckpointRecord, DecisionRecord, JournalEvent } from './journal-records.ts';
import { SegmentWriter } from './segment-writer.ts';
import { CoalescedJob, SerialQueue } from './serial-queue.ts';

export interface JournalOptions {
  /** Folder of the journal files; created if missing. */
  dir: string;
  /** Names this run in checkpoint ids. Default random; the deterministic simulation fixes it. */
  runId?: string;
  /** The replica writing this journal (several replicas share a fleet; `rmm replay --merge` tells them apart). */
  replica?: string;
  /** A file is closed and the next one started once the next batch would take it past this. Default 8 MiB. */
  maxBytes?: number;
  /** Arms the batch timer and stamps checkpoints. Default systemClock. */
  clock?: Clock;
  /** How long appends are buffered before one write carries them all. Default 50 ms. */
  flushIntervalMs?: number;
  /**
   * How many journal files to keep; older ones are deleted when a new file starts. Default Infinity (keep
   * all): deleting a file may delete the checkpoint the state file points at, which ends replay from it.
   */
  keepFiles?: number;
  /** The newest checkpoint from before this process (e.g. the restored envelope's), for the first header. */
  lastCheckpoint?: { id: string; snapshot: string };
  /** Write failures and dropped records log at error. Default: silent. */
  logger?: Logger;
}

export interface JournalStats {
  file: string | null;
  files_opened: number;
  records_written: number;
  batches_written: number;
  bytes_written: number;
  /** Records lost: unserialisable, appended after close, or in a batch whose write failed. */
  dropped: number;
  buffered: number;
  last_checkpoint: { id: string; snapshot: string } | null;
  last_error: { at: string; message: string } | null;
}

/**
 * Append-only JSONL log of every event that enters the actor system. `append` sits on the request hot path,
 * so it only serialises the record and pushes the string; a timer turns everything buffered into one
 * `write` per batch. Each process starts a new file (never appends after a line a crash may have torn) and
 * files rotate by size (see SegmentWriter). A `kill -9` loses at most the unwritten batch and may tear the last line of the
 * current file; `readJournal` skips and reports such a line.
 */
export class Journal {
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly logger: Logger | undefined;
  /** Makes checkpoint ids unique across processes sharing the folder. */
  private readonly runId: string;
  private readonly files: SegmentWriter;

  private lines: string[] = [];
  private timer: unknown = null;
  private readonly queue = new SerialQueue();
  /** At most one batch waits behind the write in flight; it takes whatever is buffered when it starts. */
  private readonly batch = new CoalescedJob(this.queue, () => this.writeBatch());
  private closed = false;

  private checkpoints = 0;
  /** Newest checkpoint appended, written or not (for status). */
  private lastCheckpoint: { id: string; snapshot: string } | null;
  /** Newest checkpoint in the buffer, and newest already on disk: headers name only the latter. */
  private bufferedCheckpoint: { id: string; snapshot: string } | null = null;
  private writtenCheckpoint: { id: string; snapshot: string } | null;
  private stat = { records: 0, batches: 0, bytes: 0, dropped: 0 };
  private error: { at: string; message: string } | null = null;

  constructor(options: JournalOptions) {
    this.runId = options.runId ?? randomBytes(6).toString('hex');
    const maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    const keepFiles = options.keepFiles ?? Number.POSITIVE_INFINITY;
    this.clock = options.clock ?? systemClock;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.logger = options.logger;
    this.lastCheckpoint = options.lastCheckpoint ?? null;
    this.writtenCheckpoint = this.lastCheckpoint;
    if (!(maxBytes > 0)) throw new RangeError('maxBytes must be > 0');
    if (!(this.flushIntervalMs >= 0)) throw new RangeError('flushIntervalMs must be >= 0');
    if (!(keepFiles >= 1)) throw new RangeError('keepFiles must be >= 1 (use Infinity to keep all)');
    this.files = new SegmentWriter({
      dir: options.dir,
      replica: options.replica,
      maxBytes,
      keepFiles,
      clock: this.clock,
    });
  }

  /** Buffers one record; never throws and never touches the disk. */
  append(record: JournalEvent | DecisionRecord): void {
    if (this.closed) {
      this.stat.dropped++;
      return;
    }
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch (err) {
      this.stat.dropped++;
      this.logger?.error({ err }, 'journal record is not serialisable: dropped');
      return;
    }
    this.push(line);
  }

  /** Appends a checkpoint naming `snapshotRef` and returns its id (unique across processes). */
  checkpoint(snapshotRef: string): string {
    const id = `ck-${this.runId}-${++this.checkpoints}`;
    const record: CheckpointRecord = { type: 'checkpoint', id, at: this.clock.now(), snapshot: snapshotRef };
    this.lastCheckpoint = { id, snapshot: snapshotRef };
    if (this.closed) {
      this.stat.dropped++;
    } else {
      this.bufferedCheckpoint = this.lastCheckpoint;
      this.push(JSON.stringify(record));
    }
    return id;
  }

  /**
   * Records the checkpoint a restored snapshot was cut at (SnapshotStore.load calls this), so the headers of
   * files this process writes name it until a newer checkpoint is written.
   */
  restored(checkpoint: { id: string; snapshot: string }): void {
    if (this.writtenCheckpoint === null) this.writtenCheckpoint = checkpoint;
    if (this.lastCheckpoint === null) this.lastCheckpoint = checkpoint;
  }

  /**
   * Writes everything appended so far; with `sync`, also fsyncs it (kill -9 only needs the write, a power
   * cut needs the fsync). Rejects if that write fails; the records are then counted as dropped.
   */
  async flush(options: { sync?: boolean } = {}): Promise<void> {
    this.cancelTimer();
    const job = this.batch.request();
    const syncJob = options.sync ? this.queue.run(() => this.files.sync()) : null;
    await job;
    if (syncJob) await syncJob;
  }

  /** Resolves when every write queued so far has finished. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Flushes, fsyncs and closes the file; later appends are dropped. */
  async close(): Promise<void> {
    if (this.closed) return this.queue.idle();
    this.closed = true;
    try {
      await this.flush({ sync: true });
    } finally {
      await this.queue.run(() => this.files.close());
    }
  }

  stats(): JournalStats {
    return {
      file: this.files.path,
      files_opened: this.files.opened,
      records_written: this.stat.records,
      batches_written: this.stat.batches,
      bytes_written: this.stat.bytes,
      dropped: this.stat.dropped,
      buffered: this.lines.length,
      last_checkpoint: this.lastCheckpoint,
      last_error: this.error,
    };
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.timer === null) this.timer = this.clock.setTimeout(this.onTimer, this.flushIntervalMs);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    // Failures are logged and counted in writeBatch; a timer has no one to report to.
    this.batch.request().catch(() => {});
  };

  private async writeBatch(): Promise<void> {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    const checkpoint = this.bufferedCheckpoint;
    this.lines = [];
    this.bufferedCheckpoint = null;
    const data = Buffer.from(lines.join('\n') + '\n', 'utf8');
    try {
      // A new file's header names the newest checkpoint on disk as of when the file opens: ask then.
      const written = await this.files.write(data, lines.length, () => this.writtenCheckpoint);
      this.stat.records += lines.length;
      this.stat.batches++;
      this.stat.bytes += written;
      if (checkpoint) this.writtenCheckpoint = checkpoint;
    } catch (err) {
      this.stat.dropped += lines.length;
      this.error = { at: new Date(this.clock.now()).toISOString(), message: (err as Error).message };
      this.logger?.error({ err, file: this.files.path, dropped: lines.length }, 'journal write failed');
      throw err;
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
