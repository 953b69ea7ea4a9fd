import { parseArgs } from 'node:util';
import { parseGoDuration } from '../../src/simulator/duration.ts';
import { startEngine } from './engine/server.ts';
import { defaultModelDir, ensureModels, MODELS, type ModelKey } from './models.ts';

/**
 * The engine as its own process, so a test can kill -9 it:
 *   node --import tsx test/real-engine/main.ts [--dir D] [--models tiny,big] [--port N] [--keep-alive 5m] [--vram all|none]
 * Generates the chosen models into the folder if they are not there yet, then prints one line
 * `real engine listening on <url>` on stdout. SIGTERM or SIGINT closes it cleanly.
 */

const usage =
  'usage: main.ts [--dir DIR] [--models tiny,big] [--port N] [--host ADDR] [--keep-alive DURATION] [--vram all|none]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    models: { type: 'string', default: 'tiny,big' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'keep-alive': { type: 'string', default: '5m' },
    vram: { type: 'string', default: 'all' },
  },
});

const keys = values.models === '' ? [] : values.models.split(',');
const unknown = keys.filter((k) => !(k in MODELS));
if (unknown.length > 0)
  fail(`--models: unknown ${unknown.join(', ')}; choose from ${Object.keys(MODELS).join(', ')}`);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port: "${values.port}" is not a port number`);
if (values.vram !== 'all' && values.vram !== 'none') fail(`--vram: "${values.vram}" must be all or none`);
let keepAliveMs: number;
try {
  keepAliveMs = parseGoDuration(values['keep-alive']);
} catch (err) {
  fail(`--keep-alive: ${(err as Error).message}`);
}

const dir = values.dir ?? defaultModelDir();
ensureModels(dir, keys as ModelKey[]);
const running = await startEngine({
  dir,
  port,
  host: values.host,
  defaultKeepAliveMs: keepAliveMs < 0 ? Number.POSITIVE_INFINITY : keepAliveMs,
  vram: values.vram,
});
process.stdout.write(`real engine listening on ${running.url}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
