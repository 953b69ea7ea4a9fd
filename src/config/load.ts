import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Value } from 'typebox/value';
import { ConfigError } from './config-error.ts';
import { DEFAULT_OLLAMA_URL, defaultConfig } from './defaults.ts';
import { type Config, ConfigSchema } from './schema.ts';

const lazyRequire = createRequire(import.meta.url);

export { ConfigError };

export interface LoadOptions {
  /** Path of a YAML or JSON file; `RMM_CONFIG` when absent. */
  file?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Command-line flags, applied last. */
  overrides?: { host?: string; port?: number; stateDir?: string };
}

/** Sections whose value, when given, replaces the default wholesale instead of merging into it. */
const REPLACED_WHOLE = new Set(['models', 'chains']);

/** Loads, merges, validates and freezes the configuration. Throws ConfigError naming the first bad key. */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const file = options.file ?? env['RMM_CONFIG'];
  let doc: unknown = {};
  if (file) doc = readDocument(file);
  if (doc === null || doc === undefined) doc = {};
  if (!isPlainObject(doc)) throw new ConfigError('', `${file} must hold a mapping at the top level`);

  const merged = mergeInto(defaultConfig() as unknown as Record<string, unknown>, doc, '');
  applyEnv(merged, env);
  applyOverrides(merged, options.overrides);
  return validateConfig(merged);
}

/** Validates an already merged document (exported for tests and for the simulator's own config). */
export function validateConfig(candidate: unknown): Readonly<Config> {
  const first = Value.Errors(ConfigSchema, candidate)[0];
  if (first)
    throw describeSchemaError(candidate, first.instancePath, first.keyword, first.params, first.message);
  const config = candidate as Config;
  checkReferences(config);
  return deepFreeze(config);
}

