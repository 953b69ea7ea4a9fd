#!/usr/bin/env node
// Runs the compiled service in dist/ (built by `npm run build`; `npm ci` builds through `prepare`): plain
// JavaScript, no transpiler at run time. Stack traces point into the TypeScript through dist's source maps.
import { distState } from '../scripts/dist-state.js';

// The check's file stats run on libuv's threads while the main thread loads the bundle.
const checked = distState();
process.setSourceMapsEnabled(true);
const loaded = import('../dist/bundle/cli.js');
// Without a build the import fails; that case is answered below with its own message, not a stack trace.
loaded.catch(() => undefined);
const built = await checked;
if (built.state === 'missing') {
  console.error('rmm: the compiled service (dist/) is missing; run "npm run build" (npm ci does it) first');
  process.exit(2);
}
if (built.state === 'stale') {
  console.error(`rmm: warning: ${built.file} changed after the last build; run "npm run build" to use it`);
}
const { main } = await loaded;
process.exitCode = await main(process.argv.slice(2));
