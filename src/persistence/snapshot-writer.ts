import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { type CheckpointSink, snapshotRef } from './checkpoint-sink.ts';
import { type Envelope, encodeEnvelope, stringifyPayload } from './envelope.ts';

/** A payload serialised, stamped and checkpointed when it was taken, waiting for its write. */
export interface Capture {
  generation: number;
  savedAt: string;
  text: string;
  checkpoint: string | undefined;
}

export interface SnapshotWriterOptions {
  /** The state file. */
  path: string;
  /** Its file name, by which journal checkpoints name the snapshot. */
  name: string;
  schemaVersion: number;
  /** Stamps saved_at and failures. */
  clock: Clock;
  /** Failed writes log at error. */
  logger: Logger | undefined;
  /** When given, every capture cuts a journal checkpoint and the envelope carries its id. */
  checkpoints: CheckpointSink | undefined;
  /** fsync every write. Off only where no power can be cut: the deterministic simulation. */
  durable: boolean;
}

/**
 * Captures payloads and writes them over the state file, atomically (see writeFileAtomic). A write whose
 * capture is older than what is already on disk is skipped, so the file only ever moves forward. Not a
 * queue: the caller runs writes one at a time, in call order (SnapshotStore does).
 */
export class SnapshotWriter {
  /** ISO saved_at of the newest envelope on disk that this writer wrote or was told was restored. */
  savedAt: string | null = null;
  /** The newest failure; the next successful write clears it. */
  lastError: { at: string; message: string } | null = null;
  writes = 0;
  errors = 0;
  /** Writes skipped because a newer capture had already reached the disk. */
  superseded = 0;

  private generation = 0;
  private writtenGeneration = 0;

  constructor(private readonly options: SnapshotWriterOptions) {}

  /** Takes note of the envelope load() restored, and tells the journal which checkpoint it was cut at. */
  restored(envelope: Envelope): void {
    this.savedAt = envelope.saved_at;
    const checkpoint = envelope.journal_checkpoint;
    if (checkpoint !== undefined) {
      this.options.checkpoints?.restored?.({
        id: checkpoint,
        snapshot: snapshotRef(this.options.name, envelope.saved_at),
      });
    }
  }

  /**
   * Serialises, stamps and checkpoints what `getPayload` returns, now. A failure (the getter's too) is
   * recorded as 'could not capture snapshot' and rethrown.
   */
  capture(getPayload: () => unknown): Capture {
    try {
      const payloadText = stringifyPayload(getPayload());
      const savedAt = new Date(this.options.clock.now()).toISOString();
      const checkpoint = this.options.checkpoints?.checkpoint(snapshotRef(this.options.name, savedAt));
      const meta = { schemaVersion: this.options.schemaVersion, savedAt, journalCheckpoint: checkpoint };
      return { generation: ++this.generation, savedAt, text: encodeEnvelope(payloadText, meta), checkpoint };
    } catch (err) {
      this.fail(err, 'could not capture snapshot');
      throw err;
    }
  }

  /** Writes `capture` unless a newer one is already on disk. Rejects (and records why) if the write fails. */
  async write(capture: Capture): Promise<void> {
    if (capture.generation < this.writtenGeneration) {
      this.superseded++;
      return;
    }
    const { checkpoints, durable, path } = this.options;
    if (capture.checkpoint !== undefined && checkpoints) {
      try {
        await checkpoints.flush({ sync: durable });
      } catch (err) {
        // The snapshot matters more than replay: write it anyway. Its checkpoint may then be missing from
        // the journal, which readJournal reports as checkpointFound: false.
        this.options.logger?.warn(
          { err, checkpoint: capture.checkpoint },
          'journal checkpoint may not be durable',
        );
      }
    }
    try {
      await writeFileAtomic(path, capture.text, durable);
    } catch (err) {
      this.fail(err, 'snapshot write failed');
      throw err;
    }
    this.writtenGeneration = capture.generation;
    this.savedAt = capture.savedAt;
    this.writes++;
    this.lastError = null;
  }

  private fail(err: unknown, message: string): void {
    this.errors++;
    this.lastError = {
      at: new Date(this.options.clock.now()).toISOString(),
      message: `${message}: ${(err as Error).message}`,
    };
    this.options.logger?.error({ err, file: this.options.path }, message);
  }
}
