import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CheckpointRecord,
  type JournalRecord,
  listJournalFiles,
  parseJournalLine,
} from './journal-records.ts';

export interface ReadJournalOptions {
  /** Return only what follows the checkpoint with this id (an envelope's journal_checkpoint). */
  fromCheckpoint?: string;
  /** Return only records stamped at or before this time. */
  until?: number;
}

export interface JournalReadProblem {
  file: string;
  /** 1-based line number in that file. */
  line: number;
  reason: string;
  /** True for a last line without its newline: the expected trace of a crash mid-write. */
  torn: boolean;
}

export interface JournalReadResult {
  /** Events and checkpoints in write order across all files; segment headers are left out. */
  records: JournalRecord[];
  /** Paths of the journal files read, in order. */
  files: string[];
  /** Lines skipped because they did not parse or lacked required fields (torn or not). */
  tornLines: number;
  problems: JournalReadProblem[];
  /**
   * With fromCheckpoint: the checkpoint found, or null when it is not in the journal, in which case
   * `records` is empty because nothing says where the snapshot's history ends.
   */
  checkpoint: CheckpointRecord | null;
}

/**
 * Reads every journal file in `dir` in order. Never throws on content: bad lines are skipped and listed in
 * `problems`. Synchronous and whole-file: it serves replay and inspection, not the hot path.
 */
export function readJournal(dir: string, options: ReadJournalOptions = {}): JournalReadResult {
  const result: JournalReadResult = { records: [], files: [], tornLines: 0, problems: [], checkpoint: null };
  let collecting = options.fromCheckpoint === undefined;
  const until = options.until ?? Number.POSITIVE_INFINITY;

  for (const { name } of listJournalFiles(dir)) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      // Deleted between listing and reading (retention), or unreadable: report, keep going.
      result.problems.push({ file, line: 0, reason: `unreadable: ${(err as Error).message}`, torn: false });
      continue;
    }
    result.files.push(file);
    const endsClean = text.endsWith('\n');
    const lines = text.split('\n');
    if (endsClean) lines.pop();
    lines.forEach((line, index) => {
      if (line === '') return;
      const parsed = parseJournalLine(line);
      if (parsed.kind === 'invalid') {
        const torn = !endsClean && index === lines.length - 1;
        result.tornLines++;
        result.problems.push({
          file,
          line: index + 1,
          reason: torn ? `torn last line (${parsed.reason})` : parsed.reason,
          torn,
        });
        return;
      }
      if (parsed.kind === 'segment') return;
      if (!collecting) {
        if (parsed.kind === 'checkpoint' && parsed.record.id === options.fromCheckpoint) {
          collecting = true;
          result.checkpoint = parsed.record;
        }
        return;
      }
      if (parsed.record.at <= until) result.records.push(parsed.record);
    });
  }
  return result;
}
