import { closeSync, fsyncSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The temp name a process writes before renaming; the pid lets a later start tell whose leftover it is. */
export function tempPathFor(path: string, pid = process.pid): string {
  return join(dirname(path), `${basename(path)}.tmp-${pid}`);
}

/**
 * Replaces `path` with `data` so that a crash at any instant leaves either the old complete file or the new
 * complete file, never a mix: write a temp file in the same folder (rename is only atomic within one
 * filesystem), fsync it (or the rename may reach the disk before the data does), rename over the target,
 * then fsync the folder so the rename itself survives a power cut.
 *
 * Callers must not run two writes to the same path at once: they share one temp name. `durable: false`
 * skips the fsyncs: still atomic against a crash of the process, not against a power cut.
 */
export async function writeFileAtomic(path: string, data: string, durable = true): Promise<void> {
  const temp = tempPathFor(path);
  const handle = await open(temp, 'w', 0o600);
  try {
    try {
      await handle.writeFile(data, 'utf8');
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  if (durable) await syncDirectory(dirname(path));
}

/**
 * Best effort: some platforms (Windows) and filesystems refuse to fsync a directory; the rename already
 * happened, so failing here would only turn a durable-enough save into a reported error.
 */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // see above
  }
}

/** The same, for start-up code that is synchronous. */
export function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // see above
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Deletes `<name>.tmp-<pid>` files left by processes that no longer run (a crash mid-write). Such a file
 * was never renamed into place, so it holds no committed state. A live writer's temp is left alone.
 * Returns the paths removed.
 */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    try {
      unlinkSync(join(dir, entry));
      removed.push(join(dir, entry));
    } catch {
      // Already gone or not ours to delete: either way nothing to restore from.
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
