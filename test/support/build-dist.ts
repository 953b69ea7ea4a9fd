import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { distState } from '../../scripts/dist-state.js';

const ROOT = join(import.meta.dirname, '../..');

/**
 * Vitest global setup: tests that start `bin/rmm.js` run the compiled service, so dist/ must match the
 * sources. CI's `npm ci` has just built it (nothing to do); after an edit it is rebuilt here, once.
 */
export default async function buildDist(): Promise<void> {
  const { state, file } = await distState(ROOT);
  if (state === 'fresh') return;
  console.log(`dist/ is ${state}${file ? ` (${file} changed)` : ''}: npm run build`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}
