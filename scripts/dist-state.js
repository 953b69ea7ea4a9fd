#!/usr/bin/env node
// Tells whether dist/ (the compiled service, built by `npm run build`, which `npm ci` runs through `prepare`)
// is older than the TypeScript it was built from. bin/rmm.js warns about a stale build and the test setup
// rebuilds one, so nobody runs yesterday's code after editing src/. `node scripts/dist-state.js --stamp`
// marks a finished build.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAMP = join(ROOT, 'dist', '.build-stamp');
/** Folders compiled into dist/ (tsconfig.build.json's `include`). */
const SOURCES = ['src', 'machines'];

/**
 * 'missing' without a finished build; 'stale' with the first source file changed since it (as `file`);
 * 'fresh' otherwise, and also where no sources ship (an installed package or a container image).
 * @returns {{ state: 'missing' | 'stale' | 'fresh', file?: string }}
 */
export function distState(root = ROOT) {
  const stamp = join(root, 'dist', '.build-stamp');
  let built;
  try {
    built = statSync(stamp).mtimeMs;
  } catch {
    return { state: 'missing' };
  }
  for (const dir of SOURCES) {
    const file = newerSource(join(root, dir), built);
    if (file) return { state: 'stale', file: relative(root, file) };
  }
  return { state: 'fresh' };
}

function newerSource(dir, since) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerSource(path, since);
      if (found) return found;
    } else if (entry.name.endsWith('.ts') && statSync(path).mtimeMs > since) return path;
  }
  return undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === '--stamp') writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  else console.log(JSON.stringify(distState()));
}
