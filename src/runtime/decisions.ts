import type { Logger } from 'pino';
import type { Clock } from './clock.ts';

export type DecisionKind =
  | 'selection'
  | 'eviction'
  | 'load'
  | 'unload'
  | 'circuit'
  | 'retry'
  | 'fallback'
  | 'probe'
  | 'reconcile'
  | 'preload'
  | 'failure';

export interface Decision {
  at: string;
  kind: DecisionKind;
  message: string;
  request_id?: string;
}

/**
 * Every decision the manager takes, as one structured pino record (with the request id when there is one)
 * and in small rings the status endpoint and the dashboard show. Probes have a ring of their own: an idle
 * service probes every loaded model on a timer, and those records must not push the real decisions
 * (loads, evictions, circuits, fallbacks) out of sight.
 */
export class DecisionLog {
  private readonly decisions: Ring;
  private readonly probes: Ring;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    capacity = 100,
    probeCapacity = 10,
  ) {
    this.decisions = new Ring(capacity);
    this.probes = new Ring(probeCapacity);
  }

  record(
    kind: DecisionKind,
    message: string,
    fields: Record<string, unknown> = {},
    requestId?: string,
  ): void {
    this.logger.info({ decision: kind, request_id: requestId, ...fields }, message);
    const entry: Decision = { at: new Date(this.clock.now()).toISOString(), kind, message };
    if (requestId) entry.request_id = requestId;
    (kind === 'probe' ? this.probes : this.decisions).push(entry);
  }

  /** Newest first: the last `limit` decisions that are not probes, with the last few probes among them. */
  recent(limit = 30): Decision[] {
    const merged = [...this.decisions.newest(limit), ...this.probes.newest(limit)];
    // Stable: equal times keep their order (decisions before probes).
    return merged.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
}

/** A fixed-size ring of decisions, oldest overwritten first. */
class Ring {
  private readonly items: Decision[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(entry: Decision): void {
    if (this.items.length < this.capacity) this.items.push(entry);
    else this.items[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Up to `limit` entries, newest first. */
  newest(limit: number): Decision[] {
    const ordered =
      this.items.length < this.capacity
        ? this.items
        : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
    return ordered.slice(-limit).reverse();
  }
}
