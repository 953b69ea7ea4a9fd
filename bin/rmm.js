#!/usr/bin/env node
// Runs the compiled service in dist/ (built by `npm run build`; `npm ci` builds through `prepare`): plain
// JavaScript, no transpiler at run time. Stack traces point into the TypeScript through dist's source maps.
import { distState } from '../scripts/dist-state.js';

const built = distState();
if (built.state === 'missing') {
  console.error('rmm: the compiled service (dist/) is missing; run "npm run build" (npm ci does it) first');
  process.exit(2);
}
if (built.state === 'stale') {
  console.error(`rmm: warning: ${built.file} changed after the last build; run "npm run build" to use it`);
}
process.setSourceMapsEnabled(true);
const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv.slice(2));
