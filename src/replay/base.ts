import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCheckpoint, readJournal } from '../persistence/index.ts';
import { type BaseCheckpoint, CHECKPOINT_DIR } from '../runtime/persistence.ts';

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/** The base checkpoint to start from: the one asked for, else the newest one before the target. */
export function chooseBase(
  stateDir: string,
  from: string | undefined,
  before: string | undefined,
): BaseCheckpoint & { file: string } {
  const dir = join(stateDir, CHECKPOINT_DIR);
  const bases = (existsSync(dir) ? readdirSync(dir) : [])
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      try {
        return {
          ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as BaseCheckpoint),
          file: `${CHECKPOINT_DIR}/${f}`,
        };
      } catch {
        return undefined;
      }
    })
    .filter((b): b is BaseCheckpoint & { file: string } => !!b?.checkpoint_id)
    .sort((a, b) => a.at - b.at);
  if (bases.length === 0)
    throw new ReplayError(`no base checkpoints in ${dir}; the service writes one at every start`);
  if (from) {
    const found = bases.find((b) => b.checkpoint_id === from);
    if (!found)
      throw new ReplayError(
        `no checkpoint "${from}"; known: ${bases.map((b) => b.checkpoint_id).join(', ')}`,
      );
    return found;
  }
  if (!before) return bases.at(-1)!;
  // The newest base whose line comes before the target's line in the journal.
  const order = readJournal(stateDir)
    .records.filter(isCheckpoint)
    .map((c) => c.id);
  const targetIndex = order.indexOf(before);
  const usable = bases.filter((b) => {
    const i = order.indexOf(b.checkpoint_id);
    return i >= 0 && (targetIndex < 0 || i <= targetIndex);
  });
  if (usable.length === 0)
    throw new ReplayError(`no base checkpoint precedes state.json's checkpoint ${before}`);
  return usable.sort((a, b) => order.indexOf(a.checkpoint_id) - order.indexOf(b.checkpoint_id)).at(-1)!;
}
