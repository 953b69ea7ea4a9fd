import { AttemptError } from '../backend/attempt-error.ts';
import type { InferenceResult } from '../backend/inference.ts';
import type { CancelSignal } from '../manager/cancel-signal.ts';
import type { AttemptDetail, CompletionRequest, UpstreamChunk } from '../manager/completion.ts';
import { RmmError } from '../manager/errors.ts';
import { backoffDelay } from '../policy/backoff.ts';
import { classifyError, type Classification as ErrorInfo } from '../policy/errors.ts';
import { attemptTimeoutMs, loadWaitUntil, retryVerdict } from '../policy/retry-rules.ts';
import type { PlannedAttempt } from '../policy/select.ts';
import { sleep } from '../time/clock.ts';
import { withFields } from '../with-fields.ts';
import { confirmMissing, hostLevel, serviceTimeMs, tokenTimeMs } from './attempt-helpers.ts';
import type { JourneyDeps } from './journey-deps.ts';
import { waitForLoad } from './load-wait.ts';
import { acquireSlot, SlotTimeoutError } from './slots.ts';
import { embedCall, type JourneyRequest, upstreamCall } from './upstream-call.ts';

export interface AttemptContext {
  requestId: string;
  /** The answer must have started by this time. */
  deadline: number;
  othersLeft: boolean;
  details: AttemptDetail[];
  /** Set once a streamed chunk reached the client: no failover after that. */
  state: { committed: boolean };
}

export type Outcome =
  | ({ kind: 'answer' } & InferenceResult)
  /** Move on; `later`: it was only slow (still loading, or no free slot): worth waiting for when all else fails. */
  | { kind: 'next'; later?: boolean }
  | { kind: 'stop'; error: RmmError };

/**
 * One candidate of a request, with its retries: wait for it to be loaded if it is not (a want the
 * supervisor plans), take a slot, ask it, and judge the outcome. Returns an answer, "move on", or "stop the
 * journey". Every try, a failed load included, is one entry in `details`.
 */
