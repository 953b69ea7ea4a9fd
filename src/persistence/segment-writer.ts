import { mkdirSync } from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../time/clock.ts';
import { syncDirectory } from './atomic-write.ts';
import { journalFileName, listJournalFiles, type SegmentHeader } from './journal-records.ts';

export interface SegmentWriterOptions {
  /** Folder of the journal files; created if missing. */
  dir: string;
  /** The replica writing this journal, named in every header. */
  replica: string | undefined;
  /** A file is closed and the next one started once the next batch would take it past this. */
  maxBytes: number;
  /** How many journal files to keep; older ones are deleted when a new file starts. */
  keepFiles: number;
  /** Stamps headers. */
  clock: Clock;
}

/**
 * The journal's files on disk. Each process starts a new file (never appends after a line a crash may
 * have torn) and files rotate by size; every file opens with a SegmentHeader. Not a queue: the caller
 * runs one call at a time (Journal does).
 */
export class SegmentWriter {
  /** The current file, null before the first batch. */
  path: string | null = null;
  /** Files opened by this process. */
  opened = 0;

  private readonly options: SegmentWriterOptions;
  private seq: number;
  private handle: FileHandle | null = null;
  private fileBytes = 0;
  private fileRecords = 0;
  /** Set after a failed write: a partial write may have torn a line, so the next batch starts a new file. */
  private mustRotate = false;

  constructor(options: SegmentWriterOptions) {
    this.options = options;
    mkdirSync(options.dir, { recursive: true });
    this.seq = listJournalFiles(options.dir).at(-1)?.seq ?? 0;
  }

  /**
   * Writes one batch of `records` lines as one write, starting a new file first when there is none yet,
   * the last write failed, or the batch would take the file past maxBytes. `lastCheckpoint` is asked for
   * the new file's header only once the file is open. Returns the bytes written, header included.
   */
  async write(
    data: Buffer,
    records: number,
    lastCheckpoint: () => SegmentHeader['last_checkpoint'],
  ): Promise<number> {
    try {
      const full =
        this.handle !== null && this.fileRecords > 0 && this.fileBytes + data.length > this.options.maxBytes;
      if (this.handle === null || this.mustRotate || full) {
        const header = await this.openNextFile(lastCheckpoint);
        data = Buffer.concat([header, data]);
      }
      await writeAll(this.handle!, data);
    } catch (err) {
      this.mustRotate = true;
      throw err;
    }
    this.fileBytes += data.length;
    this.fileRecords += records;
    return data.length;
  }

  /** fsyncs the current file (kill -9 only needs the write, a power cut needs the fsync). */
  async sync(): Promise<void> {
    await this.handle?.sync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  /** Opens the next file and returns its header line (written with the batch: one write per batch). */
  private async openNextFile(lastCheckpoint: () => SegmentHeader['last_checkpoint']): Promise<Buffer> {
    const { dir, replica, clock } = this.options;
    const previous = this.handle;
    this.handle = null;
    // fsync before close: nothing fsyncs a finished file later, and `flush({ sync })` only reaches the current one.
    if (previous) {
      await previous.sync().catch(() => {});
      await previous.close().catch(() => {});
    }
    // Past anything already in the folder, so a failed open (EEXIST) is not retried on the same name.
    const seq = Math.max(this.seq, listJournalFiles(dir).at(-1)?.seq ?? 0) + 1;
    const path = join(dir, journalFileName(seq));
    // 'wx': another process writing the same folder must make us fail loudly, not interleave with it.
    this.handle = await open(path, 'wx', 0o600);
    this.seq = seq;
    this.path = path;
    this.fileBytes = 0;
    this.fileRecords = 0;
    this.mustRotate = false;
    this.opened++;
    await syncDirectory(dir);
    await this.prune();
    const header: SegmentHeader = {
      type: 'segment',
      seq,
      at: clock.now(),
      pid: process.pid,
      ...(replica !== undefined && { replica }),
      last_checkpoint: lastCheckpoint(),
    };
    return Buffer.from(JSON.stringify(header) + '\n', 'utf8');
  }

  private async prune(): Promise<void> {
    const { dir, keepFiles } = this.options;
    if (!Number.isFinite(keepFiles)) return;
    const files = listJournalFiles(dir);
    for (const file of files.slice(0, Math.max(0, files.length - keepFiles))) {
      if (file.seq === this.seq) continue;
      await unlink(join(dir, file.name)).catch(() => {});
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
