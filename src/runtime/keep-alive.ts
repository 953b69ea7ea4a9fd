import type { Config } from '../config/schema.ts';

/** The config's `load.keep_alive` as Ollama takes it: a number of seconds, or a duration string. */
export function keepAliveOf(config: Readonly<Config>): string | number {
  const k = config.load.keep_alive;
  return /^-?\d+(\.\d+)?$/.test(k) ? Number(k) : k;
}