function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError(
      '',
      `cannot read ${file}: ${reason}; pass an existing file with --config or RMM_CONFIG`,
    );
  }
  // JSON (what tools and the bench write) is read by the built-in parser: the YAML parser's load and first
  // parse were a tenth of a restart. Anything else, or JSON with a mistake, goes to the YAML parser, which
  // reads both and says at which line and column the mistake is.
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text);
    } catch {
      // Fall through for the YAML parser's error, or for YAML flow syntax that is not JSON.
    }
  }
  try {
    // Loaded here, not at start-up: a service started without a config file never needs it.
    const yaml = lazyRequire('yaml') as typeof import('yaml');
    return yaml.parse(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError('', `${file} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>, path: string) {
  for (const [key, value] of Object.entries(over)) {
    const here = path ? `${path}.${key}` : key;
    const current = base[key];
    if (!REPLACED_WHOLE.has(here) && isPlainObject(current) && isPlainObject(value)) {
      mergeInto(current, value, here);
    } else {
      base[key] = value;
    }
  }
  return base;
}

function applyEnv(doc: Record<string, unknown>, env: Record<string, string | undefined>) {
  const ollama = env['OLLAMA_HOST'];
  if (ollama) {
    const hosts = doc['hosts'];
    const first = Array.isArray(hosts) && isPlainObject(hosts[0]) ? hosts[0] : {};
    doc['hosts'] = [{ ...first, name: first['name'] ?? 'ollama', url: normaliseOllamaUrl(ollama) }];
    // A named Ollama is a promise not to answer from a simulation.
    doc['simulate'] = 'never';
  }
  const server = doc['server'] as Record<string, unknown>;
  if (env['RMM_HOST']) server['host'] = env['RMM_HOST'];
  if (env['RMM_PORT']) server['port'] = parsePort(env['RMM_PORT'], 'RMM_PORT');
  if (env['RMM_API_KEY']) server['api_key'] = env['RMM_API_KEY'];
  if (env['RMM_LOG_LEVEL']) server['log_level'] = env['RMM_LOG_LEVEL'];
  if (env['RMM_STATE_DIR']) doc['state_dir'] = env['RMM_STATE_DIR'];
  const shared = doc['shared_state'] as Record<string, unknown>;
  if (env['RMM_REDIS_URL']) shared['redis_url'] = env['RMM_REDIS_URL'];
  if (env['RMM_REPLICA_ID']) shared['replica_id'] = env['RMM_REPLICA_ID'];
}

function applyOverrides(doc: Record<string, unknown>, overrides: LoadOptions['overrides']) {
  if (!overrides) return;
  const server = doc['server'] as Record<string, unknown>;
  if (overrides.host !== undefined) server['host'] = overrides.host;
  if (overrides.port !== undefined) server['port'] = overrides.port;
  if (overrides.stateDir !== undefined) doc['state_dir'] = overrides.stateDir;
}

function parsePort(text: string, name: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(name, `"${text}" is not a port; use an integer from 0 to 65535`);
  }
  return port;
}

/** Accepts what Ollama's own OLLAMA_HOST accepts: "host", "host:port", or a full URL. */
export function normaliseOllamaUrl(value: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError('OLLAMA_HOST', `"${value}" is not a host; use host:port or http://host:port`);
  }
  if (!url.port) url.port = url.protocol === 'https:' ? '443' : new URL(DEFAULT_OLLAMA_URL).port;
  return url.origin;
}

function checkReferences(config: Config) {
  for (const [task, chain] of Object.entries(config.chains)) {
    chain.forEach((entry, i) => {
      const spec = config.models[entry.model];
      if (!spec) {
        throw new ConfigError(
          `chains.${task}[${i}].model`,
          `"${entry.model}" is not in models; allowed: ${Object.keys(config.models).join(', ')}`,
        );
      }
      // Embedding models answer only embeddings, and chat models only chat: a chain mixing them is a mistake.
      const embeds = spec.capabilities?.includes('embedding') === true;
      const chats = spec.capabilities === undefined || spec.capabilities.includes('completion');
      if (task === 'embed' && !embeds)
        throw new ConfigError(`chains.embed[${i}].model`, `"${entry.model}" has no embedding capability`);
      if (task !== 'embed' && !chats)
        throw new ConfigError(
          `chains.${task}[${i}].model`,
          `"${entry.model}" is an embedding model; it belongs in chains.embed only`,
        );
    });
  }
  if (!config.chains['general']) {
    throw new ConfigError('chains.general', 'missing; unclassified queries need a general chain');
  }
  config.warm_set.forEach((name, i) => {
    if (!config.models[name]) {
      throw new ConfigError(
        `warm_set[${i}]`,
        `"${name}" is not in models; allowed: ${Object.keys(config.models).join(', ')}`,
      );
    }
  });
  const seen = new Set<string>();
  config.hosts.forEach((host, i) => {
    if (seen.has(host.name))
      throw new ConfigError(`hosts[${i}].name`, `"${host.name}" is used twice; host names must differ`);
    seen.add(host.name);
    host.models?.forEach((name, j) => {
      if (!config.models[name])
        throw new ConfigError(`hosts[${i}].models[${j}]`, `"${name}" is not in models`);
    });
  });
}

function describeSchemaError(
  doc: unknown,
  pointer: string,
  keyword: string,
  params: Record<string, unknown>,
  message: string,
): ConfigError {
  const segments = pointer.split('/').slice(1).map(unescapePointer);
  // TypeBox reports an unknown key either at the parent (additionalProperties) or at the key itself
  // (a `false` sub-schema); both become "unknown key" naming the key and its allowed siblings.
  const extraAtParent = keyword === 'additionalProperties' && Array.isArray(params['additionalProperties']);
  if (extraAtParent || keyword === 'boolean') {
    const path = extraAtParent
      ? [...segments, String((params['additionalProperties'] as unknown[])[0])]
      : segments;
    const at = keyPath(path);
    const parent = lookup(ConfigSchema, path.slice(0, -1));
    const allowed = parent ? Object.keys(parent).join(', ') : '';
    return new ConfigError(at, `unknown key${allowed ? `; allowed keys here: ${allowed}` : ''}`);
  }
  const value = segments.reduce<unknown>(
    (v, s) => (isPlainObject(v) || Array.isArray(v) ? (v as never)[s] : undefined),
    doc,
  );
  const allowed = describeAllowed(keyword, params, message, segments);
  return new ConfigError(
    keyPath(segments),
    `${JSON.stringify(value) ?? 'missing'} is not allowed; ${allowed}`,
  );
}

function describeAllowed(
  keyword: string,
  params: Record<string, unknown>,
  message: string,
  segments: string[],
) {
  const schema = schemaAt(segments);
  if (schema && Array.isArray(schema['anyOf'])) {
    const options = (schema['anyOf'] as Array<Record<string, unknown>>).map((s) =>
      JSON.stringify(s['const']),
    );
    return `expected one of ${options.join(', ')}`;
  }
  if (keyword === 'required') return `required key ${String(params['requiredProperties'] ?? '')} is missing`;
  return `value ${message}${schema?.['description'] ? ` (${String(schema['description'])})` : ''}`;
}

/** The properties of the object schema reached by following `segments` (for "allowed keys" hints). */
function lookup(schema: unknown, segments: string[]): Record<string, unknown> | undefined {
  const node = schemaAt(segments, schema);
  return node && isPlainObject(node['properties']) ? node['properties'] : undefined;
}

function schemaAt(segments: string[], root: unknown = ConfigSchema): Record<string, unknown> | undefined {
  let node = root as Record<string, unknown> | undefined;
  for (const segment of segments) {
    if (!node) return undefined;
    if (isPlainObject(node['properties']) && segment in node['properties']) {
      node = node['properties'][segment] as Record<string, unknown>;
    } else if (isPlainObject(node['items'])) {
      node = node['items'];
    } else if (isPlainObject(node['patternProperties'])) {
      node = Object.values(node['patternProperties'])[0] as Record<string, unknown>;
    } else if (isPlainObject(node['additionalProperties'])) {
      node = node['additionalProperties'];
    } else {
      return undefined;
    }
  }
  return node;
}

function keyPath(segments: string[]): string {
  return segments.reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

function unescapePointer(s: string) {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
