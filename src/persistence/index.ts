export { removeStaleTemps, syncDirectory, tempPathFor, writeFileAtomic } from './atomic-write.ts';
export type { CheckpointSink } from './checkpoint-sink.ts';
export { decodeEnvelope, type Envelope, encodeEnvelope, stringifyPayload } from './envelope.ts';
export { Journal, type JournalOptions, type JournalStats } from './journal.ts';
export {
  type CheckpointRecord,
  type DecisionRecord,
  isCheckpoint,
  isDecision,
  type JournalEvent,
  type JournalRecord,
  type SegmentHeader,
} from './journal-records.ts';
export type { LoadResult } from './load-state-file.ts';
export { quarantineFile } from './quarantine.ts';
export {
  type JournalReadProblem,
  type JournalReadResult,
  type ReadJournalOptions,
  readJournal,
} from './read-journal.ts';
export {
  type SnapshotStatus,
  SnapshotStore,
  type SnapshotStoreOptions,
} from './snapshot-store.ts';
