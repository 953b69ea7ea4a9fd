#!/usr/bin/env node
// Bundles the compiled service (dist/src/cli.js, from tsc) into dist/bundle/ with esbuild, for start-up time:
// TypeBox ships as ~700 small ES modules, and resolving and loading them one by one was most of the
// service's second of start-up on a 2-core box (bench/README.md, restart to ready). Our own ~160 modules
// and TypeBox become a few files; every other package stays an ordinary import from node_modules (pino's
// transports and the CommonJS packages load as they always do). Dynamic imports stay separate chunks, so
// what is loaded only on demand (the Redis client, with replicas) is still loaded only then. Source maps
// chain through tsc's, so stack traces still name the TypeScript.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
/** Bundled into the service rather than imported at run time. */
const BUNDLED = new Set(['typebox']);

await build({
  absWorkingDir: ROOT,
  entryPoints: ['dist/src/cli.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name)),
  logLevel: 'warning',
});
