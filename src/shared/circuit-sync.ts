import type { ModelStateChange } from '../runtime/fleet.ts';
import { type CircuitMessage, parseMessage } from './messages.ts';
import type { SyncContext } from './sync-context.ts';

const OPEN_STATES = new Set(['open', 'halfOpen']);
const CLOSED_STATES = new Set(['loaded', 'unloaded', 'loading']);

/**
 * Circuits shared between replicas: an opening or closing here is published at once (and kept in a Redis
 * hash, the truth for a replica that starts or rejoins); one published elsewhere reaches our model actor as
 * PEER_CIRCUIT. Half-open needs no message: every replica adopted the same `openUntil`, so each half-opens
 * at the same moment by its own clock.
 */
export class CircuitSync {
  constructor(private readonly s: SyncContext) {}

  /** Wired to the fleet's state changes. Changes caused by a peer's message are not sent back. */
  changed(change: ModelStateChange): void {
    if (change.event === 'PEER_CIRCUIT') return;
    let message: CircuitMessage | null = null;
    const base = { replica: this.s.replica, at: this.s.clock.now(), id: change.id };
    // The fleet reports changes of state only (open → open is never one): a trial that failed shows as
    // halfOpen → open, with its new, longer open time.
    if (change.to === 'open')
      message = {
        ...base,
        state: 'open',
        ...(change.context.openUntil !== null && { openUntil: change.context.openUntil }),
        ...(change.context.openReason !== null && { reason: change.context.openReason }),
      };
    else if (OPEN_STATES.has(change.from) && CLOSED_STATES.has(change.to))
      message = { ...base, state: 'closed' };
    if (!message) return;
    this.s.link.publish(this.s.keys.channels.circuit, message);
    if (this.s.link.up)
      this.s.link.cmd.hset(this.s.keys.circuits, change.id, JSON.stringify(message)).catch(() => {});
  }

  /** A message on the circuit channel. */
  received(text: string): void {
    const m = parseMessage<CircuitMessage>(text, ['id', 'state']);
    if (m && m.replica !== this.s.replica) this.apply(m);
  }

  /** Joining (or rejoining after Redis was away): every verdict another replica left is adopted. */
  async join(): Promise<void> {
    let all: Record<string, string>;
    try {
      all = await this.s.link.cmd.hgetall(this.s.keys.circuits);
    } catch {
      return;
    }
    for (const text of Object.values(all)) {
      const m = parseMessage<CircuitMessage>(text, ['id', 'state']);
      if (!m || m.replica === this.s.replica) continue;
      const ctx = this.s.fleet.context(m.id);
      // A closing older than our own last opening says nothing about it.
      if (m.state === 'closed' && (ctx?.openedAt ?? 0) > m.at) continue;
      if (m.state === 'open' && (m.openUntil ?? 0) <= this.s.clock.now()) continue;
      this.apply(m);
    }
  }

  private apply(m: CircuitMessage): void {
    if (!this.s.fleet.context(m.id)) return;
    this.s.fleet.send(m.id, {
      type: 'PEER_CIRCUIT',
      state: m.state === 'open' ? 'open' : 'closed',
      ...(m.openUntil !== undefined && { openUntil: m.openUntil }),
      ...(m.reason !== undefined && { reason: `${m.replica}: ${m.reason}` }),
    });
  }
}
