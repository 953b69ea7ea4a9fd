import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { tempPathFor } from '../../src/persistence/atomic-write.ts';
import type { CheckpointSink } from '../../src/persistence/checkpoint-sink.ts';
import { decodeEnvelope, encodeEnvelope, stringifyPayload } from '../../src/persistence/envelope.ts';
import { SnapshotStore } from '../../src/persistence/snapshot-store.ts';
import { ManualClock } from './support/manual-clock.ts';
import { captureLogs, useTempDirs } from './support/temp-dir.ts';

const tempDir = useTempDirs();

function setup(extra: { debounceMs?: number; checkpoints?: CheckpointSink; dir?: string } = {}) {
  const dir = extra.dir ?? join(tempDir(), 'state');
  const clock = new ManualClock();
  const logs = captureLogs();
  const logger = pino({ level: 'trace' }, logs);
  const store = new SnapshotStore({ dir, schemaVersion: 1, clock, logger, ...extra });
  return { dir, clock, logs, logger, store, file: join(dir, 'state.json') };
}

function payloadOnDisk(file: string): unknown {
  const decoded = decodeEnvelope(readFileSync(file, 'utf8'), 1);
  if (!decoded.ok) throw new Error(`file on disk is not valid: ${decoded.reason}`);
  return decoded.envelope.payload;
}

describe('SnapshotStore.load', () => {
  it('starts fresh when there is no file, creating the folder', () => {
    const dir = join(tempDir(), 'not', 'yet');
    const { store } = setup({ dir });
    expect(store.load()).toEqual({ status: 'fresh' });
    expect(existsSync(dir)).toBe(true);
    expect(store.lastLoad).toEqual({ status: 'fresh' });
    expect(store.lastSavedAt).toBeNull();
  });

  it('restores what save wrote, and leaves no temp file behind', async () => {
    const { store, dir, clock } = setup();
    store.load();
    clock.advance(1234);
    await store.save({ circuits: { a: 'open' } });
    expect(readdirSync(dir)).toEqual(['state.json']);

    const again = new SnapshotStore({ dir, schemaVersion: 1 });
    const result = again.load();
    expect(result.status).toBe('restored');
    if (result.status === 'restored') {
      expect(result.envelope.payload).toEqual({ circuits: { a: 'open' } });
      expect(result.envelope.saved_at).toBe(new Date(clock.now()).toISOString());
      expect(result.envelope.schema_version).toBe(1);
    }
    expect(again.lastSavedAt).toBe(new Date(clock.now()).toISOString());
  });

  it('sets a corrupt file aside byte for byte, logs at error, and the next start is fresh', () => {
    const { store, file, logs, dir } = setup();
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, '{"schema_version":1,"saved_at":"2025-01-01T00:00:00.000Z","payl');

    const result = store.load();
    expect(result.status).toBe('quarantined');
    if (result.status !== 'quarantined') return;
    expect(result.movedTo).toBe(`${file}.corrupt-2025-01-01T00-00-00.000Z`);
    expect(result.reason).toMatch(/^corrupt: not valid JSON/);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(result.movedTo!, 'utf8')).toBe(
      '{"schema_version":1,"saved_at":"2025-01-01T00:00:00.000Z","payl',
    );
    const errors = logs.lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ moved_to: result.movedTo, reason: result.reason });
    expect(store.status().last_load).toEqual({
      status: 'quarantined',
      reason: result.reason,
      moved_to: result.movedTo,
    });

    expect(new SnapshotStore({ dir, schemaVersion: 1 }).load()).toEqual({ status: 'fresh' });
  });

  it('sets aside a file of another schema version as incompatible', async () => {
    const { dir, file } = setup();
    await new SnapshotStore({ dir, schemaVersion: 1 }).save({ old: true });
    const result = new SnapshotStore({ dir, schemaVersion: 2 }).load();
    expect(result).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/^incompatible:/) });
    expect(existsSync(file)).toBe(false);
  });

  it('sets aside a file whose checksum does not match', async () => {
    const { dir, file, store } = setup();
    await store.save({ failures: 4 });
    writeFileSync(file, readFileSync(file, 'utf8').replace('"failures":4', '"failures":5'));
    expect(new SnapshotStore({ dir, schemaVersion: 1 }).load()).toMatchObject({
      status: 'quarantined',
      reason: 'corrupt: checksum mismatch',
    });
  });

  it('never overwrites an earlier quarantined file', () => {
    const { store, file, dir } = setup();
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, 'first');
    const first = store.load();
    writeFileSync(file, 'second');
    const second = store.load(); // same clock instant, so the same timestamp
    expect(first.status === 'quarantined' && second.status === 'quarantined').toBe(true);
    if (first.status !== 'quarantined' || second.status !== 'quarantined') return;
    expect(second.movedTo).toBe(`${first.movedTo}-2`);
    expect(readFileSync(first.movedTo!, 'utf8')).toBe('first');
    expect(readFileSync(second.movedTo!, 'utf8')).toBe('second');
  });

  it('sets aside a path it cannot read as a file', () => {
    const { store, file } = setup();
    mkdirSync(file, { recursive: true });
    const result = store.load();
    expect(result).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/^unreadable:/) });
    expect(existsSync(file)).toBe(false);
  });

  it('removes temp files of dead writers but not of live ones', () => {
    const { store, file, dir } = setup();
    mkdirSync(dir, { recursive: true });
    const dead = tempPathFor(file, 2 ** 30); // above any Linux pid_max
    const live = tempPathFor(file, process.pid);
    writeFileSync(dead, 'half a snap');
    writeFileSync(live, 'in progress');
    expect(store.load()).toEqual({ status: 'fresh' });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('quarantine() sets aside a well-formed file whose payload the caller cannot use', async () => {
    const { store, file } = setup();
    await store.save({ not: 'a machine snapshot' });
    expect(store.load().status).toBe('restored');
    const result = store.quarantine('restore failed: unknown state "x"');
    expect(result).toMatchObject({ status: 'quarantined', reason: 'restore failed: unknown state "x"' });
    expect(existsSync(file)).toBe(false);
  });
});

