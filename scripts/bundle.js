#!/usr/bin/env node
// Bundles the compiled service (dist/src/cli.js, from tsc) into dist/bundle/ with esbuild, for start-up time:
// resolving and loading packages file by file was most of the service's second of start-up on a 2-core box
// (bench/README.md, restart to ready). Our own ~160 modules and the packages on the serving path become a
// few files. pino is bundled too; its pretty transport's worker files are named to it at run time
// (service-logger.ts), since they run from node_modules in a thread of their own. The Redis client (loaded
// only with replicas) and the inspector stay ordinary imports from node_modules. Dynamic imports stay
// separate chunks, so what is loaded only on demand is still loaded only then. Whitespace is minified
// (less to read and parse at start); names are kept.
//
// Source maps chain through tsc's, so stack traces name the TypeScript, and cover our code only. Node parses
// a file's whole map the first time a stack trace passes through it and keeps it: with the packages' code
// mapped too, that was tens of MB of heap (RSS peak under load 330 MB against 210 without), for frames that
// point into node_modules anyway. So each bundled package is also an entry point of its own: code is split
// into chunks by which entry points reach it, which puts package code in chunks apart from ours, and those
// chunks are written without a map.
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));
/** Bundled into the service rather than imported at run time (the rest of the dependencies stay imports). */
const BUNDLED = ['typebox', 'fastify', 'undici', 'prom-client', 'xstate', '@xstate/store', 'pino'];

/**
 * Fastify's modules that the service never loads: its Ajv validator and fast-json-stringify serializer
 * compilers (app.ts gives Fastify ours at creation) and light-my-request (behind `inject`, which only tests
 * use, on the sources). They stay imports, resolved from node_modules should anything ever ask: bundled,
 * their ~430 KB (Ajv and fast-uri most of it) were compiled at every start for nothing.
 */
const NEVER_LOADED = ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'];

// Chunk names carry a content hash: without a clean folder every build would leave the last one's beside it.
rmSync(`${ROOT}dist/bundle`, { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: ROOT,
  entryPoints: {
    cli: 'dist/src/cli.js',
    // Never imported at run time (cli.js imports the shared chunks directly): they only steer the split.
    ...Object.fromEntries(BUNDLED.map((name) => [`packages/${name.replace('/', '-')}`, name])),
  },
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
  metafile: true,
  external: [...Object.keys(pkg.dependencies).filter((name) => !BUNDLED.includes(name)), ...NEVER_LOADED],
  logLevel: 'warning',
  // Bundled CommonJS packages call require(); an ES module has none until it makes one.
  banner: {
    js: "import { createRequire as __rmmCreateRequire } from 'node:module'; const require = __rmmCreateRequire(import.meta.url);",
  },
});

// Reached some other way (a Fastify upgrade requiring Ajv elsewhere), they would be compiled again: say so.
const stray = Object.keys(metafile.inputs).filter((input) => /node_modules\/(ajv|fast-uri)\//.test(input));
if (stray.length > 0) throw new Error(`bundle: Ajv is bundled again (${stray[0]}); see NEVER_LOADED`);

let unmapped = 0;
for (const [file, output] of Object.entries(metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  const inputs = Object.keys(output.inputs);
  if (!inputs.every((input) => input.includes('node_modules/'))) continue;
  const path = `${ROOT}${file}`;
  unlinkSync(`${path}.map`);
  writeFileSync(path, readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
  unmapped++;
}
if (unmapped === 0)
  throw new Error('bundle: no package-only chunk found; the source-map split did not happen');
