// Its own file, free of imports: the CLI catches it without loading the schema and YAML parser (rmm status
// must start fast).
/** A configuration the service refuses to start with. `key` is a dotted path into the document. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'RMM_CONFIG_INVALID';
  constructor(
    readonly key: string,
    readonly detail: string,
  ) {
    super(key ? `config ${key}: ${detail}` : `config: ${detail}`);
  }
}
