import { randomUUID } from 'node:crypto';
import type { Urgency } from '../config/schema.ts';
import type { AttemptDetail, CompletionResult } from '../manager/completion.ts';
import { estimatePromptTokens, outputCap, requiredCapabilities } from '../policy/capabilities.ts';
import { deadlineMs, expectedMs, takesTraffic } from '../policy/estimate.ts';
import { type RequestTarget, resolveTarget } from '../policy/request-target.ts';
import { lateBudgetMs } from '../policy/retry-rules.ts';
import { type PlannedAttempt, type SelectionPlan, selectModels } from '../policy/select.ts';
import { withFields } from '../with-fields.ts';
import { type Outcome, tryModel } from './attempt.ts';
import type { JourneyDeps } from './journey-deps.ts';
import { embedTarget, needsSkips, unsupported } from './journey-guards.ts';
import { answered, failure, hostsDown } from './journey-result.ts';
import { speculationDeclined } from './speculative-load.ts';
import type { JourneyRequest } from './upstream-call.ts';

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
export async function runJourney(deps: JourneyDeps, request: JourneyRequest): Promise<CompletionResult> {
  const { config, clock } = deps;
  const requestId = request.requestId ?? randomUUID();
  const started = clock.now();
  const urgency: Urgency = request.urgency ?? 'interactive';
  if (urgency === 'interactive' && !request.embed) deps.pulse?.seen(started);
  const deadline = started + deadlineMs(urgency, config);
  const clientDeadline = request.deadlineMs !== undefined ? started + request.deadlineMs : undefined;
  const target = request.embed ? embedTarget(request) : resolveTarget(deps.chains, request);
  const details: AttemptDetail[] = [];
  const state = { committed: false };
  let waitedForHosts = false;
  for (;;) {
    const plan = select(deps, request, target, urgency, deadline - clock.now(), requestId);
    unsupported(deps, request, plan, requestId);
    if (!waitedForHosts) details.push(...needsSkips(plan));
    const order = withLateOptions(plan);
    const slow: PlannedAttempt[] = [];
    for (let i = 0; i < order.length; i++) {
      const a = order[i]!;
      if (request.signal?.aborted) break;
      if (clientDeadline !== undefined && clock.now() >= clientDeadline) break;
      const late = i >= plan.attempts.length || clock.now() >= deadline;
      const outcome = await attemptOne(
        deps,
        request,
        a,
        requestId,
        late,
        deadline,
        clientDeadline,
        i < order.length - 1 || slow.length > 0,
        details,
        state,
      );
      if (outcome.kind === 'answer')
        return answered(deps, request, target, plan, a, details, outcome, started, deadline, requestId);
      if (outcome.kind === 'stop') {
        deps.observer?.request(a.model, 'failure', target.taskType, urgency, (clock.now() - started) / 1000);
        deps.onDemand?.(target.taskType, a.model, true);
        throw outcome.error;
      }
      if (outcome.kind === 'next' && outcome.later) slow.push(a);
      // Candidates that were only slow (still loading, queue full) are waited for once nothing else is left.
      if (i === order.length - 1 && slow.length > 0) {
        order.push(
          ...slow
            .splice(0)
            .map((s) => ({ ...s, expectedMs: remainingMs(deps, s, request) }))
            .sort((x, y) => x.expectedMs - y.expectedMs),
        );
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

/** Tries one candidate, first checking it still takes traffic on a host that answers. */
async function attemptOne(
  deps: JourneyDeps,
  request: JourneyRequest,
  a: PlannedAttempt,
  requestId: string,
  late: boolean,
  deadline: number,
  clientDeadline: number | undefined,
  othersLeft: boolean,
  details: AttemptDetail[],
  state: { committed: boolean },
): Promise<Outcome> {
  const { config, clock } = deps;
  const now = clock.now();
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
    return { kind: 'next' };
  }
  const lateLeft = lateBudgetMs(
    a.expectedMs,
    config.deadlines.interactive_s * 1000,
    config.load.timeout_s * 1000,
    clientDeadline === undefined ? undefined : clientDeadline - now,
  );
  return tryModel(deps, request, a, {
    requestId,
    deadline: late ? now + lateLeft : Math.min(deadline, clientDeadline ?? deadline),
    othersLeft,
    details,
    state,
  });
}

/** What is left of a slow candidate's expected answer time (its load may be under way by now). */
function remainingMs(deps: JourneyDeps, a: PlannedAttempt, request: JourneyRequest): number {
  const view = deps.fleet.view(a.id);
  if (!view) return a.expectedMs;
  return expectedMs(
    view,
    deps.clock.now(),
    deps.config.selection.expected_output_tokens,
    deps.config.selection.partial_offload_slowdown,
    outputCap(request, request.embed !== undefined),
  );
}

function select(
  deps: JourneyDeps,
  request: JourneyRequest,
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
    chain: deps.chains.get(target.taskType) ?? deps.chains.get('general') ?? [],
    candidates: deps.fleet.candidates(),
    outOfChainFallback: config.selection.out_of_chain_fallback,
    fallbackChain: deps.chains.get('general'),
    expectedOutputTokens: config.selection.expected_output_tokens,
    outputCap: outputCap(request, request.embed !== undefined),
    partialOffloadSlowdown: config.selection.partial_offload_slowdown,
    required: requiredCapabilities(request, request.embed !== undefined),
    promptTokens: estimatePromptTokens(request, request.embed?.input),
    // Called only when selection has a load to hint at (rare): demand is read then, not per request.
    weighBackground: (id) =>
      speculationDeclined(
        { fleet: deps.fleet, chains: deps.chains, demand: deps.ops.state().demand, now },
        id,
      ),
    queuedBehind: (id) => deps.limiters.get(id)?.queuedAfter(now + deadlineLeftMs) ?? 0,
  });
  for (const bg of plan.loadInBackground) {
    // For the requests that follow (already weighed against what it evicts); a hint, so it never takes
    // the warm set's room.
    deps.loader.want(bg.id, { mode: 'predicted', urgency, requestId }).catch(() => {});
  }
  const declined = plan.backgroundDeclined;
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
    ...(declined && { background: declined.id, background_declined: declined.why }),
  });
  return plan;
}

/** The plan's attempts, then its late options (soonest expected answer first), each candidate once. */
function withLateOptions(plan: SelectionPlan): PlannedAttempt[] {
  if (plan.late.length === 0) return plan.attempts.slice();
  const seen = new Set(plan.attempts.map((a) => a.id));
  const out = [...plan.attempts];
  for (const l of plan.late) {
    if (seen.has(l.id)) continue;
    seen.add(l.id);
    out.push(withFields(l, { outOfChain: false, named: false }));
  }
  return out;
}

function skipped(a: PlannedAttempt, why: string): AttemptDetail {
  return { model: a.model, host: a.host, outcome: 'skipped', error: why, latency_ms: 0, retry: 0 };
}
