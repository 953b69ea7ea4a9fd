import { readdirSync } from 'node:fs';

/** One event that entered the actor system. `at` is the runtime clock's stamp, not the write time. */
export interface JournalEvent {
  at: number;
  /** Actor id the event was sent to, or 'supervisor'. */
  target: string;
  event: object;
  request_id?: string;
}

/**
 * A decision journaled with its inputs: the supervisor's load, eviction, wait, refusal and host decisions,
 * and one selection record per request. Replay does not feed these to actors (they are outcomes, not
 * inputs); `rmm replay --decisions` prints them and `--verify` recomputes them.
 */
export interface DecisionRecord {
  type: 'decision';
  at: number;
  decision: { kind: string; [key: string]: unknown };
}

/**
 * A cut in the journal: the snapshot named by `snapshot` holds the effect of every event before this line
 * and of none after it, so replay loads that snapshot and applies the events that follow.
 */
export interface CheckpointRecord {
  type: 'checkpoint';
  id: string;
  at: number;
  snapshot: string;
}

/**
 * First line of every journal file. `last_checkpoint` names the newest checkpoint already written before
 * this file (in an earlier file, or restored from a previous process), so a reader holding only this file
 * knows which snapshot and which earlier files it needs. It is a reference, not a new cut: replay never starts from a header.
 */
export interface SegmentHeader {
  type: 'segment';
  seq: number;
  at: number;
  pid: number;
  /** The replica that wrote the file, when replicas share a fleet (`shared_state`). */
  replica?: string;
  last_checkpoint: { id: string; snapshot: string } | null;
}

export type JournalRecord = JournalEvent | CheckpointRecord | DecisionRecord;

export function isCheckpoint(record: JournalRecord): record is CheckpointRecord {
  return (record as { type?: unknown }).type === 'checkpoint';
}

export function isDecision(record: JournalRecord): record is DecisionRecord {
  return (record as { type?: unknown }).type === 'decision';
}

export function journalFileName(seq: number): string {
  return `journal-${String(seq).padStart(6, '0')}.jsonl`;
}

/** Journal files in `dir` in write order (by sequence number, not by name, so 1000000 sorts after 999999). */
export function listJournalFiles(dir: string): Array<{ seq: number; name: string }> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const files: Array<{ seq: number; name: string }> = [];
  for (const name of entries) {
    const match = /^journal-(\d{6,})\.jsonl$/.exec(name);
    if (match?.[1] !== undefined) files.push({ seq: Number(match[1]), name });
  }
  return files.sort((a, b) => a.seq - b.seq);
}

export type ParsedLine =
  | { kind: 'event'; record: JournalEvent }
  | { kind: 'checkpoint'; record: CheckpointRecord }
  | { kind: 'decision'; record: DecisionRecord }
  | { kind: 'segment'; record: SegmentHeader }
  | { kind: 'invalid'; reason: string };

export function parseJournalLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'invalid', reason: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'not a JSON object' };
  }
  const r = value as Record<string, unknown>;
  if (typeof r.at !== 'number') return { kind: 'invalid', reason: 'missing at' };
  if (r.type === 'checkpoint') {
    if (typeof r.id === 'string' && typeof r.snapshot === 'string') {
      return { kind: 'checkpoint', record: r as unknown as CheckpointRecord };
    }
    return { kind: 'invalid', reason: 'checkpoint without id or snapshot' };
  }
  if (r.type === 'decision') {
    if (
      typeof r.decision === 'object' &&
      r.decision !== null &&
      typeof (r.decision as { kind?: unknown }).kind === 'string'
    )
      return { kind: 'decision', record: r as unknown as DecisionRecord };
    return { kind: 'invalid', reason: 'decision without kind' };
  }
  if (r.type === 'segment') {
    if (typeof r.seq === 'number') return { kind: 'segment', record: r as unknown as SegmentHeader };
    return { kind: 'invalid', reason: 'segment header without seq' };
  }
  if (typeof r.target !== 'string') return { kind: 'invalid', reason: 'event without target' };
  if (typeof r.event !== 'object' || r.event === null)
    return { kind: 'invalid', reason: 'event without event' };
  return { kind: 'event', record: r as unknown as JournalEvent };
}
