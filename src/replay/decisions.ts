import type { PlanDecision } from '../../machines/supervisor/types.ts';
import type { SelectionRecord } from '../runtime/journey-deps.ts';
import type { ReplayResult, TimelineRow } from './replay.ts';
import { isPlanDecision, planKey } from './verify.ts';

/**
 * `rmm replay --decisions`: every selection, load, eviction, wait, refusal, host and circuit decision of a
 * journal, in time order, each with its reason and inputs (JSON) or one line (text).
 */
export interface DecisionRow {
  at: number;
  kind: string;
  model: string;
  host: string;
  reason: string;
  request_id?: string;
  /** The decision as journaled (selection records and plan decisions with their inputs). */
  detail: SelectionRecord | PlanDecision | TimelineRow;
}

export function decisionRows(result: ReplayResult, model?: string): DecisionRow[] {
  const rows: DecisionRow[] = [];
  for (const d of result.journaled) {
    if (isPlanDecision(d)) {
      rows.push({
        at: d.at,
        kind: d.kind,
        model: d.model,
        host: d.host,
        reason: planWords(d),
        ...(d.request_id && { request_id: d.request_id }),
        detail: d,
      });
    } else {
      const chosen = d.order[0] ?? d.late[0] ?? null;
      const skipped = d.skipped.map((s) => `${s.model} (${s.reason})`).join(', ');
      rows.push({
        at: d.at,
        kind: 'selection',
        model: chosen ? chosen.slice(chosen.indexOf('/') + 1) : '',
        host: chosen ? chosen.slice(0, chosen.indexOf('/')) : '',
        reason: `${d.task_type}/${d.urgency}: ${chosen ? `chose ${chosen}${d.order.length === 0 ? ' (late)' : ''}` : 'nothing can answer'}${skipped ? `; skipped ${skipped}` : ''}`,
        request_id: d.request_id,
        detail: d,
      });
    }
  }
  for (const t of result.timeline) {
    if (t.to !== 'open' && t.from !== 'open' && t.to !== 'halfOpen' && t.from !== 'halfOpen') continue;
    const slash = t.model.indexOf('/');
    rows.push({
      at: t.at,
      kind: 'circuit',
      model: t.model.slice(slash + 1),
      host: t.model.slice(0, slash),
      reason: `${t.from} → ${t.to} on ${t.event}${t.reason ? ` (${t.reason})` : ''}`,
      ...(t.request_id && { request_id: t.request_id }),
      detail: t,
    });
  }
  const wanted =
    model === undefined
      ? rows
      : rows.filter((r) => r.model === model || `${r.host}/${r.model}` === model || mentions(r, model));
  return wanted.sort((a, b) => a.at - b.at);
}

/** A selection that skipped or chose the model, or a load that evicted it, is about it too. */
function mentions(r: DecisionRow, model: string): boolean {
  const d = r.detail;
  if (!('order' in d)) return false;
  return d.order.some((id) => id.endsWith(`/${model}`)) || d.skipped.some((s) => s.model === model);
}

function planWords(d: PlanDecision): string {
  switch (d.kind) {
    case 'load':
    case 'wait':
    case 'refuse':
      return `${d.mode}/${d.urgency}: ${planKey(d.plan)} — ${d.reason}`;
    case 'eviction':
      return `evicted to make room for ${d.for_model} (decision #${d.for_decision}, ${d.mode}/${d.urgency})`;
    default:
      return d.reason;
  }
}

export function formatDecisionRow(r: DecisionRow): string {
  const seq = 'seq' in r.detail ? `#${r.detail.seq} ` : '';
  const req = r.request_id ? `  [${r.request_id}]` : '';
  const who = r.host ? `${r.host}/${r.model}` : r.model;
  return `${new Date(r.at).toISOString()}  ${seq}${r.kind.padEnd(12)} ${who.padEnd(30)} ${r.reason}${req}`;
}
