#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so `rmm` needs no build step on Node 20.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
