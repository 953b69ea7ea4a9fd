export { DEFAULT_CHAINS, DEFAULT_MODELS, DEFAULT_OLLAMA_URL, defaultConfig } from './defaults.ts';
export { ConfigError, type LoadOptions, loadConfig, normaliseOllamaUrl, validateConfig } from './load.ts';
export * from './schema.ts';
