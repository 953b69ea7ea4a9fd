import type { PlanDecision } from '../../machines/supervisor/types.ts';
import type { DecisionKind, DecisionLog } from './decisions.ts';
import type { ModelStateChange } from './fleet.ts';

/**
 * What the manager does when the actor system changes: words for the decision log, and the reactions that
 * keep the fleet healthy (save at once on circuit changes, probe a half-open circuit). Kept apart from the
 * manager's assembly so each reaction reads as a rule.
 */

/** The decision log's kind and words for a supervisor decision. */
export function describeDecision(d: PlanDecision): { kind: DecisionKind; message: string } {
  switch (d.kind) {
    case 'load':
      return {
        kind: 'load',
        message: `loading ${d.model} on ${d.host} (${d.mode}, ${d.urgency}): ${d.reason}`,
      };
    case 'eviction':
      return {
        kind: 'eviction',
        message: `evicting ${d.model} from ${d.host} to make room for ${d.for_model}`,
      };
    case 'wait':
      return { kind: 'load', message: `${d.model} waits for room on ${d.host}: ${d.reason}` };
    case 'refuse':
      return { kind: 'load', message: `not loading ${d.model} on ${d.host}: ${d.reason}` };
    case 'loaded':
    case 'load_failed':
    case 'want_expired':
      return { kind: 'load', message: d.reason };
    case 'unloaded':
    case 'vanished':
      return { kind: 'reconcile', message: d.reason };
    case 'host_down':
    case 'host_up':
      return { kind: 'host', message: d.reason };
    case 'forwarded':
      return { kind: 'load', message: d.reason };
  }
}

/** Model state changes worth a decision-log line (circuit changes, missing, degraded). */
export function logStateChange(decisions: DecisionLog, change: ModelStateChange): void {
  const ctx = change.context;
  if (change.to === 'open') {
    const retry = ctx.openUntil ? new Date(ctx.openUntil).toISOString() : '?';
    decisions.record(
      'circuit',
      `circuit of ${ctx.model} on ${ctx.host} opened (${ctx.openReason ?? change.event}); retry at ${retry}`,
      { model: ctx.model, host: ctx.host, times_opened: ctx.timesOpened },
    );
  } else if (
    change.from === 'open' ||
    change.from === 'halfOpen' ||
    change.to === 'halfOpen' ||
    change.to === 'missing' ||
    change.to === 'degraded'
  ) {
    decisions.record(
      'circuit',
      `${ctx.model} on ${ctx.host}: ${change.from} → ${change.to} (${change.event})`,
      {
        model: ctx.model,
        host: ctx.host,
      },
    );
  }
}

/** Circuit changes must survive a kill -9: they are saved at once rather than after the debounce. */
export function mustSaveNow(change: ModelStateChange): boolean {
  return (
    change.to === 'open' || change.from === 'open' || change.to === 'missing' || change.from === 'halfOpen'
  );
}
