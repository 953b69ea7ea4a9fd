/**
 * The package's in-process API: the same manager the HTTP service runs, for callers that embed it
 * (the seed's `complete_with_fallback`, `preload_model`, `get_prometheus_metrics`).
 *
 *   const manager = await createManager(loadConfig());
 *   const answer = await manager.completeWithFallback({ prompt, taskType: 'code_generation', urgency: 'interactive' });
 */
export { DEFAULT_CHAINS, DEFAULT_MODELS, defaultConfig } from './config/defaults.ts';
export { ConfigError, type LoadOptions, loadConfig, validateConfig } from './config/load.ts';
export type { Config, TaskType, Urgency } from './config/schema.ts';
export { TASK_TYPES, URGENCIES } from './config/schema.ts';
export type * from './manager/completion.ts';
export type * from './manager/embedding.ts';
export { ERROR_CATALOGUE, type ErrorCode, RmmError } from './manager/errors.ts';
export type * from './manager/health-result.ts';
export type * from './manager/manager.ts';
export type * from './manager/preload-result.ts';
export type * from './manager/status-view.ts';
export { createManager } from './runtime/manager.ts';
export type { ManagerOptions, RunningManager } from './runtime/manager-options.ts';
export { type Service, type ServiceOptions, startService } from './service.ts';
export { type SimulatorHandle, startSimulator } from './simulator/index.ts';
