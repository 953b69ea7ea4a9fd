/** A flag parser small enough to read: `--name value`, `--name=value`, booleans, and positionals. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface FlagSpec {
  [flag: string]: 'string' | 'number' | 'boolean';
}

export interface ParsedArgs {
  flags: Record<string, string | number | boolean | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = spec[rawName];
    if (!kind) {
      throw new UsageError(
        `unknown flag --${rawName}; known flags: ${Object.keys(spec)
          .map((f) => `--${f}`)
          .join(', ')}`,
      );
    }
    if (kind === 'boolean') {
      flags[rawName] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${rawName} needs a ${kind === 'number' ? 'number' : 'value'}`);
    }
    if (kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${rawName} must be a number, got "${value}"`);
      flags[rawName] = n;
    } else {
      flags[rawName] = value;
    }
  }
  return { flags, positionals };
}
