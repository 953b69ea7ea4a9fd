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

/** How a journal checkpoint names a snapshot: file name and capture time. */
export function snapshotRef(name: string, savedAt: string): string {
  return `${name}@${savedAt}`;
}
