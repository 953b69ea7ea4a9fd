import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isCheckpoint, type JournalEvent } from '../../src/persistence/journal-records.ts';
import type { LoadResult } from '../../src/persistence/load-state-file.ts';
import { readJournal } from '../../src/persistence/read-journal.ts';
import { SnapshotStore } from '../../src/persistence/snapshot-store.ts';
import { useTempDirs } from './support/temp-dir.ts';

const tempDir = useTempDirs();
const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
const KILLS = 20;

interface Tick {
  run: number;
  n: number;
}

function start(
  dir: string,
  run: number,
): { child: ChildProcess; ready: Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(run)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve(out);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`writer exited before ready (code ${code}, signal ${signal}): ${out}${err}`)),
    );
  });
  return { child, ready, exited };
}

const ticks = (records: ReturnType<typeof readJournal>['records']): Tick[] =>
  records.filter((r) => !isCheckpoint(r)).map((r) => (r as JournalEvent).event as Tick);

describe('kill -9 while saving snapshots and appending to the journal', () => {
  it(`every restart after ${KILLS} SIGKILLs finds a valid state file and a readable journal`, async () => {
    const dir = tempDir();
    let killedMidWrite = 0;

    for (let run = 0; run < KILLS; run++) {
      const { child, ready, exited } = start(dir, run);
      const banner = await ready;
      // The previous run's state file was restored, never quarantined (the first run starts fresh).
      expect(banner).toContain(run === 0 ? 'loaded fresh' : 'loaded restored');
      // Varied moments: right away, and up to ~100 ms into the write loop.
      await new Promise((resolve) => setTimeout(resolve, (run * 37) % 101));
      child.kill('SIGKILL');
      await exited;

      if (readdirSync(dir).some((f) => f.startsWith('state.json.tmp-'))) killedMidWrite++;

      let loaded: LoadResult | undefined;
      expect(() => {
        loaded = new SnapshotStore({ dir, schemaVersion: 1 }).load();
      }).not.toThrow();
      if (loaded?.status !== 'restored') throw new Error(`run ${run}: ${JSON.stringify(loaded)}`);
      const state = loaded.envelope.payload as { run: number; lastN: number };
      expect(state.run).toBe(run);
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('.corrupt-'))).toEqual([]);

      // The snapshot's checkpoint is in the journal, and what follows it continues the snapshot's history
      // without a gap, up to the last complete line.
      const checkpoint = loaded.envelope.journal_checkpoint;
      expect(checkpoint).toEqual(expect.any(String));
      const after = readJournal(dir, { fromCheckpoint: checkpoint! });
      expect(after.checkpoint).not.toBeNull();
      const following = ticks(after.records);
      following.forEach((tick, i) => {
        expect(tick).toEqual({ type: 'TICK', run, n: state.lastN + 1 + i });
      });

      // The whole journal: every run's events are a gapless prefix 1..k; the only bad lines are torn tails.
      const all = readJournal(dir);
      expect(all.problems.every((p) => p.torn)).toBe(true);
      expect(all.tornLines).toBeLessThanOrEqual(all.files.length);
      const byRun = new Map<number, number[]>();
      for (const tick of ticks(all.records)) byRun.set(tick.run, [...(byRun.get(tick.run) ?? []), tick.n]);
      for (const [r, ns] of byRun) {
        expect(ns, `run ${r}`).toEqual(ns.map((_, i) => i + 1));
      }
      expect(byRun.get(run)?.length ?? 0).toBeGreaterThanOrEqual(state.lastN);
    }

    // Evidence the kills did land inside snapshot writes (a temp file left behind), not only between them.
    expect(killedMidWrite).toBeGreaterThan(0);
  }, 180_000);
});
