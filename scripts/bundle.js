#!/usr/bin/env node
// Bundles the compiled service (dist/src/cli.js, from tsc) into dist/bundle/ with esbuild, for start-up time:
// resolving and loading packages file by file was most of the service's second of start-up on a 2-core box
// (bench/README.md, restart to ready). Our own ~160 modules and the packages on the serving path become a
// few files. Packages that load files of their own by path stay ordinary imports from node_modules: pino
// (its transports run pino-pretty in a worker it finds on disk), the Redis client (loaded only with
// replicas) and the inspector. Dynamic imports stay separate chunks, so what is loaded only on demand is
// still loaded only then. Whitespace is minified (less to read and parse at start); names are kept, and
// source maps chain through tsc's, so stack traces still name the TypeScript (without its text: a map
// half the size is read faster at start).
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
/** Bundled into the service rather than imported at run time (the rest of the dependencies stay imports). */
const BUNDLED = new Set(['typebox', 'fastify', 'undici', 'prom-client', 'xstate', '@xstate/store', 'ollama']);

// Chunk names carry a content hash: without a clean folder every build would leave the last one's beside it.
rmSync(`${ROOT}dist/bundle`, { recursive: true, force: true });
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
  sourcesContent: false,
  minifyWhitespace: true,
  minifySyntax: true,
  external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name)),
  logLevel: 'warning',
  // Bundled CommonJS packages call require(); an ES module has none until it makes one.
  banner: {
    js: "import { createRequire as __rmmCreateRequire } from 'node:module'; const require = __rmmCreateRequire(import.meta.url);",
  },
});
