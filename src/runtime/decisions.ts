import type { Logger } from 'pino';
import type { Clock } from '../time/clock.ts';
import type { DecisionEntry, OpsStore } from './ops-store.ts';

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
  | 'failure'
  | 'host';

export type Decision = DecisionEntry;

/**
 * Every decision the manager takes, as one structured pino record (with the request id when there is one)
 * and in the ops store's ring of recent decisions, which status and the dashboard show (and which is
 * persisted with the rest of the ops state).
 */
export class DecisionLog {
  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly ops: OpsStore,
  ) {}

  record(
    kind: DecisionKind,
    message: string,
    fields: Record<string, unknown> = {},
    requestId?: string,
  ): void {
    this.logger.info({ decision: kind, request_id: requestId, ...fields }, message);
    const entry: DecisionEntry = { at: new Date(this.clock.now()).toISOString(), kind, message };
    if (requestId) entry.request_id = requestId;
    this.ops.store.trigger.decided({ entry });
  }

  /** Newest first. */
  recent(limit = 30): Decision[] {
    return this.ops.state().decisions.slice(-limit).reverse();
  }
}
