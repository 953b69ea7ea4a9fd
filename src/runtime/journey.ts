import { randomUUID } from 'node:crypto';
import type { TaskType, Urgency } from '../config/schema.ts';
import { type ErrorCode, RmmError } from '../manager/errors.ts';
import type { AttemptDetail, CompletionRequest, CompletionResult } from '../manager/types.ts';
import { deadlineMs, takesTraffic } from '../policy/estimate.ts';
import { type RequestTarget, resolveTarget } from '../policy/request-target.ts';
import { lateBudgetMs } from '../policy/retry-rules.ts';
import { type PlannedAttempt, type SelectionPlan, selectModels } from '../policy/select.ts';
import { formatDuration } from '../policy/select-reason.ts';
import { tryModel } from './attempt.ts';
import type { JourneyDeps } from './journey-deps.ts';

export type { JourneyDeps, JourneyObserver } from './journey-deps.ts';

/**
 * One request's journey: resolve the task → select (a pure function over the fleet's views) → try the
 * candidates that can answer in time, best first → if none did, queue on the late options, soonest expected
 * answer first → if every candidate's host is down, wait a little for one to answer again.
 *
 * A late answer beats an error: the urgency's deadline chooses the model, it does not decide whether to
 * answer. The journey fails only when every candidate is unavailable (open circuit, missing, host down),
 * when the client goes away, or when the client's own deadline (`deadlineMs`, the x-rmm-deadline-ms
 * header) would pass.
 *
 * A plain async function rather than a short-lived actor per request: the hot-path budget leaves room for
 * two model-actor events per healthy request, not for spawning an actor and a dozen transitions.
 */
export async function runJourney(deps: JourneyDeps, request: CompletionRequest): Promise<CompletionResult> {
  const { config, clock } = deps;
  const requestId = request.requestId ?? randomUUID();
  const started = clock.now();
  const urgency: Urgency = request.urgency ?? 'interactive';
  const deadline = started + deadlineMs(urgency, config);
  const clientDeadline = request.deadlineMs !== undefined ? started + request.deadlineMs : undefined;
  const target = resolveTarget(config, request);
  const details: AttemptDetail[] = [];
  const state = { committed: false };
  let waitedForHosts = false;
  for (;;) {
    const plan = select(deps, request, target, urgency, deadline - clock.now(), requestId);
    const order = withLateOptions(plan);
    for (let i = 0; i < order.length; i++) {
      const a = order[i]!;
      if (request.signal?.aborted) break;
      const now = clock.now();
      if (clientDeadline !== undefined && now >= clientDeadline) break;
      const view = deps.fleet.view(a.id);
      if (
        !view ||
        view.hostUp === false ||
        !takesTraffic(view.state, view.openUntil, view.trialsLeft ?? 0, now)
      ) {
        details.push(
          skipped(
            a,
            view?.hostUp === false ? `its host ${a.host} is down` : `not available any more (${view?.state})`,
          ),
        );
        continue;
      }
      const late = i >= plan.attempts.length || now >= deadline;
      const lateLeft = lateBudgetMs(
        a.expectedMs,
        config.deadlines.interactive_s * 1000,
        config.load.timeout_s * 1000,
        clientDeadline === undefined ? undefined : clientDeadline - now,
      );
      const outcome = await tryModel(deps, request, a, {
        requestId,
        deadline: late ? now + lateLeft : Math.min(deadline, clientDeadline ?? deadline),
        othersLeft: i < order.length - 1,
        details,
        state,
      });
      if (outcome.kind === 'answer')
        return answered(deps, request, target, plan, a, details, outcome, started, deadline, requestId);
      if (outcome.kind === 'stop') {
        deps.observer?.request(a.model, 'failure', target.taskType, urgency, (clock.now() - started) / 1000);
        deps.onDemand?.(target.taskType, a.model, true);
        throw outcome.error;
      }
    }
    // Every candidate's host down: one may answer again in a moment (a restart); wait a little, once.
    const downHosts = hostsDown(deps, plan, details);
    if (waitedForHosts || downHosts.length === 0 || request.signal?.aborted) {
      throw failure(
        deps,
        request,
        target,
        urgency,
        plan,
        details,
        requestId,
        started,
        clientDeadline,
        downHosts,
      );
    }
    waitedForHosts = true;
    const left = clientDeadline === undefined ? Number.POSITIVE_INFINITY : clientDeadline - clock.now();
    const wait = Math.min(config.host_health.down_wait_s * 1000, left);
    if (!(await deps.hostHealth.waitUp(downHosts, wait, request.signal)))
      throw failure(
        deps,
        request,
        target,
        urgency,
        plan,
        details,
        requestId,
        started,
        clientDeadline,
        downHosts,
      );
  }
}

function select(
  deps: JourneyDeps,
  request: CompletionRequest,
  target: RequestTarget,
  urgency: Urgency,
  deadlineLeftMs: number,
  requestId: string,
): SelectionPlan {
  const { config, clock } = deps;
  const now = clock.now();
  const plan = selectModels({
    taskType: target.taskType,
    urgency,
    deadlineMs: deadlineLeftMs,
    now,
    namedModel: target.namedModel,
    chain: config.chains[target.taskType] ?? config.chains['general']!,
    candidates: deps.fleet.candidates(),
    outOfChainFallback: config.selection.out_of_chain_fallback,
    fallbackChain: config.chains['general'],
    expectedOutputTokens: Number(request.options?.['num_predict'] ?? config.selection.expected_output_tokens),
    partialOffloadSlowdown: config.selection.partial_offload_slowdown,
  });
  deps.journalSelection?.({
    kind: 'selection',
    at: now,
    request_id: requestId,
    task_type: target.taskType,
    urgency,
    deadline_ms: Math.round(deadlineLeftMs),
    order: plan.attempts.map((a) => a.id),
    late: plan.late.map((l) => l.id),
    skipped: plan.skipped.map((s) => ({ id: s.id, model: s.model, reason: s.reason })),
    ...(plan.loadInBackground[0] && { background: plan.loadInBackground[0].id }),
  });
  for (const bg of plan.loadInBackground) {
    // For the requests that follow; a hint, so it never takes the warm set's room.
    deps.loader.want(bg.id, { mode: 'predicted', urgency, requestId }).catch(() => {});
  }
  return plan;
}

/** The plan's attempts, then its late options (soonest expected answer first), each candidate once. */
function withLateOptions(plan: SelectionPlan): PlannedAttempt[] {
  const seen = new Set(plan.attempts.map((a) => a.id));
  const out = [...plan.attempts];
  for (const l of plan.late) {
    if (seen.has(l.id)) continue;
    seen.add(l.id);
    out.push({ ...l, outOfChain: false, named: false });
  }
  return out;
}

function answered(
  deps: JourneyDeps,
  request: CompletionRequest,
  target: RequestTarget,
  plan: SelectionPlan,
  used: PlannedAttempt,
  details: AttemptDetail[],
  outcome: { text: string; final: CompletionResult['final'] },
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
function hostsDown(deps: JourneyDeps, plan: SelectionPlan, details: AttemptDetail[]): string[] {
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

function failure(
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

function skipped(a: PlannedAttempt, why: string): AttemptDetail {
  return { model: a.model, host: a.host, outcome: 'skipped', error: why, latency_ms: 0, retry: 0 };
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
