import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/persistence/journal.ts';
import { isCheckpoint, type JournalEvent } from '../../src/persistence/journal-records.ts';
import { readJournal } from '../../src/persistence/read-journal.ts';
import { SnapshotStore } from '../../src/persistence/snapshot-store.ts';
import { ManualClock } from './support/manual-clock.ts';
import { useTempDirs } from './support/temp-dir.ts';

const tempDir = useTempDirs();

function event(n: number, extra: Partial<JournalEvent> = {}): JournalEvent {
  return {
    at: 1000 + n,
    target: n % 2 ? 'supervisor' : 'model:llama3.2:3b@local',
    event: { type: 'TICK', n },
    ...extra,
  };
}

function linesOf(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('Journal', () => {
  it('writes records as JSONL after a segment header, and reads them back in order', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, clock: new ManualClock() });
    const written = [event(1, { request_id: 'req-1' }), event(2), event(3)];
    for (const r of written) journal.append(r);
    await journal.close();

    const read = readJournal(dir);
    expect(read.records).toEqual(written);
    expect(read.files).toEqual([join(dir, 'journal-000001.jsonl')]);
    expect(read.tornLines).toBe(0);
    const [header] = linesOf(join(dir, 'journal-000001.jsonl'));
    expect(header).toEqual({
      type: 'segment',
      seq: 1,
      at: expect.any(Number),
      pid: process.pid,
      last_checkpoint: null,
    });
  });

  it('buffers appends and writes them in one batch when the interval passes', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const journal = new Journal({ dir, clock, flushIntervalMs: 50 });
    for (let n = 0; n < 1000; n++) journal.append(event(n));
    expect(existsSync(join(dir, 'journal-000001.jsonl'))).toBe(false);
    expect(journal.stats().buffered).toBe(1000);
    clock.advance(49);
    expect(journal.stats().buffered).toBe(1000);
    clock.advance(1);
    await journal.flush(); // joins the batch the timer queued
    expect(journal.stats()).toMatchObject({
      batches_written: 1,
      records_written: 1000,
      buffered: 0,
      dropped: 0,
    });
    expect(linesOf(join(dir, 'journal-000001.jsonl'))).toHaveLength(1001);
    await journal.close();
  });

  it('rotates by size; every file starts with a header naming the newest checkpoint', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, clock: new ManualClock(), maxBytes: 1000 });
    const all: JournalEvent[] = [];
    let checkpointId = '';
    let filesBeforeCheckpoint = 0;
    for (let batch = 0; batch < 30; batch++) {
      for (let k = 0; k < 3; k++) {
        const r = event(batch * 3 + k, { request_id: 'r'.repeat(40) });
        all.push(r);
        journal.append(r);
      }
      if (batch === 4) checkpointId = journal.checkpoint('state.json@A');
      await journal.flush();
      if (batch === 4) filesBeforeCheckpoint = journal.stats().files_opened;
    }
    await journal.close();

    const read = readJournal(dir);
    expect(read.files.length).toBeGreaterThan(3);
    expect(read.records.filter((r) => !isCheckpoint(r))).toEqual(all);
    read.files.forEach((file, i) => {
      expect(statSync(file).size).toBeLessThanOrEqual(1000);
      const [header] = linesOf(file);
      expect(header).toMatchObject({ type: 'segment', seq: i + 1 });
      // A header names only a checkpoint already on disk when its file was opened.
      const expected = i >= filesBeforeCheckpoint ? { id: checkpointId, snapshot: 'state.json@A' } : null;
      expect(header?.last_checkpoint).toEqual(expected);
    });
  });

  it('replays from a checkpoint across files, and finds nothing after an unknown one', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, clock: new ManualClock(), maxBytes: 400 });
    for (let n = 1; n <= 5; n++) journal.append(event(n));
    await journal.flush();
    const id = journal.checkpoint('state.json@B');
    for (let n = 6; n <= 12; n++) {
      journal.append(event(n));
      await journal.flush();
    }
    await journal.close();

    const from = readJournal(dir, { fromCheckpoint: id });
    expect(from.checkpoint).toMatchObject({ type: 'checkpoint', id, snapshot: 'state.json@B' });
    expect(from.records.map((r) => (r as JournalEvent).event)).toEqual(
      [6, 7, 8, 9, 10, 11, 12].map((n) => ({ type: 'TICK', n })),
    );
    expect(from.files.length).toBeGreaterThan(1);

    const until = readJournal(dir, { fromCheckpoint: id, until: 1008 });
    expect(until.records.map((r) => r.at)).toEqual([1006, 1007, 1008]);

    const unknown = readJournal(dir, { fromCheckpoint: 'ck-nope' });
    expect(unknown.checkpoint).toBeNull();
    expect(unknown.records).toEqual([]);
  });

  it('skips and reports a torn last line and a bad middle line, keeping everything else', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, clock: new ManualClock() });
    for (let n = 1; n <= 3; n++) journal.append(event(n));
    await journal.close();
    const file = join(dir, 'journal-000001.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(2, 0, '{"at":1,"target":"x"'); // a bad line in the middle
    writeFileSync(file, lines.join(''.concat('\n')));
    appendFileSync(file, '{"at":1004,"target":"supervisor","event":{"ty'); // a crash mid-write

    const read = readJournal(dir);
    expect(read.records).toEqual([event(1), event(2), event(3)]);
    expect(read.tornLines).toBe(2);
    expect(read.problems).toEqual([
      { file, line: 3, reason: 'not valid JSON', torn: false },
      { file, line: 6, reason: 'torn last line (not valid JSON)', torn: true },
    ]);
  });

  it('starts a new file per process and carries the restored checkpoint into its header', async () => {
    const dir = tempDir();
    const first = new Journal({ dir });
    first.append(event(1));
    const id = first.checkpoint('state.json@C');
    await first.close();
    // Simulates a crash that tore the first file's tail: the next process must not append after it.
    appendFileSync(join(dir, 'journal-000001.jsonl'), '{"at":');

    const second = new Journal({ dir, lastCheckpoint: { id, snapshot: 'state.json@C' } });
    second.append(event(2));
    const secondId = second.checkpoint('state.json@D');
    await second.close();

    expect(secondId).not.toBe(id);
    const [header] = linesOf(join(dir, 'journal-000002.jsonl'));
    expect(header).toMatchObject({ seq: 2, last_checkpoint: { id, snapshot: 'state.json@C' } });
    const read = readJournal(dir, { fromCheckpoint: id });
    expect(read.records).toEqual([event(2), expect.objectContaining({ id: secondId })]);
    expect(read.tornLines).toBe(1);
  });

  it('drops what it cannot serialise, and anything appended after close, without throwing', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    journal.append(event(1));
    expect(() => journal.append({ at: 2, target: 'supervisor', event: { big: 1n } })).not.toThrow();
    expect(() => journal.append({ at: 3, target: 'supervisor', event: cyclic })).not.toThrow();
    await journal.close();
    await journal.close();
    journal.append(event(4));
    expect(journal.stats()).toMatchObject({ dropped: 3, records_written: 1 });
    expect(readJournal(dir).records).toEqual([event(1)]);
  });

  it('keeps only the newest files when a retention count is set', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, maxBytes: 200, keepFiles: 2 });
    for (let n = 1; n <= 10; n++) {
      journal.append(event(n, { request_id: 'x'.repeat(120) }));
      await journal.flush();
    }
    await journal.close();
    const read = readJournal(dir);
    expect(read.files.map((f) => basename(f))).toEqual(['journal-000009.jsonl', 'journal-000010.jsonl']);
    expect(read.records.map((r) => r.at)).toEqual([1009, 1010]);
  });

  it('reports a failed write, drops that batch, and starts a clean file once the disk is back', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir });
    rmSync(dir, { recursive: true });
    journal.append(event(1));
    await expect(journal.flush()).rejects.toThrow(/ENOENT/);
    expect(journal.stats()).toMatchObject({
      dropped: 1,
      last_error: { message: expect.stringMatching(/ENOENT/) },
    });

    mkdirSync(dir);
    journal.append(event(2));
    await journal.close();
    expect(readJournal(dir).records).toEqual([event(2)]);
  });
});