describe('SnapshotStore.save and schedule', () => {
  it('debounces a burst into one write of the newest payload', async () => {
    const { store, clock, file } = setup({ debounceMs: 250 });
    store.load();
    const calls: number[] = [];
    for (let i = 1; i <= 5; i++) {
      store.schedule(() => {
        calls.push(i);
        return { i };
      });
    }
    clock.advance(249);
    await store.idle();
    expect(existsSync(file)).toBe(false);
    clock.advance(1);
    await store.idle();
    expect(calls).toEqual([5]);
    expect(payloadOnDisk(file)).toEqual({ i: 5 });
    expect(store.status().writes).toBe(1);
  });

  it('keeps saving under constant activity instead of waiting for a quiet moment', async () => {
    const { store, clock, file } = setup({ debounceMs: 250 });
    const written: unknown[] = [];
    for (let i = 1; i <= 10; i++) {
      store.schedule(() => ({ i }));
      clock.advance(100);
      const before = store.status().writes;
      await store.idle();
      if (store.status().writes > before) written.push(payloadOnDisk(file));
    }
    // Timers armed at t=0, 300, 600 fire at 250, 550, 850 with the getters scheduled at 200, 500, 800.
    expect(written).toEqual([{ i: 3 }, { i: 6 }, { i: 9 }]);
    await store.flush();
    expect(payloadOnDisk(file)).toEqual({ i: 10 });
    expect(store.status().writes).toBe(4);
  });

  it('flush writes a pending save at once; with nothing pending it writes nothing', async () => {
    const { store, clock, file } = setup({ debounceMs: 10_000 });
    await store.flush();
    expect(existsSync(file)).toBe(false);
    store.schedule(() => ({ shutting: 'down' }));
    await store.flush();
    expect(payloadOnDisk(file)).toEqual({ shutting: 'down' });
    expect(clock.pending).toBe(0);
  });

  it('cancel drops a pending save', async () => {
    const { store, clock, file } = setup({ debounceMs: 100 });
    store.schedule(() => ({ x: 1 }));
    store.cancel();
    clock.advance(1000);
    await store.flush();
    expect(existsSync(file)).toBe(false);
  });

  it('never lets an older capture overwrite a newer one', async () => {
    const { store, clock, file } = setup({ debounceMs: 50 });
    const first = store.save({ v: 'first' }); // in flight
    store.schedule(() => ({ v: 'scheduled, captured when its turn comes' }));
    clock.advance(50); // queued behind `first`
    const older = store.save({ v: 'captured before the scheduled one ran' });
    await Promise.all([first, older]);
    await store.idle();
    expect(payloadOnDisk(file)).toEqual({ v: 'scheduled, captured when its turn comes' });
    expect(store.status()).toMatchObject({ writes: 2, superseded: 1 });
  });

  it('rejects a payload JSON cannot hold and leaves the file alone', async () => {
    const { store, file } = setup();
    await store.save({ good: true });
    await expect(store.save(undefined)).rejects.toThrow(TypeError);
    await expect(store.save({ n: 10n })).rejects.toThrow(TypeError);
    expect(payloadOnDisk(file)).toEqual({ good: true });
    expect(store.status().errors).toBe(2);
  });

  it('reports a failed write, survives it, and recovers when the disk does', async () => {
    const { store, dir, clock, logs } = setup({ debounceMs: 10 });
    store.load();
    rmSync(dir, { recursive: true });
    await expect(store.save({ a: 1 })).rejects.toThrow(/ENOENT/);
    expect(store.status().last_error?.message).toMatch(/snapshot write failed/);

    // A scheduled save that fails must not become an unhandled rejection (vitest fails the run if it does).
    store.schedule(() => ({ a: 2 }));
    clock.advance(10);
    await store.idle();
    expect(store.status().errors).toBe(2);
    expect(logs.lines.filter((l) => l.level === 50)).toHaveLength(2);

    mkdirSync(dir);
    await store.save({ a: 3 });
    expect(store.status()).toMatchObject({ last_error: null, writes: 1 });
  });

  it('cuts a checkpoint at capture and makes it durable before the snapshot', async () => {
    const { file, dir } = setup();
    const calls: string[] = [];
    const sink: CheckpointSink = {
      checkpoint(ref) {
        calls.push(`checkpoint ${ref}`);
        return 'ck-7';
      },
      async flush(options) {
        calls.push(`flush sync=${options?.sync} file=${existsSync(file)}`);
      },
    };
    const paired = new SnapshotStore({ dir, schemaVersion: 1, checkpoints: sink, clock: new ManualClock() });
    const saving = paired.save({ x: 1 });
    expect(calls).toEqual(['checkpoint state.json@2025-01-01T00:00:00.000Z']); // synchronous, at capture
    await saving;
    expect(calls[1]).toBe('flush sync=true file=false');
    const loaded = new SnapshotStore({ dir, schemaVersion: 1 }).load();
    expect(loaded).toMatchObject({ status: 'restored', envelope: { journal_checkpoint: 'ck-7' } });
  });

  it('still writes the snapshot when the journal cannot be made durable', async () => {
    const { dir, file, logger, logs } = setup();
    const sink: CheckpointSink = {
      checkpoint: () => 'ck-lost',
      flush: async () => {
        throw new Error('journal disk full');
      },
    };
    await new SnapshotStore({ dir, schemaVersion: 1, checkpoints: sink, logger }).save({ y: 2 });
    expect(payloadOnDisk(file)).toEqual({ y: 2 });
    expect(logs.lines.some((l) => l.level === 40 && String(l.msg).includes('checkpoint'))).toBe(true);
  });

  it('writes exactly the bytes encodeEnvelope produces', async () => {
    const { store, file, clock } = setup();
    await store.save({ k: [1, 'two'] });
    const expected = encodeEnvelope(stringifyPayload({ k: [1, 'two'] }), {
      schemaVersion: 1,
      savedAt: new Date(clock.now()).toISOString(),
    });
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});
