import { type BusyMessage, parseMessage } from './messages.ts';
import type { SyncContext } from './sync-context.ts';

/** A replica with requests in flight repeats itself this often, so the planner can tell it is alive (ms). */
const REPEAT_MS = 1000;
/** The planner forgets a replica's busy models when it has not heard from it for this long (ms). */
const FORGET_MS = 3500;

/**
 * Requests in flight, told to each host's planner: a replica that does not plan a host publishes which
 * models it is using there (when that changes, and every second while it uses any); the planner passes it
 * to its supervisor (PEER_BUSY), which does not pick those models as eviction victims. A replica that goes
 * silent (dead, or cut off) is forgotten after a few seconds.
 */
export class BusySync {
  private readonly sent = new Map<string, { text: string; at: number }>();
  private readonly heard = new Map<string, number>();

  constructor(private readonly s: SyncContext) {}

  /** Called often (every 250 ms): publish ours where another replica plans; forget the silent. */
  round(): void {
    const now = this.s.clock.now();
    for (const host of Object.values(this.s.fleet.hosts())) {
      if (host.planner === 'peer') this.publish(host.name, now);
      else this.forgetSilent(host.name, now);
    }
  }

  private publish(host: string, now: number): void {
    const busy: Record<string, number> = {};
    for (const v of this.s.fleet.candidates())
      if (v.host === host && v.inFlight > 0) busy[v.model] = v.inFlight;
    const text = JSON.stringify(busy);
    const last = this.sent.get(host);
    const changed = last?.text !== text;
    if (!changed && (text === '{}' || now - last!.at < REPEAT_MS)) return;
    if (!this.s.link.up) return;
    this.sent.set(host, { text, at: now });
    const message: BusyMessage = { replica: this.s.replica, at: now, host, busy };
    this.s.link.publish(this.s.keys.channels.busy, message);
  }

  private forgetSilent(host: string, now: number): void {
    for (const replica of Object.keys(this.s.fleet.host(host)?.peerBusy ?? {})) {
      const at = this.heard.get(`${host} ${replica}`) ?? 0;
      if (now - at > FORGET_MS) this.s.fleet.sendSupervisor({ type: 'PEER_BUSY', host, replica, busy: {} });
    }
  }

  received(text: string): void {
    const m = parseMessage<BusyMessage>(text, ['host', 'busy']);
    if (!m || m.replica === this.s.replica) return;
    const host = this.s.fleet.host(m.host);
    if (host?.planner !== 'local') return;
    this.heard.set(`${m.host} ${m.replica}`, this.s.clock.now());
    const known = host.peerBusy?.[m.replica] ?? {};
    if (JSON.stringify(known) === JSON.stringify(m.busy)) return;
    this.s.fleet.sendSupervisor({ type: 'PEER_BUSY', host: m.host, replica: m.replica, busy: m.busy });
  }
}
