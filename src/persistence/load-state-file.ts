import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';
import { removeStaleTemps } from './atomic-write.ts';
import { decodeEnvelope, type Envelope } from './envelope.ts';
import { quarantineFile } from './quarantine.ts';

export type LoadResult =
  | { status: 'fresh' }
  | { status: 'restored'; envelope: Envelope }
  /** `movedTo` is null only when even the rename failed; `reason` then says so too. */
  | { status: 'quarantined'; movedTo: string | null; reason: string };

/** What loading needs to know about the state file. */
export interface StateFile {
  path: string;
  /** Version of the payload's shape; a file with another version is set aside, never migrated. */
  schemaVersion: number;
  /** Stamps quarantine names. */
  clock: Clock;
  /** Quarantines log at error, restores at info, removed temp files at warn. */
  logger: Logger | undefined;
}

/**
 * Reads the state file at start-up. Never throws: a missing file is a fresh start; an unreadable,
 * corrupt, truncated or incompatible one is quarantined (logged at error) and the start is fresh too.
 * Also removes temp files that crashed writers left behind. `onRestored` is called with a good envelope
 * before the restore is logged.
 */
export function loadStateFile(file: StateFile, onRestored: (envelope: Envelope) => void): LoadResult {
  const stale = removeStaleTemps(file.path);
  if (stale.length > 0)
    file.logger?.warn({ removed: stale }, 'removed temp files of interrupted snapshot writes');

  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'fresh' };
    return quarantineStateFile(file, `unreadable: ${(err as Error).message}`);
  }
  const decoded = decodeEnvelope(text, file.schemaVersion);
  if (!decoded.ok) return quarantineStateFile(file, `${decoded.kind}: ${decoded.reason}`);
  onRestored(decoded.envelope);
  file.logger?.info(
    {
      file: file.path,
      saved_at: decoded.envelope.saved_at,
      journal_checkpoint: decoded.envelope.journal_checkpoint,
    },
    'restored state file',
  );
  return { status: 'restored', envelope: decoded.envelope };
}

/** Moves the state file aside (see quarantineFile), logs it at error and returns the quarantined load. */
export function quarantineStateFile(file: StateFile, reason: string): LoadResult {
  const outcome = quarantineFile(file.path, file.clock.now());
  const fullReason = outcome.error ? `${reason}; moving it aside failed: ${outcome.error}` : reason;
  file.logger?.error(
    { file: file.path, moved_to: outcome.movedTo, reason: fullReason },
    'state file is unusable: set aside, starting fresh',
  );
  return { status: 'quarantined', movedTo: outcome.movedTo, reason: fullReason };
}
