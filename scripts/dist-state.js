#!/usr/bin/env node
// Tells whether dist/ (the compiled service, built by `npm run build`, which `npm ci` runs through `prepare`)
// is older than the TypeScript it was built from. bin/rmm.js warns about a stale build and the test setup
// rebuilds one, so nobody runs yesterday's code after editing src/. `node scripts/dist-state.js --stamp`
// marks a finished build.
import { writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(ROOT, 'dist', '.build-stamp');
/** Folders compiled into dist/ (tsconfig.build.json's `include`). */
const SOURCES = ['src', 'machines'];

/**
 * 'missing' without a finished build; 'stale' with the first source file changed since it (as `file`);
 * 'fresh' otherwise, and also where no sources ship (an installed package or a container image).
 * Asynchronous, its stats in parallel: bin/rmm.js runs it on libuv's threads while the bundle loads, where
 * the same walk done synchronously added ~10 ms to every start.
 * @returns {Promise<{ state: 'missing' | 'stale' | 'fresh', file?: string }>}
 */
export async function distState(root = ROOT) {
  let built;
  try {
    built = (await stat(join(root, 'dist', '.build-stamp'))).mtimeMs;
  } catch {
    return { state: 'missing' };
  }
  for (const dir of SOURCES) {
    const file = await newerSource(join(root, dir), built);
    if (file) return { state: 'stale', file: relative(root, file) };
  }
  return { state: 'fresh' };
}

/** The first `.ts` file under `dir` (in directory order) modified after `since`. */
async function newerSource(dir, since) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const found = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return newerSource(path, since);
      if (!entry.name.endsWith('.ts')) return undefined;
      return (await stat(path)).mtimeMs > since ? path : undefined;
    }),
  );
  return found.find((file) => file !== undefined);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === '--stamp') writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  else console.log(JSON.stringify(await distState()));
}
