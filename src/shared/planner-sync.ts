import type { Logger } from 'pino';
import type { HostState, PlanDecision } from '../../machines/supervisor/types.ts';
import { type HostMessage, type LedgerMessage, parseMessage, type WantMessage } from './messages.ts';
import type { PlannerLeases } from './planner-lease.ts';
import type { SyncContext } from './sync-context.ts';

export interface PlannerSyncDeps extends SyncContext {
  leases: PlannerLeases;
  logger: Logger;
  /** Reads the host's /api/ps now (a new planner learns what the old one left loaded). */
  reconcile(host: string): void;
  /** Probes the host ourselves (a peer said it went down or came back). */
  checkHost(host: string): void;
}

/**
 * One planner per host, the others its clients. The replica holding a host's lease plans it (its
 * supervisor in `local` mode) and publishes the host's ledger whenever it changes; the others mirror that
 * ledger (`peer` mode, LEDGER_SYNC) and hand it their wants. With Redis away every replica plans alone.
 */
export class PlannerSync {
  private readonly highestToken = new Map<string, number>();
  private readonly lastHolder = new Map<string, string | null>();
  private readonly published = new Map<string, { ledger: unknown; foreign: unknown; health: string }>();
  private flushQueued = false;

  constructor(private readonly d: PlannerSyncDeps) {
    d.fleet.actor.subscribe(() => this.queueFlush());
  }

  /** A lease round: take or renew leases, then settle each host's planner role. */
  async round(): Promise<void> {
    if (this.d.link.up) await this.d.leases.round();
    this.settle();
    // Published again every round, so a replica that missed a message converges within a third of a lease.
    for (const host of Object.keys(this.d.fleet.hosts()))
      if (this.d.leases.holds(host)) this.publishLedger(host);
  }

  /** Redis went away: every host is planned here until it returns. */
  lost(): void {
    this.d.leases.forget();
    this.settle();
  }

  /** Who should plan each host now, and the supervisor told when that changes. */
  private settle(): void {
    for (const host of Object.values(this.d.fleet.hosts())) {
      const lease = this.d.leases.state(host.name);
      const holder = this.d.link.up ? (lease?.holder ?? null) : null;
      const role = holder === null || holder === this.d.replica ? 'local' : 'peer';
      const previousHolder = this.lastHolder.get(host.name) ?? null;
      this.lastHolder.set(host.name, holder);
      if (role !== host.planner) {
        this.d.logger.info(
          { host: host.name, planner: holder ?? this.d.replica },
          role === 'local'
            ? 'shared state: this replica plans the host'
            : 'shared state: another replica plans the host',
        );
        this.d.fleet.sendSupervisor({ type: 'PLANNER_CHANGED', host: host.name, planner: role });
        // The former planner may have left loads behind: Ollama's /api/ps is the truth for the new one.
        if (role === 'local') this.d.reconcile(host.name);
        else void this.adoptStoredLedger(host.name);
      } else if (role === 'peer' && holder !== previousHolder) {
        // A new planner never saw the wants handed to the old one.
        this.forwardQueued(host.name);
      }
    }
  }

