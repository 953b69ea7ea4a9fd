import type { InferenceResult } from '../backend/inference.ts';
import type { TaskType, Urgency } from '../config/schema.ts';
import type { AttemptDetail, CompletionRequest, CompletionResult } from '../manager/completion.ts';
import { type ErrorCode, RmmError } from '../manager/errors.ts';
import type { RequestTarget } from '../policy/request-target.ts';
import type { PlannedAttempt, SelectionPlan } from '../policy/select.ts';
import { formatDuration } from '../policy/select-reason.ts';
import type { JourneyDeps } from './journey-deps.ts';

/** How a journey ends: the answer with its account of what happened, or the error that says why none came. */

export function answered(
  deps: JourneyDeps,
  request: CompletionRequest,
  target: RequestTarget,
  plan: SelectionPlan,
  used: PlannedAttempt,
  details: AttemptDetail[],
  outcome: InferenceResult,
  started: number,
  deadline: number,
  requestId: string,
): CompletionResult {
  const { clock } = deps;
  const urgency = request.urgency ?? 'interactive';
  const now = clock.now();
  const lateMs = Math.max(0, Math.round(now - deadline));
  const first = plan.attempts[0];
  const notOk = details.filter((d) => d.outcome !== 'success');
  const fallbackUsed = used.id !== first?.id || used.outOfChain || notOk.length > 0;
  const result: CompletionResult = {
    request_id: requestId,
    response: outcome.text,
    model_used: used.model,
    host: used.host,
    fallback_used: fallbackUsed,
    attempts: details.filter((d) => d.outcome !== 'skipped').length,
    latency_ms: now - started,
    selection_reason: reasonFor(plan, used, notOk, lateMs, urgency),
    task_type: target.taskType,
    urgency,
    classification: target.classification,
    attempts_detail: details,
    final: outcome.final,
    ...(outcome.thinking !== undefined && { thinking: outcome.thinking }),
    ...(outcome.toolCalls !== undefined && { tool_calls: outcome.toolCalls }),
    ...(outcome.embeddings !== undefined && { embeddings: outcome.embeddings }),
    ...(lateMs > 0 && { late_ms: lateMs }),
  };
  if (fallbackUsed) {
    deps.observer?.fallback(target.taskType);
    const failed = notOk.filter((d) => d.outcome === 'failure').length;
    const passed = notOk.length - failed + plan.skipped.filter((s) => s.quality > used.quality).length;
    deps.decisions.record(
      'fallback',
      `answered by ${used.model} after ${failed} failed tr${failed === 1 ? 'y' : 'ies'} and ${passed} better candidate(s) passed over`,
      { model: used.model },
      requestId,
    );
  }
  deps.observer?.request(used.model, 'success', target.taskType, urgency, result.latency_ms / 1000);
  deps.onDemand?.(target.taskType, used.model, false);
  return result;
}

/** Hosts of candidates that were skipped or failed because their host was down, when nothing else was tried. */
export function hostsDown(deps: JourneyDeps, plan: SelectionPlan, details: AttemptDetail[]): string[] {
  const tried = details.filter((d) => d.outcome !== 'skipped' && !(d.error ?? '').startsWith('host_down'));
  if (tried.length > 0) return [];
  const hosts = new Set<string>();
  for (const s of plan.skipped) if (s.reason === 'host_down') hosts.add(s.host);
  for (const d of details) {
    const e = d.error ?? '';
    if (e.startsWith('host_down') || e.endsWith('is down')) hosts.add(d.host);
  }
  return [...hosts].filter((h) => deps.hostHealth.isDown(h));
}

export function failure(
  deps: JourneyDeps,
  request: CompletionRequest,
  target: RequestTarget,
  urgency: Urgency,
  plan: SelectionPlan,
  details: AttemptDetail[],
  requestId: string,
  started: number,
  clientDeadline: number | undefined,
  downHosts: string[],
): RmmError {
  const { clock } = deps;
  deps.onDemand?.(target.taskType, null, true);
  const aborted = request.signal?.aborted === true;
  deps.observer?.request(
    'none',
    aborted ? 'cancelled' : 'failure',
    target.taskType,
    urgency,
    (clock.now() - started) / 1000,
  );
  if (aborted)
    return new RmmError('RMM_CANCELLED', 'the client went away before an answer', { request_id: requestId });
  const tried = details.map((d) => `${d.model}: ${d.outcome}${d.error ? ` (${d.error})` : ''}`).join('; ');
  const code: ErrorCode =
    clientDeadline !== undefined && clock.now() >= clientDeadline
      ? 'RMM_DEADLINE_EXCEEDED'
      : downHosts.length > 0
        ? 'RMM_HOSTS_DOWN'
        : 'RMM_NO_MODEL_AVAILABLE';
  const why =
    code === 'RMM_DEADLINE_EXCEEDED'
      ? `the client's deadline (x-rmm-deadline-ms) passed after ${formatDuration(clock.now() - started)}`
      : code === 'RMM_HOSTS_DOWN'
        ? `every host with a candidate is down (${downHosts.join(', ')})`
        : 'every candidate is unavailable or failed';
  return new RmmError(
    code,
    `no model could answer this ${target.taskType} request (${urgency}): ${why}. ${plan.reason}${tried ? `. Tried: ${tried}` : ''}`,
    { request_id: requestId, task_type: target.taskType as TaskType, urgency, attempts_detail: details },
  );
}

function reasonFor(
  plan: SelectionPlan,
  used: PlannedAttempt,
  notOk: AttemptDetail[],
  lateMs: number,
  urgency: Urgency,
): string {
  const lateWords =
    lateMs > 0
      ? `; answered ${formatDuration(lateMs).slice(1)} after the ${urgency} deadline (a late answer beats an error)`
      : '';
  if (notOk.length === 0) return `${plan.reason}${lateWords}`;
  const what = notOk.map((d) => `${d.model} ${d.outcome}${d.error ? ` (${d.error})` : ''}`).join('; ');
  return `${plan.reason} Then: ${what}; answered by ${used.model}${lateWords}.`;
}