describe('SnapshotStore paired with a Journal', () => {
  it('replay from the envelope checkpoint yields exactly the events after the capture', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const journal = new Journal({ dir, clock });
    const store = new SnapshotStore({ dir, schemaVersion: 1, clock, checkpoints: journal });
    expect(store.load()).toEqual({ status: 'fresh' });

    journal.append(event(1));
    journal.append(event(2));
    const saving = store.save({ applied: [1, 2] });
    journal.append(event(3)); // arrives while the snapshot is still being written
    await saving;
    journal.append(event(4));
    await journal.close();

    const loaded = new SnapshotStore({ dir, schemaVersion: 1 }).load();
    if (loaded.status !== 'restored') throw new Error(`expected a restore, got ${loaded.status}`);
    const { journal_checkpoint: id, saved_at } = loaded.envelope;
    expect(id).toEqual(expect.any(String));
    const replay = readJournal(dir, { fromCheckpoint: id! });
    expect(replay.checkpoint?.snapshot).toBe(`state.json@${saved_at}`);
    expect(replay.records).toEqual([event(3), event(4)]);
    const everything = readJournal(dir).records.filter((r) => !isCheckpoint(r));
    expect(everything).toEqual([event(1), event(2), event(3), event(4)]);
  });
});

describe('restart with a paired journal', () => {
  it('names the restored snapshot checkpoint in the first header of the next process', async () => {
    const dir = tempDir();
    const journalA = new Journal({ dir });
    const storeA = new SnapshotStore({ dir, schemaVersion: 1, checkpoints: journalA });
    storeA.load();
    journalA.append(event(1));
    await storeA.save({ applied: [1] });
    await journalA.close();

    const journalB = new Journal({ dir });
    const storeB = new SnapshotStore({ dir, schemaVersion: 1, checkpoints: journalB });
    const loaded = storeB.load();
    if (loaded.status !== 'restored') throw new Error('expected a restore');
    journalB.append(event(2));
    await journalB.close();

    const [header] = linesOf(join(dir, 'journal-000002.jsonl'));
    expect(header?.last_checkpoint).toEqual({
      id: loaded.envelope.journal_checkpoint,
      snapshot: `state.json@${loaded.envelope.saved_at}`,
    });
    expect(readJournal(dir, { fromCheckpoint: loaded.envelope.journal_checkpoint! }).records).toEqual([
      event(2),
    ]);
  });
});
