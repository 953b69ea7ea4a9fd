import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

export interface ServiceLoggerOptions {
  level: string;
  /** Pretty, coloured lines for a person at a terminal; JSON (one object a line) for everything else. */
  pretty: boolean;
  /** Where pretty lines go: stdout (1) unless a test names a file. */
  prettyDestination?: string | number;
}

export interface ServiceLogger {
  logger: Logger;
  /** Writes out what is buffered; call on shutdown. */
  close(): Promise<void>;
}

/** Paths redacted from every record: a bearer token never reaches a log. */
const REDACT = ['req.headers.authorization', 'headers.authorization'];

/**
 * The service's own logger. On a terminal, pino-pretty in pino's worker-thread transport (formatting
 * costs nothing on the request path). Otherwise JSON into a buffered stdout: a synchronous write per log
 * line is a syscall on every request's path, so the buffer is flushed every 250 ms and on close, and a
 * quiet service's lines still appear promptly.
 */
export function createServiceLogger(opts: ServiceLoggerOptions): ServiceLogger {
  if (opts.pretty) {
    const transport = pino.transport({
      target: transportFile('pino-pretty'),
      options: {
        destination: opts.prettyDestination ?? 1,
        // On the terminal pino-pretty decides (colours unless NO_COLOR is set); never into a file.
        ...(opts.prettyDestination !== undefined && { colorize: false }),
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      },
    });
    const logger = pino({ level: opts.level, redact: REDACT }, transport);
    return {
      logger,
      close: () =>
        new Promise((resolve) => {
          transport.once('close', () => resolve());
          transport.end();
        }),
    };
  }
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const flusher = setInterval(() => destination.flush(), 250);
  flusher.unref();
  return {
    logger: pino({ level: opts.level, redact: REDACT }, destination),
    close: async () => {
      clearInterval(flusher);
      destination.flushSync();
    },
  };
}

/**
 * pino is bundled into the service (scripts/bundle.js), so it cannot find the files its transport runs in a
 * worker thread relative to itself: it is told where they are in node_modules, through the override hook it
 * keeps for bundlers. thread-stream is resolved from pino's own folder, where npm put it for pino.
 */
function transportFile(target: string): string {
  const here = createRequire(import.meta.url);
  const fromPino = createRequire(here.resolve('pino'));
  const hook = globalThis as { __bundlerPathsOverrides?: Record<string, string> };
  hook.__bundlerPathsOverrides = {
    ...hook.__bundlerPathsOverrides,
    'thread-stream-worker': fromPino.resolve('thread-stream/lib/worker.js'),
  };
  return here.resolve(target);
}
