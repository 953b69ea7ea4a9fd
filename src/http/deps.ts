import type { Config } from '../config/schema.ts';
import type { Manager } from '../manager/manager.ts';
import type { Metrics } from '../observability/metrics.ts';

/** What the route modules receive from buildApp. */
export interface AppDeps {
  manager: Manager;
  config: Readonly<Config>;
  metrics: Metrics;
  backend: 'real' | 'simulated';
  /** Our package version, read once at start (the app reads no file per request). */
  version: string;
  /** When the app was built: `modified_at` / `created` of the models we list. */
  startedAt: Date;
}
