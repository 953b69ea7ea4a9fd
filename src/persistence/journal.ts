import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../time/clock.ts';
import { syncDirectory } from './atomic-write.ts';
import {
  type CheckpointRecord,
  type DecisionRecord,
  type JournalEvent,
  journalFileName,
  listJournalFiles,
  type SegmentHeader,
} from './journal-records.ts';

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
 * files rotate by size. A `kill -9` loses at most the unwritten batch and may tear the last line of the
 * current file; `readJournal` skips and reports such a line.
 */
export class Journal {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly keepFiles: number;
  private readonly logger: Logger | undefined;
  /** Makes checkpoint ids unique across processes sharing the folder. */
  private readonly runId: string;
  private readonly replica: string | undefined;

  private lines: string[] = [];
  private timer: unknown = null;
  private tail: Promise<void> = Promise.resolve();
  private batchJob: Promise<void> | null = null;
  private closed = false;

  private seq: number;
  private handle: FileHandle | null = null;
  private filePath: string | null = null;
  private fileBytes = 0;
  private fileRecords = 0;
  /** Set after a failed write: a partial write may have torn a line, so the next batch starts a new file. */
  private mustRotate = false;

  private checkpoints = 0;
  /** Newest checkpoint appended, written or not (for status). */
  private lastCheckpoint: { id: string; snapshot: string } | null;
  /** Newest checkpoint in the buffer, and newest already on disk: headers name only the latter. */
  private bufferedCheckpoint: { id: string; snapshot: string } | null = null;
  private writtenCheckpoint: { id: string; snapshot: string } | null;
  private stat = { files: 0, records: 0, batches: 0, bytes: 0, dropped: 0 };
  private error: { at: string; message: string } | null = null;

  constructor(options: JournalOptions) {
    this.runId = options.runId ?? randomBytes(6).toString('hex');
    this.replica = options.replica;
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    this.clock = options.clock ?? systemClock;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.keepFiles = options.keepFiles ?? Number.POSITIVE_INFINITY;
    this.logger = options.logger;
    this.lastCheckpoint = options.lastCheckpoint ?? null;
    this.writtenCheckpoint = this.lastCheckpoint;
    if (!(this.maxBytes > 0)) throw new RangeError('maxBytes must be > 0');
    if (!(this.flushIntervalMs >= 0)) throw new RangeError('flushIntervalMs must be >= 0');
    if (!(this.keepFiles >= 1)) throw new RangeError('keepFiles must be >= 1 (use Infinity to keep all)');
    mkdirSync(this.dir, { recursive: true });
    this.seq = listJournalFiles(this.dir).at(-1)?.seq ?? 0;
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
    const job = this.queueBatch();
    const syncJob = options.sync ? this.enqueue(() => this.syncFile()) : null;
    await job;
    if (syncJob) await syncJob;
  }

  /** Resolves when every write queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Flushes, fsyncs and closes the file; later appends are dropped. */
  async close(): Promise<void> {
    if (this.closed) return this.tail;
    this.closed = true;
    try {
      await this.flush({ sync: true });
    } finally {
      await this.enqueue(async () => {
        const handle = this.handle;
        this.handle = null;
        await handle?.close();
      });
    }
  }

  stats(): JournalStats {
    return {
      file: this.filePath,
      files_opened: this.stat.files,
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
    this.queueBatch().catch(() => {});
  };

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => {});
    return run;
  }

  /** At most one batch waits behind the write in flight; it takes whatever is buffered when it starts. */
  private queueBatch(): Promise<void> {
    if (this.batchJob !== null) return this.batchJob;
    const job = this.enqueue(async () => {
      this.batchJob = null;
      await this.writeBatch();
    });
    this.batchJob = job;
    return job;
  }

  private async writeBatch(): Promise<void> {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    const checkpoint = this.bufferedCheckpoint;
    this.lines = [];
    this.bufferedCheckpoint = null;
    let data = Buffer.from(lines.join('\n') + '\n', 'utf8');
    try {
      const full =
        this.handle !== null && this.fileRecords > 0 && this.fileBytes + data.length > this.maxBytes;
      if (this.handle === null || this.mustRotate || full) {
        const header = await this.openNextFile();
        data = Buffer.concat([header, data]);
      }
      await writeAll(this.handle!, data);
      this.fileBytes += data.length;
      this.fileRecords += lines.length;
      this.stat.records += lines.length;
      this.stat.batches++;
      this.stat.bytes += data.length;
      if (checkpoint) this.writtenCheckpoint = checkpoint;
    } catch (err) {
      this.stat.dropped += lines.length;
      this.mustRotate = true;
      this.error = { at: new Date(this.clock.now()).toISOString(), message: (err as Error).message };
      this.logger?.error({ err, file: this.filePath, dropped: lines.length }, 'journal write failed');
      throw err;
    }
  }

  /** Opens the next file and returns its header line (written with the batch: one write per batch). */
  private async openNextFile(): Promise<Buffer> {
    const previous = this.handle;
    this.handle = null;
    // fsync before close: nothing fsyncs a finished file later, and `flush({ sync })` only reaches the current one.
    if (previous) {
      await previous.sync().catch(() => {});
      await previous.close().catch(() => {});
    }
    // Past anything already in the folder, so a failed open (EEXIST) is not retried on the same name.
    const seq = Math.max(this.seq, listJournalFiles(this.dir).at(-1)?.seq ?? 0) + 1;
    const path = join(this.dir, journalFileName(seq));
    // 'wx': another process writing the same folder must make us fail loudly, not interleave with it.
    this.handle = await open(path, 'wx', 0o600);
    this.seq = seq;
    this.filePath = path;
    this.fileBytes = 0;
    this.fileRecords = 0;
    this.mustRotate = false;
    this.stat.files++;
    await syncDirectory(this.dir);
    await this.prune();
    const header: SegmentHeader = {
      type: 'segment',
      seq,
      at: this.clock.now(),
      pid: process.pid,
      ...(this.replica !== undefined && { replica: this.replica }),
      last_checkpoint: this.writtenCheckpoint,
    };
    return Buffer.from(JSON.stringify(header) + '\n', 'utf8');
  }

  private async prune(): Promise<void> {
    if (!Number.isFinite(this.keepFiles)) return;
    const files = listJournalFiles(this.dir);
    for (const file of files.slice(0, Math.max(0, files.length - this.keepFiles))) {
      if (file.seq === this.seq) continue;
      await unlink(join(this.dir, file.name)).catch(() => {});
    }
  }

  private async syncFile(): Promise<void> {
    await this.handle?.sync();
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

/** FileHandle.write may write less than asked (a full disk, a signal); loop until all of it is out. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    if (bytesWritten === 0) throw new Error('journal write made no progress');
    offset += bytesWritten;
  }
}
