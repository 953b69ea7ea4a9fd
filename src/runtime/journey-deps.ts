import type { Backend } from '../backend/backend.ts';
import type { Config, TaskType, Urgency } from '../config/schema.ts';
import type { BackoffOptions } from '../policy/backoff.ts';
import type { Clock } from '../time/clock.ts';
import type { Chains } from './chains.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';
import type { HostHealth } from './host-health.ts';
import type { InteractivePulse } from './interactive-pulse.ts';
import type { Limiter } from './limiter.ts';
import type { Loader } from './loader.ts';
import type { OpsStore } from './ops-store.ts';

export interface JourneyObserver {
  request(model: string, outcome: string, taskType: TaskType, urgency: Urgency, seconds: number): void;
  attempt(model: string, outcome: string): void;
  fallback(taskType: TaskType): void;
  retry(model: string): void;
}

/** One compact record per request: what selection considered, skipped and chose (journaled for replay). */
export interface SelectionRecord {
  kind: 'selection';
  at: number;
  request_id: string;
  task_type: TaskType;
  urgency: Urgency;
  deadline_ms: number;
  /** Candidates in the order they are tried (model actor ids). */
  order: string[];
  /** Would answer only after the deadline, soonest first. */
  late: string[];
  skipped: Array<{ id: string | null; model: string; reason: string }>;
  background?: string;
  /** Why the background load was not asked for (it was not worth what it would evict). */
  background_declined?: string;
}

/** Everything one request's journey uses; built once by the manager. */
export interface JourneyDeps {
  config: Readonly<Config>;
  /** The chains in effect (config, or built from the fleet's models). */
  chains: Chains;
  fleet: Fleet;
  loader: Loader;
  backends: ReadonlyMap<string, Backend>;
  limiters: ReadonlyMap<string, Limiter>;
  hostHealth: HostHealth;
  clock: Clock;
  decisions: DecisionLog;
  /** Demand, the retry budget and the decision ring. */
  ops: OpsStore;
  backoff: BackoffOptions;
  observer?: JourneyObserver;
  /** keep_alive sent with every inference (the config's `load.keep_alive`). */
  keepAlive: string | number;
  /** A connection broke but the host answers: it may have restarted, so it is reconciled. */
  onHostSuspect?: (host: string) => void;
  /** Journals the request's selection record. */
  journalSelection?: (record: SelectionRecord) => void;
  /** When interactive requests last arrived (background and batch work waits for a quiet spell to load giants). */
  pulse?: InteractivePulse;
  /** Called once per request with its task type, for demand tracking and predictive preloading. */
  onDemand?: (taskType: TaskType, model: string | null, failed: boolean) => void;
}
