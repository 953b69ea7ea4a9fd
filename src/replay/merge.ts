import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { listJournalFiles, parseJournalLine } from '../persistence/journal-records.ts';
import { type DecisionRow, decisionRows } from './decisions.ts';
import { type ReplayOptions, type ReplayResult, replay, type TimelineRow } from './replay.ts';

/** One replica's replay, named by the replica id its journal carries. */
export interface ReplicaReplay {
  replica: string;
  stateDir: string;
  result: ReplayResult;
}

/** A row of the merged history, with the replica it happened on. */
export type Tagged<T> = T & { replica: string };

/**
 * Replicas sharing a fleet each keep their own journal (their own actors, their own decisions). Merging
 * replays each journal on its own (so `--verify` still holds per replica) and interleaves the rows by time.
 */
export function replayReplicas(stateDirs: readonly string[], options: ReplayOptions): ReplicaReplay[] {
  return stateDirs.map((stateDir) => ({
    replica: replicaOf(stateDir),
    stateDir,
    result: replay(stateDir, options),
  }));
}

export function mergedTimeline(replays: readonly ReplicaReplay[]): Array<Tagged<TimelineRow>> {
  return byTime(replays.flatMap((r) => r.result.timeline.map((row) => ({ ...row, replica: r.replica }))));
}

export function mergedDecisions(
  replays: readonly ReplicaReplay[],
  model?: string,
): Array<Tagged<DecisionRow>> {
  return byTime(
    replays.flatMap((r) => decisionRows(r.result, model).map((row) => ({ ...row, replica: r.replica }))),
  );
}

/** Stable: rows at the same millisecond keep their replica's own order. */
function byTime<T extends { at: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => a.at - b.at);
}

/** The replica id in the newest journal file's header; the folder's name when it has none (one process). */
export function replicaOf(stateDir: string): string {
  const files = listJournalFiles(stateDir);
  for (const { name } of files.reverse()) {
    let first: string | undefined;
    try {
      first = readFileSync(join(stateDir, name), 'utf8').split('\n', 1)[0];
    } catch {
      continue;
    }
    const parsed = first ? parseJournalLine(first) : undefined;
    if (parsed?.kind === 'segment' && parsed.record.replica) return parsed.record.replica;
  }
  return basename(stateDir);
}
