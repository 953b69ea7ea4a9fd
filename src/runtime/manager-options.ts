import type { Logger } from 'pino';
import type { Backend } from '../backend/backend.ts';
import type { Manager } from '../manager/manager.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { EvictionPolicyName } from '../policy/planner.ts';
import type { Clock } from '../time/clock.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet, FleetOptions } from './fleet.ts';
import type { Prober } from './health.ts';
import type { HostHealth } from './host-health.ts';
import type { Loader } from './loader.ts';
import type { Reconciler } from './reconcile.ts';

/** How createManager (manager.ts) is set up: what tests, benches and the simulation inject. */
export interface ManagerOptions {
  logger?: Logger;
  backend?: 'real' | 'simulated';
  metrics?: Metrics;
  clock?: Clock;
  /** Uniform in [0, 1): backoff jitter. Injected so tests can make it deterministic. */
  random?: () => number;
  /** One backend per configured host name; default: an OllamaBackend on each host's URL. */
  backends?: ReadonlyMap<string, Backend>;
  fleet?: Pick<FleetOptions, 'sink' | 'snapshot'>;
  /** Eviction order among idle models (default `value`); benches compare the others. */
  evictionPolicy?: EvictionPolicyName;
  /** Skip the start-up reconciliation, the warm set and the periodic loops (tests that drive by hand). */
  passive?: boolean;
  /** Persist snapshots and the event journal here (restoring from it at start). Default: no persistence. */
  stateDir?: string;
  /** Live inspection of the actor system (see src/inspection/). */
  inspect?: FleetOptions['inspect'];
  /** Names this run in the journal's checkpoints (default random; the deterministic simulation fixes it). */
  runId?: string;
  /** fsync state writes (default true); the simulation, where no power is ever cut, turns it off for speed. */
  durable?: boolean;
}

/** A running manager plus the internals tests and the HTTP layer's extras look at. */
export interface RunningManager extends Manager {
  readonly fleet: Fleet;
  readonly loader: Loader;
  readonly prober: Prober;
  readonly reconciler: Reconciler;
  readonly hostHealth: HostHealth;
  readonly decisions: DecisionLog;
  /** Resolves when every state write queued so far is on disk (immediately without a state folder). */
  ioIdle(): Promise<void>;
  /** Resolves when start-up work (first reconciliation, warm set loads) is done. */
  readonly started: Promise<void>;
  /** One round of predictive preloading now (it also runs every preload.interval_s when enabled). */
  predictivePreload(): Promise<Array<{ model: string; reason: string }>>;
}