export async function tryModel(
  deps: JourneyDeps,
  request: JourneyRequest,
  attempt: PlannedAttempt,
  ctx: AttemptContext,
): Promise<Outcome> {
  const { clock, fleet } = deps;
  const { requestId } = ctx;
  const backend = deps.backends.get(attempt.host)!;
  const urgency = request.urgency ?? 'interactive';
  for (let retry = 0; ; retry++) {
    const attemptStart = clock.now();
    const base = () => ({
      model: attempt.model,
      host: attempt.host,
      latency_ms: clock.now() - attemptStart,
      retry,
    });
    // Started before any wait for a load or a slot: the model counts as busy from now on, so it is never
    // chosen as an eviction victim while this request waits for it, and queue estimates see the request.
    fleet.send(attempt.id, { type: 'REQUEST_STARTED' }, requestId);
    if (!fleet.view(attempt.id)?.resident) {
      const until = loadWaitUntil(clock.now(), ctx.deadline, ctx.othersLeft, attempt.expectedMs);
      const loaded = await waitForLoad(deps, attempt.id, until, urgency, requestId, request.signal);
      if (loaded.ok !== true) {
        // The load's own outcome is the supervisor's; this request just stops waiting for it.
        ended(deps, attempt.id, { type: 'REQUEST_CANCELLED' }, requestId);
        ctx.details.push(
          withFields(base(), { outcome: loaded.failed ? 'failure' : 'skipped', error: loaded.why }),
        );
        if (request.signal?.aborted) return cancelled(requestId);
        return { kind: 'next', later: loaded.slow === true };
      }
    }
    const remaining = ctx.deadline - clock.now();
    const timeoutMs = attemptTimeoutMs(remaining, ctx.othersLeft, attempt.expectedMs);
    let release: () => void;
    try {
      release = await acquireSlot(
        deps.limiters.get(attempt.id),
        clock,
        timeoutMs,
        request.signal,
        ctx.deadline,
      );
    } catch (err) {
      ended(deps, attempt.id, { type: 'REQUEST_CANCELLED' }, requestId);
      if (request.signal?.aborted) return cancelled(requestId);
      // Busy is not broken: leave the circuit alone and let the next candidate answer.
      const why = err instanceof SlotTimeoutError ? err.message : String(err);
      ctx.details.push(withFields(base(), { outcome: 'skipped' as const, error: `busy: ${why}` }));
      return { kind: 'next', later: err instanceof SlotTimeoutError };
    }
    try {
      const timeLeft = Math.max(1, Math.min(ctx.deadline - clock.now(), timeoutMs));
      const callStart = clock.now();
      const result = request.embed
        ? await embedCall(backend, request, attempt.model, timeLeft, deps.keepAlive)
        : await backend.infer(
            upstreamCall(request, attempt.model, {
              // Ours, always: Ollama resets a model's keep-alive to each request's (its 5 min default when a
              // request sends none), so a request without it would undo the residency our loads asked for.
              keepAlive: deps.keepAlive,
              timeoutMs: timeLeft,
              idleTimeoutMs: deps.config.stream_idle_timeout_s * 1000,
              ...(request.onChunk && {
                onChunk: (chunk: UpstreamChunk, raw?: string) => {
                  ctx.state.committed = true;
                  request.onChunk!(chunk, raw);
                },
              }),
            }),
          );
      const f = result.final;
      const latencyMs = clock.now() - attemptStart;
      const callMs = clock.now() - callStart;
      const serviceMs = serviceTimeMs(callMs, f);
      const tokenMs = tokenTimeMs(callMs, f);
      ended(
        deps,
        attempt.id,
        {
          type: 'REQUEST_SUCCEEDED',
          latencyMs,
          ...(f.eval_count !== undefined &&
            f.eval_duration !== undefined && { evalCount: f.eval_count, evalMs: f.eval_duration / 1e6 }),
          ...(serviceMs !== undefined && { serviceMs }),
          ...(tokenMs !== undefined && { tokenMs }),
        },
        requestId,
      );
      deps.observer?.attempt(attempt.model, 'success');
      ctx.details.push(withFields(base(), { outcome: 'success' as const }));
      return { kind: 'answer', ...result };
    } catch (err) {
      const outcome = await judge(deps, request, attempt, ctx, err, attemptStart, retry);
      if (outcome !== 'retry') return outcome;
    } finally {
      release();
    }
  }
}

/** Reports an outcome, and tells the supervisor when the model went idle while loads wait for room. */
function ended(
  deps: JourneyDeps,
  id: string,
  event: Parameters<JourneyDeps['fleet']['send']>[1],
  requestId: string,
) {
  deps.fleet.send(id, event, requestId);
  const view = deps.fleet.view(id);
  if (view && view.inFlight === 0 && deps.fleet.supervisor().wants.length > 0)
    deps.fleet.sendSupervisor({ type: 'ROOM_CHANGED', host: view.host });
}

function cancelled(requestId: string): Outcome {
  return {
    kind: 'stop',
    error: new RmmError('RMM_CANCELLED', 'the client went away before an answer', { request_id: requestId }),
  };
}

