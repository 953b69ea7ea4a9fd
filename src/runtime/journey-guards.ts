import type { TaskType } from '../config/schema.ts';
import type { AttemptDetail } from '../manager/completion.ts';
import { RmmError } from '../manager/errors.ts';
import { missingCapabilities, requiredCapabilities } from '../policy/capabilities.ts';
import type { RequestTarget } from '../policy/request-target.ts';
import type { SelectionPlan } from '../policy/select.ts';
import type { JourneyDeps } from './journey-deps.ts';
import type { JourneyRequest } from './upstream-call.ts';

/** An embedding request's target: the model it names, else the `embed` chain. */
export function embedTarget(request: JourneyRequest): RequestTarget {
  const m = request.model;
  const named = m !== undefined && m !== 'auto' && !m.startsWith('auto:') ? m : undefined;
  // 'embed' is a chain, not a task people classify text into: typed loosely on purpose.
  const task = 'embed' as TaskType;
  return {
    classification: { task_type: task, confidence: 1, matched: [], source: named ? 'model' : 'given' },
    taskType: task,
    ...(named !== undefined && { namedModel: named }),
  };
}

/**
 * When no candidate can do what the request needs (tools, thinking, vision, a long enough context...), that
 * is the request's problem, not an outage: a 400 naming what is missing and which models have it (and
 * why those cannot answer here: another chain, missing, circuit open).
 */
export function unsupported(
  deps: JourneyDeps,
  request: JourneyRequest,
  plan: SelectionPlan,
  requestId: string,
): void {
  if (plan.attempts.length > 0 || plan.late.length > 0) return;
  const cap = plan.skipped.filter((s) => s.reason === 'no_capability');
  const ctx = plan.skipped.filter((s) => s.reason === 'context_too_small');
  if (
    cap.length + ctx.length === 0 ||
    cap.length + ctx.length < plan.skipped.filter((s) => s.id !== null).length
  )
    return;
  const required = requiredCapabilities(request, request.embed !== undefined);
  const missing = [
    ...new Set(cap.flatMap((s) => s.detail.replace(/^has no | capability$/g, '').split(', '))),
  ];
  const able = deps.fleet
    .candidates()
    .filter((c) => missingCapabilities(required, c.capabilities).length === 0)
    .map((c) => `${c.model} (${c.state}${c.hostUp === false ? ', host down' : ''})`);
  if (cap.length > 0) {
    throw new RmmError(
      'RMM_UNSUPPORTED_CAPABILITY',
      `no model of this request's chain has the ${missing.join(', ')} capability it needs${
        able.length
          ? `; models that have it: ${[...new Set(able)].join(', ')} — name one, or add it to the chain`
          : '; no configured model has it'
      }`,
      { request_id: requestId, missing_capabilities: missing },
    );
  }
  throw new RmmError(
    'RMM_CONTEXT_TOO_LONG',
    `the prompt (~${plan.skipped.length ? ctx[0]!.detail.replace(/.*prompt \(~(\d+) tokens\).*/, '$1') : '?'} tokens) is longer than every candidate's context: ${ctx.map((s) => `${s.model}: ${s.detail}`).join('; ')}`,
    { request_id: requestId },
  );
}

/** Candidates passed over for what the request needs: listed in attempts_detail, as the issue asks. */
export function needsSkips(plan: SelectionPlan): AttemptDetail[] {
  return plan.skipped
    .filter((s) => s.id !== null && (s.reason === 'no_capability' || s.reason === 'context_too_small'))
    .map((s) => ({
      model: s.model,
      host: s.host,
      outcome: 'skipped' as const,
      error: `${s.reason}: ${s.detail}`,
      latency_ms: 0,
      retry: 0,
    }));
}
