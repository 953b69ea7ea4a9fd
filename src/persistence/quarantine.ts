import { existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { syncDirectorySync } from './atomic-write.ts';

export interface QuarantineOutcome {
  /** Where the file went, or null when it could not be moved (then `error` says why). */
  movedTo: string | null;
  error?: string;
}

/**
 * Moves a bad state file aside as `<path>.corrupt-<ISO time, ':' → '-'>` so the service can start fresh
 * while the evidence stays for a person to inspect. Never deletes and never overwrites an earlier
 * quarantined file (a numeric suffix is added instead).
 */
export function quarantineFile(path: string, now: number): QuarantineOutcome {
  const stamp = new Date(now).toISOString().replaceAll(':', '-');
  let target = `${path}.corrupt-${stamp}`;
  for (let n = 2; existsSync(target); n++) target = `${path}.corrupt-${stamp}-${n}`;
  try {
    renameSync(path, target);
  } catch (err) {
    return { movedTo: null, error: (err as Error).message };
  }
  syncDirectorySync(dirname(path));
  return { movedTo: target };
}
