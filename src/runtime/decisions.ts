import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';

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
 * and in a small ring the status endpoint and the dashboard show.
 */
export class DecisionLog {
  private readonly ring: Decision[] = [];
  private next = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly capacity = 100,
  ) {}

  record(
    kind: DecisionKind,
    message: string,
    fields: Record<string, unknown> = {},
    requestId?: string,
  ): void {
    this.logger.info({ decision: kind, request_id: requestId, ...fields }, message);
    const entry: Decision = { at: new Date(this.clock.now()).toISOString(), kind, message };
    if (requestId) entry.request_id = requestId;
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Newest first. */
  recent(limit = 30): Decision[] {
    const ordered =
      this.ring.length < this.capacity
        ? this.ring
        : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.slice(-limit).reverse();
  }
}
