import type { Logger } from 'pino';
import type { PlanDecision } from '../../machines/supervisor/types.ts';
import type { Config } from '../config/schema.ts';
import type { SharedStateStatus } from '../manager/status-view.ts';
import type { DemandState } from '../policy/demand.ts';
import type { Fleet, ModelStateChange } from '../runtime/fleet.ts';
import { Ticker } from '../runtime/ticker.ts';
import type { Clock } from '../time/clock.ts';
import { BusySync } from './busy-sync.ts';
import { CircuitSync } from './circuit-sync.ts';
import { EstimateSync } from './estimate-sync.ts';
import { sharedKeys } from './keys.ts';
import { PlannerLeases } from './planner-lease.ts';
import { PlannerSync } from './planner-sync.ts';
import { RedisLink } from './redis-link.ts';
import type { SyncContext } from './sync-context.ts';

export interface SharedStateDeps {
  config: Readonly<Config>;
  /** This replica's id (see `replicaIdOf`), the same one its journal carries. */
  replica: string;
  fleet: Fleet;
  clock: Clock;
  logger: Logger;
  demand(): DemandState;
  reconcile(host: string): void;
  checkHost(host: string): void;
}

/** How often learned estimates are published when they changed (ms). */
const ESTIMATES_EVERY_MS = 1000;
/** How often requests in flight are told to the planner when they changed (ms). */
const BUSY_EVERY_MS = 250;

/**
 * Several replicas sharing one fleet through Redis (`shared_state.redis_url`): circuits and host health
 * seen by all, one planner per host (a lease with a fencing token), learned estimates and demand merged.
 * Nothing here is on a request's path: requests read the local actors, which these messages keep current,
 * so a Redis outage never fails a request; it only makes each replica plan alone until Redis returns.
 */
export class SharedState {
  readonly replica: string;
  private readonly link: RedisLink;
  private readonly leases: PlannerLeases;
  private readonly circuits: CircuitSync;
  private readonly estimates: EstimateSync;
  private readonly planner: PlannerSync;
  private readonly busy: BusySync;
  private readonly tickers: Ticker[] = [];
  private readonly fleet: Fleet;
  private readonly clock: Clock;
  private readonly channels: string[];
  private readonly onMessage: (channel: string, text: string) => void;

  constructor(d: SharedStateDeps) {
    const shared = d.config.shared_state;
    this.replica = d.replica;
    this.fleet = d.fleet;
    this.clock = d.clock;
    const keys = sharedKeys(shared.namespace);
    this.link = new RedisLink(shared.redis_url!, d.clock, d.logger);
    const ctx: SyncContext = { link: this.link, keys, replica: this.replica, fleet: d.fleet, clock: d.clock };
    this.leases = new PlannerLeases(ctx, shared.lease_s * 1000, Object.keys(d.fleet.hosts()));
    this.circuits = new CircuitSync(ctx);
    this.estimates = new EstimateSync(ctx, d.demand);
    this.busy = new BusySync(ctx);
    this.planner = new PlannerSync({
      ...ctx,
      leases: this.leases,
      logger: d.logger,
      reconcile: d.reconcile,
      checkHost: d.checkHost,
    });
    const handlers: Record<string, (text: string) => void> = {
      [keys.channels.circuit]: (t) => this.circuits.received(t),
      [keys.channels.ledger]: (t) => this.planner.ledgerReceived(t),
      [keys.channels.wants]: (t) => this.planner.wantReceived(t),
      [keys.channels.estimates]: (t) => this.estimates.received(t),
      [keys.channels.host]: (t) => this.planner.hostReceived(t),
      [keys.channels.busy]: (t) => this.busy.received(t),
    };
    this.channels = Object.keys(handlers);
    this.onMessage = (channel, text) => handlers[channel]?.(text);
    this.link.onDown(() => this.planner.lost());
  }

  /**
   * Connects and takes part in one lease round before returning, so this replica knows who plans each host
   * before it wants anything loaded. With Redis away it returns at once and plans alone.
   */
  async start(): Promise<void> {
    await this.link.connect(this.channels, this.onMessage);
    if (this.link.up) await this.join();
    else this.planner.lost();
    // Later returns of Redis rejoin; the first connection was joined just above (not twice).
    this.link.onUp(() => void this.join());
    const leaseMs = this.leases.leaseMs;
    this.tickers.push(new Ticker(this.clock, leaseMs / 3, () => this.planner.round()));
    this.tickers.push(new Ticker(this.clock, ESTIMATES_EVERY_MS, () => this.estimates.round()));
    this.tickers.push(new Ticker(this.clock, BUSY_EVERY_MS, () => this.busy.round()));
    this.tickers.push(new Ticker(this.clock, Math.max(leaseMs, 5000), () => this.estimates.exchangeDemand()));
  }

  private async join(): Promise<void> {
    await this.planner.round();
    await Promise.all([this.circuits.join(), this.estimates.join()]);
  }

  /** Wired to the fleet's state changes. */
  stateChanged(change: ModelStateChange): void {
    this.circuits.changed(change);
  }

  /** Wired to the supervisor's decisions. */
  decided(decision: PlanDecision): void {
    this.planner.decided(decision);
  }

  /**
   * May this replica send loads and unloads to `host` now? Yes while it holds the host's lease, or while
   * Redis is away (each replica plans alone then). The loader's fence: a planner whose lease ran out stops.
   */
  mayPlan(host: string): boolean {
    return !this.link.up || this.leases.holds(host);
  }

  /** Our demand and every other replica's, summed (predictive preloading reads the fleet's demand). */
  demand(): DemandState {
    return this.estimates.mergedDemand();
  }

  status(): Extract<SharedStateStatus, { mode: 'redis' }> {
    const planners: Extract<SharedStateStatus, { mode: 'redis' }>['planners'] = {};
    for (const host of Object.values(this.fleet.hosts())) {
      const lease = this.leases.state(host.name);
      const holder = this.link.up ? (lease?.holder ?? null) : this.replica;
      planners[host.name] = {
        replica: holder,
        token: lease?.token ?? 0,
        this_replica: host.planner === 'local',
      };
    }
    return {
      mode: 'redis',
      replica: this.replica,
      redis: this.link.status(),
      fallback: !this.link.up,
      lease_s: this.leases.leaseMs / 1000,
      planners,
    };
  }

  async close(): Promise<void> {
    for (const t of this.tickers) t.stop();
    // A clean stop hands the leases over at once instead of after they expire.
    if (this.link.up) await this.leases.release();
    await this.link.close();
  }
}