  private async adoptStoredLedger(host: string): Promise<void> {
    try {
      const text = await this.d.link.cmd.get(this.d.keys.ledger(host));
      if (text) this.ledgerReceived(text);
    } catch {
      // The planner publishes again within a third of a lease.
    }
    this.forwardQueued(host);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      for (const host of Object.values(this.d.fleet.hosts())) {
        const last = this.published.get(host.name);
        if (last?.health !== host.health.status) this.publishHealth(host, last === undefined);
        if (!this.d.leases.holds(host.name)) continue;
        if (last?.ledger !== host.ledger || last?.foreign !== host.foreign) this.publishLedger(host.name);
      }
    });
  }

  private publishLedger(hostName: string): void {
    const host = this.d.fleet.host(hostName);
    const lease = this.d.leases.state(hostName);
    if (!host || !lease || !this.d.link.up) return;
    this.published.set(hostName, { ledger: host.ledger, foreign: host.foreign, health: host.health.status });
    const message: LedgerMessage = {
      replica: this.d.replica,
      at: this.d.clock.now(),
      host: hostName,
      token: lease.token,
      ledger: host.ledger,
      foreign: host.foreign,
    };
    const text = JSON.stringify(message);
    this.d.link.cmd.set(this.d.keys.ledger(hostName), text).catch(() => {});
    this.d.link.cmd.publish(this.d.keys.channels.ledger, text).catch(() => {});
  }

  private publishHealth(host: HostState, first: boolean): void {
    const last = this.published.get(host.name);
    this.published.set(host.name, {
      ledger: last?.ledger,
      foreign: last?.foreign,
      health: host.health.status,
    });
    if (first || host.health.status === 'unknown') return;
    const message: HostMessage = {
      replica: this.d.replica,
      at: this.d.clock.now(),
      host: host.name,
      status: host.health.status === 'down' ? 'down' : 'up',
      ...(host.health.reason && { reason: host.health.reason }),
    };
    this.d.link.publish(this.d.keys.channels.host, message);
  }

  /** A ledger published by a host's planner: mirrored unless its token is older than one already seen. */
  ledgerReceived(text: string): void {
    const m = parseMessage<LedgerMessage>(text, ['host', 'token', 'ledger']);
    if (!m || m.replica === this.d.replica) return;
    const highest = this.highestToken.get(m.host) ?? 0;
    // Fencing: a planner that lost its lease (and has not noticed yet) is not listened to.
    if (m.token < highest) return;
    this.highestToken.set(m.host, m.token);
    if (this.d.fleet.host(m.host)?.planner !== 'peer') return;
    this.d.fleet.sendSupervisor({
      type: 'LEDGER_SYNC',
      host: m.host,
      ledger: m.ledger,
      foreign: m.foreign ?? [],
    });
  }

  /** The supervisor handed a want to the host's planner: send it. */
  decided(d: PlanDecision): void {
    if (d.kind !== 'forwarded') return;
    const id = `${d.host}/${d.model}`;
    const want = this.d.fleet.supervisor().wants.find((w) => w.id === id && w.requestId === d.request_id);
    this.publishWant({
      replica: this.d.replica,
      at: this.d.clock.now(),
      host: d.host,
      id,
      mode: d.mode,
      urgency: d.urgency,
      until: d.until,
      ...(d.force && { force: true }),
      ...(d.request_id && { requestId: d.request_id }),
      ...(want?.interactiveBusy && { interactiveBusy: true }),
    });
  }

  private forwardQueued(host: string): void {
    for (const w of this.d.fleet.supervisor().wants) {
      if (!w.id.startsWith(`${host}/`)) continue;
      this.publishWant({
        replica: this.d.replica,
        at: this.d.clock.now(),
        host,
        id: w.id,
        mode: w.mode,
        urgency: w.urgency,
        until: w.until,
        ...(w.force && { force: true }),
        ...(w.requestId && { requestId: w.requestId }),
        ...(w.interactiveBusy && { interactiveBusy: true }),
      });
    }
  }

  private publishWant(m: WantMessage): void {
    this.d.link.publish(this.d.keys.channels.wants, m);
  }

  /** A peer's want: planned here if this replica plans its host. */
  wantReceived(text: string): void {
    const m = parseMessage<WantMessage>(text, ['host', 'id', 'mode', 'urgency', 'until']);
    if (!m || m.replica === this.d.replica) return;
    const ours = this.d.leases.state(m.host)?.holder === this.d.replica;
    // The lease is ours but the round that took it has not settled the roles yet: it waits for every host's
    // answer first. A peer that read the new lease in that gap forwarded its want here, and will not send it
    // again (it saw the holder change once): settle now rather than drop it.
    if (ours && this.d.fleet.host(m.host)?.planner !== 'local') this.settle();
    // Planned here if this supervisor plans the host (the loader's fence still checks the lease before I/O).
    if (!ours || this.d.fleet.host(m.host)?.planner !== 'local') return;
    if (!this.d.fleet.context(m.id) || m.until <= this.d.clock.now()) return;
    const requestId = `${m.replica}:${m.requestId ?? m.mode}`;
    this.d.fleet.sendSupervisor(
      {
        type: 'LOAD_WANTED',
        id: m.id,
        mode: m.mode,
        urgency: m.urgency,
        until: m.until,
        requestId,
        ...(m.force && { force: true }),
        ...(m.interactiveBusy && { interactiveBusy: true }),
      },
      requestId,
    );
  }

  /** A peer saw a host go down or come back: we look for ourselves (one probe of /api/version). */
  hostReceived(text: string): void {
    const m = parseMessage<HostMessage>(text, ['host', 'status']);
    if (!m || m.replica === this.d.replica) return;
    const mine = this.d.fleet.host(m.host)?.health.status;
    if (mine !== undefined && (mine === 'down') !== (m.status === 'down')) this.d.checkHost(m.host);
  }
}
