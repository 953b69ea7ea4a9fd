import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import { SMALL_CATALOG } from './harness.ts';

const ROOT = join(import.meta.dirname, '../..');

interface Running {
  child: ChildProcess;
  url: string;
  simUrl: string;
}

/** Starts `rmm serve` as its own process and waits for its "listening" log line. */
function serve(configFile: string, stateDir: string): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['bin/rmm.js', 'serve', '--config', configFile, '--state-dir', stateDir],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RMM_LOG_LEVEL: 'info' },
    },
  );
  return new Promise((resolve, reject) => {
    let simUrl = '';
    const timer = setTimeout(() => reject(new Error('service did not start')), 20_000);
    const lastLines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lastLines.push(line);
      if (lastLines.length > 5) lastLines.shift();
      const rec = JSON.parse(line) as { msg?: string; url?: string; simulator?: string[] };
      if (rec.simulator) simUrl = rec.simulator[0]!;
      if (rec.msg === 'resilient model manager listening') {
        clearTimeout(timer);
        resolve({ child, url: rec.url!, simUrl });
      }
    });
    // What the service said on its way out is the only clue to a failed restart: keep its last lines.
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.once('exit', (code) =>
      reject(new Error(`service exited with ${code}: ${stderr}\n${lastLines.join('\n')}`)),
    );
  });
}

async function status(url: string) {
  return (await (await fetch(`${url}/api/echo/resilient/status`)).json()) as {
    circuits: Array<{ model: string; is_open: boolean }>;
    persistence: { last_load: string; quarantined: string | null; last_saved_at: string | null };
  };
}

/** Polls /readyz (no other request is sent) until it answers 200, or gives up after `ms`. */
async function readyWithin(url: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('kill -9', () => {
  it('20 kills during loads and snapshot writes: every restart finds valid state, open circuits stay open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmm-crash-'));
    const stateDir = join(dir, 'state');
    const configFile = join(dir, 'config.json');
    // Scaled timings so loads take a few hundred ms; a recovery timeout long enough to outlive the test.
    const config = structuredClone(scaledConfig(0.05, SMALL_CATALOG)) as Record<string, unknown>;
    Object.assign(config, {
      simulate: 'always',
      server: { ...(config['server'] as object), port: 0, log_level: 'info' },
    });
    (config['circuit'] as Record<string, number>)['recovery_timeout_s'] = 900;
    (config['circuit'] as Record<string, number>)['recovery_timeout_max_s'] = 900;
    writeFileSync(configFile, JSON.stringify(config));

    let run = await serve(configFile, stateDir);
    const outcomes: string[] = [];
    try {
      // Open alpha's circuit once, in the first run.
      await fetch(`${run.simUrl}/__sim/faults`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'http_500', model: 'alpha' }),
      });
      for (
        let i = 0;
        i < 20 && !(await status(run.url)).circuits.find((c) => c.model === 'alpha')?.is_open;
        i++
      ) {
        await fetch(`${run.url}/api/echo/resilient/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: 'x', task_type: 'general', urgency: 'background' }),
        });
      }
      expect((await status(run.url)).circuits.find((c) => c.model === 'alpha')?.is_open).toBe(true);
      // A circuit change is saved at once, not debounced; wait until that write is on disk.
      const openedAt = Date.now();
      for (let i = 0; i < 100; i++) {
        const saved = (await status(run.url)).persistence.last_saved_at;
        if (saved && Date.parse(saved) >= openedAt - 1000) break;
        await new Promise((r) => setTimeout(r, 20));
      }

      for (let round = 0; round < 20; round++) {
        // Traffic (journal appends, debounced snapshots) and the warm-set loads are under way when the kill lands.
        const traffic = Array.from({ length: 8 }, (_, i) =>
          fetch(`${run.url}/api/echo/resilient/query`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `r${round} q${i}`, task_type: 'general', urgency: 'batch' }),
          }).catch(() => undefined),
        );
        await new Promise((r) => setTimeout(r, 20 + ((round * 37) % 250)));
        await kill9(run.child);
        await Promise.all(traffic);

        run = await serve(configFile, stateDir);
        // Ready once the warm set serves, with no traffic needed to get there.
        expect(await readyWithin(run.url, 15_000), `round ${round}: /readyz`).toBe(true);
        const s = await status(run.url);
        outcomes.push(s.persistence.last_load);
        // Leftovers of a write the kill cut short are swept at start: only the live process's own may exist.
        const live = `.tmp-${run.child.pid}`;
        expect(readdirSync(stateDir).filter((f) => f.includes('.tmp-') && !f.endsWith(live))).toEqual([]);
        if (s.persistence.last_load === 'quarantined') {
          expect(s.persistence.quarantined).toMatch(/corrupt/);
        } else {
          expect(s.persistence.last_load, `round ${round}`).toBe('restored');
          expect(s.circuits.find((c) => c.model === 'alpha')?.is_open, `round ${round}`).toBe(true);
        }
      }
    } finally {
      // A failed assertion must not leave a service running after the test.
      if (run.child.exitCode === null && run.child.signalCode === null) await kill9(run.child);
    }
    // Atomic writes: no restart ever found a torn file.
    expect(outcomes.filter((o) => o === 'restored')).toHaveLength(20);
  }, 180_000);
});
