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
      target: 'pino-pretty',
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
