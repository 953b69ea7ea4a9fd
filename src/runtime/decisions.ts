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
 * and in the ops store's rings, which status and the dashboard show (persisted with the rest of the ops
 * state). Probes have a ring of their own: an idle service probes every loaded model on a timer, and those
 * records must not push the real decisions (loads, evictions, circuits, fallbacks) out of sight.
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

  /** Newest first: the last `limit` decisions that are not probes, with the last few probes among them. */
  recent(limit = 30): Decision[] {
    const { decisions, probes } = this.ops.state();
    const merged = [...decisions.slice(-limit).reverse(), ...probes.slice(-limit).reverse()];
    // Stable: equal times keep their order (decisions before probes).
    return merged.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
}