/** Classifies a failed try, reports it to the model (or the host), and says what comes next. */
async function judge(
  deps: JourneyDeps,
  request: CompletionRequest,
  attempt: PlannedAttempt,
  ctx: AttemptContext,
  err: unknown,
  attemptStart: number,
  retry: number,
): Promise<Outcome | 'retry'> {
  const { clock } = deps;
  const { requestId } = ctx;
  const detail = { model: attempt.model, host: attempt.host, latency_ms: clock.now() - attemptStart, retry };
  let info = describe(err, request.signal);
  if (info.class === 'CANCELLED') {
    ended(deps, attempt.id, { type: 'REQUEST_CANCELLED' }, requestId);
    ctx.details.push(
      withFields(detail, {
        outcome: 'cancelled' as const,
        error_class: 'CANCELLED' as const,
        error: info.message,
      }),
    );
    deps.observer?.attempt(attempt.model, 'cancelled');
    return cancelled(requestId);
  }
  // Refused, reset or silent: ask the host before blaming the model. A host that answers may still have
  // restarted (its memory is then empty): its /api/ps is read again so the ledger does not go stale.
  if (hostLevel(info)) {
    if ((await deps.hostHealth.verdict(attempt.host)) === 'down')
      info = withFields(info, { reason: 'host_down', countsAgainstCircuit: false });
    else deps.onHostSuspect?.(attempt.host);
  } else if (info.missing && !(await confirmMissing(deps, attempt))) {
    // A 404 for a model its host still lists: something is wrong with it, but it is not gone. Not fatal
    // either: one such answer among many good ones (a race with a pull, a flaky host) must not open the
    // circuit at once; it counts like any transient failure, and a model that keeps answering 404 opens
    // by the usual thresholds. (In the soak, host-wide 404s on 10% of requests opened every circuit.)
    info = {
      ...info,
      class: 'TRANSIENT',
      reason: 'not_found_but_listed',
      missing: false,
      countsAgainstCircuit: true,
    };
  }
  ended(
    deps,
    attempt.id,
    {
      type: 'REQUEST_FAILED',
      errorClass: info.class,
      reason: info.reason,
      countsAgainstCircuit: info.countsAgainstCircuit,
      missing: info.missing,
      latencyMs: clock.now() - attemptStart,
    },
    requestId,
  );
  deps.observer?.attempt(attempt.model, 'failure');
  ctx.details.push({
    ...detail,
    outcome: 'failure',
    error_class: info.class,
    error: `${info.reason}: ${info.message}`,
  });
  deps.decisions.record(
    'failure',
    `${attempt.model} on ${attempt.host} failed (${info.class} ${info.reason}): ${info.message}`,
    { model: attempt.model, error_class: info.class, reason: info.reason },
    requestId,
  );
  if (info.class === 'CLIENT') {
    return {
      kind: 'stop',
      error: new RmmError('RMM_UPSTREAM_CLIENT_ERROR', `Ollama rejected the request: ${info.message}`, {
        request_id: requestId,
        status: info.status,
      }),
    };
  }
  if (ctx.state.committed) {
    return {
      kind: 'stop',
      error: new RmmError(
        'RMM_STREAM_BROKEN',
        `${attempt.model} failed after the answer had started: ${info.message}`,
        {
          request_id: requestId,
          model: attempt.model,
        },
      ),
    };
  }
  if (info.reason === 'host_down') return { kind: 'next' };
  return (await mayRetry(deps, attempt, info, retry, ctx, request.signal)) ? 'retry' : { kind: 'next' };
}

async function mayRetry(
  deps: JourneyDeps,
  attempt: PlannedAttempt,
  info: ErrorInfo,
  retry: number,
  ctx: AttemptContext,
  signal?: CancelSignal,
): Promise<boolean> {
  if (!deps.fleet.view(attempt.id)?.acceptsTraffic) return false;
  const delay = backoffDelay(retry, deps.backoff);
  const now = deps.clock.now();
  const verdict = retryVerdict({
    errorClass: info.class,
    reason: info.reason,
    retry,
    maxAttemptsPerModel: deps.config.retry.max_attempts_per_model,
    othersLeft: ctx.othersLeft,
    now,
    delayMs: delay,
    expectedMs: attempt.expectedMs,
    deadline: ctx.deadline,
  });
  if (!verdict.retry) return false;
  if (!deps.ops.takeRetry(now)) {
    deps.decisions.record(
      'retry',
      `not retrying ${attempt.model}: retry budget spent (outage protection)`,
      { model: attempt.model },
      ctx.requestId,
    );
    return false;
  }
  deps.observer?.retry(attempt.model);
  deps.decisions.record(
    'retry',
    `retrying ${attempt.model} in ${Math.round(delay)} ms after ${info.reason}`,
    { model: attempt.model, delay_ms: Math.round(delay) },
    ctx.requestId,
  );
  await sleep(deps.clock, delay, signal);
  return !signal?.aborted;
}

function describe(err: unknown, signal?: CancelSignal): ErrorInfo {
  const phase = err instanceof AttemptError ? err.phase : 'connect';
  const cause = err instanceof AttemptError ? err.cause : err;
  return classifyError(cause, phase, { callerAborted: signal?.aborted === true });
}
