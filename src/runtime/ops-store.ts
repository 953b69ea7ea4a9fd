import { createStore } from '@xstate/store';
import type { TaskType } from '../config/schema.ts';
import { createDemand, type DemandState, recordOutcome, recordRequest } from '../policy/demand.ts';
import {
  budgetRecordRequest,
  budgetState,
  budgetTakeRetry,
  budgetView,
  type RetryBudgetOptions,
  type RetryBudgetState,
  type RetryBudgetView,
} from '../policy/retry-budget.ts';

/**
 * The state that is not a lifecycle, in one @xstate/store: demand (what people ask for, by task, model and
 * hour, for predictive preloading), the retry budget, and the log of recent decisions the status page and
 * dashboard show. Its context is persisted beside the actors' snapshot and restored with it.
 *
 * Demand and the budget change on every request, so those transitions update their (small, owned) objects in
 * place and return a new top-level context: subscribers and snapshots still see each change, and a request
 * pays well under a microsecond per event instead of copying the histograms.
 */

export interface DecisionEntry {
  at: string;
  kind: string;
  message: string;
  request_id?: string;
}

export interface OpsState {
  demand: DemandState;
  retry_budget: RetryBudgetState;
  /** Newest last; at most `DECISION_RING` entries. */
  decisions: DecisionEntry[];
  /** Probe results, newest last, in a ring of their own (`PROBE_RING`) so they never crowd out decisions. */
  probes: DecisionEntry[];
}

export const DECISION_RING = 200;
export const PROBE_RING = 10;

export interface OpsStoreOptions {
  budget: RetryBudgetOptions;
  demandHalfLifeS: number;
  restored?: Partial<OpsState>;
}

export function createOpsStore(options: OpsStoreOptions) {
  const r = options.restored;
  const demand = r?.demand ?? createDemand({ halfLifeS: options.demandHalfLifeS });
  // A restored demand keeps its history but follows the configured half-life.
  demand.halfLifeS = options.demandHalfLifeS;
  const context: OpsState = {
    demand,
    retry_budget: budgetState(options.budget, r?.retry_budget),
    decisions: Array.isArray(r?.decisions) ? r.decisions.slice(-DECISION_RING) : [],
    probes: Array.isArray(r?.probes) ? r.probes.slice(-PROBE_RING) : [],
  };
  const store = createStore({
    context,
    on: {
      retryTaken: (ctx, e: { now: number }) => {
        budgetTakeRetry(ctx.retry_budget, options.budget, e.now);
        return { ...ctx };
      },
      requestEnded: (ctx, e: { now: number; taskType: TaskType; model: string | null; ok: boolean }) => {
        recordRequest(ctx.demand, { now: e.now, taskType: e.taskType, model: e.model ?? undefined });
        recordOutcome(ctx.demand, { now: e.now, taskType: e.taskType, ok: e.ok });
        return { ...ctx };
      },
      decided: (ctx, e: { entry: DecisionEntry }) => {
        const probe = e.entry.kind === 'probe';
        const ring = probe ? ctx.probes : ctx.decisions;
        const next = ring.length >= (probe ? PROBE_RING : DECISION_RING) ? ring.slice(1) : ring.slice();
        next.push(e.entry);
        return probe ? { ...ctx, probes: next } : { ...ctx, decisions: next };
      },
    },
  });
  return {
    store,
    /**
     * Counts a request toward the retry budget. In place and without a store event: every request ends
     * with `requestEnded`, which notifies subscribers (and so persists this too) a moment later, and one
     * store transition per request instead of two is a measurable share of the hot path.
     */
    requestStarted(now: number): void {
      budgetRecordRequest(store.getSnapshot().context.retry_budget, options.budget, now);
    },
    /** Whether one more retry fits the budget now (reads only). */
    retryAvailable(now: number): RetryBudgetView {
      return budgetView(store.getSnapshot().context.retry_budget, options.budget, now);
    },
    /** Takes a retry if it fits; false: do not retry. */
    takeRetry(now: number): boolean {
      if (budgetView(store.getSnapshot().context.retry_budget, options.budget, now).available < 1)
        return false;
      store.trigger.retryTaken({ now });
      return true;
    },
    state(): OpsState {
      return store.getSnapshot().context;
    },
  };
}

export type OpsStore = ReturnType<typeof createOpsStore>;
