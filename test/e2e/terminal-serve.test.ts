import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import { SMALL_CATALOG } from './harness.ts';

const ROOT = join(import.meta.dirname, '../..');

/**
 * `npm start` as a person runs it: at a terminal (util-linux `script` gives it a pseudo-terminal), logs are
 * readable lines rather than JSON, and Ctrl-C (typed into the terminal) shuts it down with exit code 0.
 */
describe.skipIf(!existsSync('/usr/bin/script'))('rmm serve at a terminal', () => {
  it('logs pretty lines and stops cleanly on Ctrl-C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmm-tty-'));
    const config = join(dir, 'rmm.json');
    writeFileSync(config, JSON.stringify({ ...scaledConfig(0.05, SMALL_CATALOG), simulate: 'always' }));
    const command = `exec ${process.execPath} bin/rmm.js serve --config ${config} --state-dir ${join(dir, 'state')}`;
    const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, RMM_LOG_LEVEL: 'info', NO_COLOR: '1', TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d) => {
      screen += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await expect.poll(() => screen, { timeout: 20_000 }).toContain('resilient model manager listening');
      expect(screen).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: resilient model manager listening\r?$/m);
      expect(screen).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: inject a fault: curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/__sim\/faults /m,
      );
      expect(screen).not.toMatch(/^\{"level":/m);
      child.stdin.write('\u0003');
      expect(await exited).toBe(0);
      expect(screen).toContain('INFO: shutting down');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
