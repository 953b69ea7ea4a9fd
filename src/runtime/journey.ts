import { randomUUID } from 'node:crypto';
import { AttemptError, type OllamaBackend } from '../backend/ollama-backend.ts';
import type { Config, TaskType, Urgency } from '../config/schema.ts';
import { RmmError } from '../manager/errors.ts';
import type {
  AttemptDetail,
  Classification,
  CompletionRequest,
  CompletionResult,
  UpstreamChunk,
} from '../manager/types.ts';
import { type BackoffOptions, backoffDelay } from '../policy/backoff.ts';
import { classifyTask } from '../policy/classify.ts';
import { classifyError, type Classification as ErrorInfo } from '../policy/errors.ts';
import { deadlineMs } from '../policy/estimate.ts';
import type { RetryBudget } from '../policy/retry-budget.ts';
import { type PlannedAttempt, type SelectionPlan, selectModels } from '../policy/select.ts';
import { taskFromAlias } from '../policy/task-aliases.ts';
import type { Clock } from '../time/clock.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';
import type { Limiter } from './limiter.ts';
import type { Loader } from './loader.ts';

export interface JourneyObserver {
  request(model: string, outcome: string, taskType: TaskType, urgency: Urgency, seconds: number): void;
  attempt(model: string, outcome: string): void;
  fallback(taskType: TaskType): void;
  retry(model: string): void;
}

export interface JourneyDeps {
  config: Readonly<Config>;
  fleet: Fleet;
  loader: Loader;
  backends: ReadonlyMap<string, OllamaBackend>;
  limiters: ReadonlyMap<string, Limiter>;
  clock: Clock;
  decisions: DecisionLog;
  retryBudget: RetryBudget;
  backoff: BackoffOptions;
  observer?: JourneyObserver;
  /** Called once per request with its task type, for demand tracking and predictive preloading. */
  onDemand?: (taskType: TaskType, model: string | null, failed: boolean) => void;
}

/** Share of the remaining time an attempt may use when other candidates are still waiting behind it. */
const ATTEMPT_SHARE = 0.5;

/**
 * One request's journey: classify → select → (ensure loaded) → attempt → backoff/retry → fall back.
 * A plain async function rather than a short-lived actor per request: the design's hot-path budget
 * (~40 µs for a healthy request) leaves room for two actor events, not for spawning an actor and a dozen
 * internal transitions. The model actors still see every outcome, and the journal records those events.
 */
export async function runJourney(deps: JourneyDeps, request: CompletionRequest): Promise<CompletionResult> {
  const { config, fleet, clock } = deps;
  const requestId = request.requestId ?? randomUUID();
  const started = clock.now();
  const urgency: Urgency = request.urgency ?? 'interactive';
  const deadline = started + deadlineMs(urgency, config);
  const { classification, namedModel } = classify(config, request);
  const taskType = classification.task_type;
  const chain = config.chains[taskType] ?? config.chains['general']!;

  const plan = selectModels({
    taskType,
    urgency,
    deadlineMs: deadline - started,
    now: started,
    namedModel,
    chain,
    candidates: fleet.candidates(),
    outOfChainFallback: config.selection.out_of_chain_fallback,
    fallbackChain: config.chains['general'],
    expectedOutputTokens: Number(request.options?.['num_predict'] ?? config.selection.expected_output_tokens),
    partialOffloadSlowdown: config.selection.partial_offload_slowdown,
  });
  deps.decisions.record(
    'selection',
    plan.reason,
    { task_type: taskType, urgency, plan: plan.attempts.map((a) => a.id) },
    requestId,
  );
  for (const bg of plan.loadInBackground) {
    deps.loader
      .ensureLoaded(bg.id, `${taskType} demand while a faster model answers`, requestId)
      .catch(() => {});
  }

  const details: AttemptDetail[] = [];
  const state: AttemptState = { committed: false };
  const attempts = withLateOptions(plan);
  for (let i = 0; i < attempts.length; i++) {
    const attempt = attempts[i]!;
    const late = i >= plan.attempts.length;
    if (request.signal?.aborted) break;
    const remaining = deadline - clock.now();
    if (remaining <= 0 && !late) {
      details.push(skipped(attempt, 'deadline passed before this candidate was tried'));
      continue;
    }
    if (!acceptsNow(fleet, attempt.id)) {
      details.push(skipped(attempt, `not available any more (${fleet.stateOf(attempt.id)})`));
      continue;
    }
    const outcome = await tryModel(deps, request, requestId, attempt, {
      deadline: late ? clock.now() + lateBudget(config, attempt.expectedMs) : deadline,
      othersLeft: i < attempts.length - 1,
      details,
      state,
    });
    if (outcome.kind === 'answer') {
      const first = attempts[0];
      const fallbackUsed = attempt.id !== first?.id || attempt.outOfChain || details.length > 1;
      const result: CompletionResult = {
        request_id: requestId,
        response: outcome.text,
        model_used: attempt.model,
        host: attempt.host,
        fallback_used: fallbackUsed,
        attempts: details.filter((d) => d.outcome !== 'skipped').length,
        latency_ms: clock.now() - started,
        selection_reason: reasonFor(plan, attempt, details, late),
        task_type: taskType,
        urgency,
        classification,
        attempts_detail: details,
        final: outcome.final,
      };
      if (fallbackUsed) {
        deps.observer?.fallback(taskType);
        deps.decisions.record(
          'fallback',
          `answered by ${attempt.model} after ${details.length - 1} failed or skipped attempt(s)`,
          { model: attempt.model },
          requestId,
        );
      }
      deps.observer?.request(attempt.model, 'success', taskType, urgency, result.latency_ms / 1000);
      deps.onDemand?.(taskType, attempt.model, false);
      return result;
    }
    if (outcome.kind === 'stop') {
      deps.observer?.request(attempt.model, 'failure', taskType, urgency, (clock.now() - started) / 1000);
      deps.onDemand?.(taskType, attempt.model, true);
      throw outcome.error;
    }
  }

  deps.onDemand?.(taskType, null, true);
  deps.observer?.request(
    'none',
    request.signal?.aborted ? 'cancelled' : 'failure',
    taskType,
    urgency,
    (clock.now() - started) / 1000,
  );
  if (request.signal?.aborted)
    throw new RmmError('RMM_CANCELLED', 'the client went away before an answer', { request_id: requestId });
  const tried = details.map((d) => `${d.model}: ${d.outcome}${d.error ? ` (${d.error})` : ''}`).join('; ');
  const pastDeadline =
    clock.now() >= deadline && details.some((d) => d.outcome === 'failure' && d.error_class === 'TRANSIENT');
  throw new RmmError(
    pastDeadline ? 'RMM_DEADLINE_EXCEEDED' : 'RMM_NO_MODEL_AVAILABLE',
    `no model could answer this ${taskType} request (${urgency}). ${plan.reason}${tried ? `. Tried: ${tried}` : ''}`,
    { request_id: requestId, task_type: taskType, urgency, attempts_detail: details },
  );
}

interface AttemptState {
  committed: boolean;
}

type Outcome =
  | { kind: 'answer'; text: string; final: UpstreamChunk }
  | { kind: 'next' }
  | { kind: 'stop'; error: RmmError };

/** Attempts one model (with its retries); returns an answer, "move on", or "stop the journey". */
async function tryModel(
  deps: JourneyDeps,
  request: CompletionRequest,
  requestId: string,
  attempt: PlannedAttempt,
  ctx: { deadline: number; othersLeft: boolean; details: AttemptDetail[]; state: AttemptState },
): Promise<Outcome> {
  const { clock, fleet } = deps;
  const backend = deps.backends.get(attempt.host)!;
  for (let retry = 0; ; retry++) {
    const attemptStart = clock.now();
    deps.retryBudget.recordRequest(attemptStart);
    // Started before any wait for a load or a slot: the model counts as busy from now on, so it is never
    // chosen as an eviction victim while this request waits for it, and queue estimates see the request.
    fleet.send(attempt.id, { type: 'REQUEST_STARTED' }, requestId);
    if (attempt.needsLoad || !fleet.view(attempt.id)?.resident) {
      // With other candidates behind it, a load may take half the time left (or its own estimate with
      // slack), so a load slower than predicted still leaves the fallback time to answer.
      const remaining = ctx.deadline - clock.now();
      const waitUntil = ctx.othersLeft
        ? clock.now() + Math.min(remaining, Math.max(remaining * ATTEMPT_SHARE, attempt.expectedMs * 1.5))
        : ctx.deadline;
      const loaded = await waitForLoad(deps, attempt, waitUntil, requestId, request.signal);
      if (loaded !== true) {
        // The load's own outcome is reported by the loader; this request just stops waiting for it.
        fleet.send(attempt.id, { type: 'REQUEST_CANCELLED' }, requestId);
        ctx.details.push({ ...base(attempt, attemptStart, clock, retry), outcome: 'skipped', error: loaded });
        return { kind: 'next' };
      }
    }
    const remaining = ctx.deadline - clock.now();
    const timeoutMs = ctx.othersLeft
      ? Math.max(remaining * ATTEMPT_SHARE, Math.min(remaining, attempt.expectedMs * 4))
      : remaining;
    let release: (() => void) | undefined;
    try {
      release = await acquire(deps, attempt.id, timeoutMs, request.signal);
      const result = await backend.infer({
        kind: request.kind,
        model: attempt.model,
        ...(request.prompt !== undefined && { prompt: request.prompt }),
        ...(request.messages && { messages: request.messages }),
        ...(request.system !== undefined && { system: request.system }),
        ...(request.options && { options: request.options }),
        ...(request.format !== undefined && { format: request.format }),
        ...(request.signal && { signal: request.signal }),
        timeoutMs: Math.max(1, Math.min(ctx.deadline - clock.now(), timeoutMs)),
        idleTimeoutMs: deps.config.stream_idle_timeout_s * 1000,
        ...(request.onChunk && {
          onChunk: (chunk: UpstreamChunk) => {
            ctx.state.committed = true;
            request.onChunk!(chunk);
          },
        }),
      });
      const latencyMs = clock.now() - attemptStart;
      fleet.send(attempt.id, { type: 'REQUEST_SUCCEEDED', latencyMs }, requestId);
      deps.observer?.attempt(attempt.model, 'success');
      ctx.details.push({ ...base(attempt, attemptStart, clock, retry), outcome: 'success' });
      return { kind: 'answer', text: result.text, final: result.final };
    } catch (err) {
      const info = describe(err, request.signal);
      const latencyMs = clock.now() - attemptStart;
      if (info.class === 'CANCELLED') {
        fleet.send(attempt.id, { type: 'REQUEST_CANCELLED' }, requestId);
        ctx.details.push({
          ...base(attempt, attemptStart, clock, retry),
          outcome: 'cancelled',
          error_class: 'CANCELLED',
          error: info.message,
        });
        deps.observer?.attempt(attempt.model, 'cancelled');
        return {
          kind: 'stop',
          error: new RmmError('RMM_CANCELLED', 'the client went away before an answer', {
            request_id: requestId,
          }),
        };
      }
      if (err instanceof AttemptError && err.cause instanceof SlotTimeoutError) {
        // Busy is not broken: leave the circuit alone and let the next candidate answer.
        fleet.send(attempt.id, { type: 'REQUEST_CANCELLED' }, requestId);
        ctx.details.push({
          ...base(attempt, attemptStart, clock, retry),
          outcome: 'skipped',
          error: `busy: ${err.cause.message}`,
        });
        return { kind: 'next' };
      }
      fleet.send(
        attempt.id,
        {
          type: 'REQUEST_FAILED',
          errorClass: info.class,
          reason: info.reason,
          countsAgainstCircuit: info.countsAgainstCircuit,
          missing: info.missing,
          latencyMs,
        },
        requestId,
      );
      deps.observer?.attempt(attempt.model, 'failure');
      ctx.details.push({
        ...base(attempt, attemptStart, clock, retry),
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
            { request_id: requestId, model: attempt.model },
          ),
        };
      }
      if (
        !(await mayRetry(deps, attempt, info, retry, ctx.deadline, ctx.othersLeft, requestId, request.signal))
      )
        return { kind: 'next' };
    } finally {
      release?.();
    }
  }
}

async function mayRetry(
  deps: JourneyDeps,
  attempt: PlannedAttempt,
  info: ErrorInfo,
  retry: number,
  deadline: number,
  othersLeft: boolean,
  requestId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const maxRetries =
    info.class === 'TRANSIENT'
      ? deps.config.retry.max_attempts_per_model - 1
      : info.class === 'DEGRADED'
        ? 1
        : 0;
  if (retry >= maxRetries) return false;
  // A model that used up its share of the deadline is likely hung: waiting on it again only delays the
  // fallback. Retrying is for quick failures (refused, reset, busy), and for the last candidate.
  if (info.reason === 'timeout' && othersLeft) return false;
  if (!acceptsNow(deps.fleet, attempt.id)) return false;
  const delay = backoffDelay(retry, deps.backoff);
  const now = deps.clock.now();
  // A retry that could not finish before the deadline only delays the fallback.
  if (now + delay + Math.min(attempt.expectedMs, deadline - now) >= deadline) return false;
  if (!deps.retryBudget.tryAcquireRetry(now)) {
    deps.decisions.record(
      'retry',
      `not retrying ${attempt.model}: retry budget spent (outage protection)`,
      { model: attempt.model },
      requestId,
    );
    return false;
  }
  deps.observer?.retry(attempt.model);
  deps.decisions.record(
    'retry',
    `retrying ${attempt.model} in ${Math.round(delay)} ms after ${info.reason}`,
    { model: attempt.model, delay_ms: Math.round(delay) },
    requestId,
  );
  await sleep(deps.clock, delay, signal);
  return !signal?.aborted;
}

async function waitForLoad(
  deps: JourneyDeps,
  attempt: PlannedAttempt,
  deadline: number,
  requestId: string,
  signal?: AbortSignal,
): Promise<true | string> {
  const load = deps.loader.ensureLoaded(attempt.id, 'a request needs it', requestId);
  const remaining = deadline - deps.clock.now();
  if (remaining <= 0) return 'deadline passed while waiting for the load';
  let timer: unknown;
  const timeout = new Promise<string>((resolve) => {
    timer = deps.clock.setTimeout(
      () => resolve(`still loading at the deadline (load continues in the background)`),
      remaining,
    );
  });
  const aborted = signal
    ? new Promise<string>((resolve) =>
        signal.addEventListener('abort', () => resolve('cancelled'), { once: true }),
      )
    : undefined;
  try {
    return await Promise.race([
      load.then(
        () => true as const,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
      timeout,
      ...(aborted ? [aborted] : []),
    ]);
  } finally {
    deps.clock.clearTimeout(timer);
  }
}

function acquire(deps: JourneyDeps, id: string, timeoutMs: number, signal?: AbortSignal) {
  const limiter = deps.limiters.get(id);
  if (!limiter) return () => {};
  const pending = limiter.acquire(signal);
  return typeof pending === 'function' ? pending : waitSlot(pending, deps, timeoutMs);
}

/** Waits for a slot at most `timeoutMs`; a slot granted after giving up is handed straight back. */
async function waitSlot(pending: Promise<() => void>, deps: JourneyDeps, timeoutMs: number) {
  let timedOut = false;
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = deps.clock.setTimeout(() => {
      timedOut = true;
      reject(new AttemptError('connect', queueTimeout(timeoutMs)));
    }, timeoutMs);
  });
  pending.then(
    (release) => {
      if (timedOut) release();
    },
    () => {},
  );
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    deps.clock.clearTimeout(timer);
  }
}

/** Our own queue was too long: load on this model, not a failure of it. */
class SlotTimeoutError extends Error {
  override readonly name = 'SlotTimeoutError';
}

function queueTimeout(ms: number): Error {
  return new SlotTimeoutError(`waited ${Math.round(ms)} ms for a free slot on this model`);
}

function describe(err: unknown, signal?: AbortSignal): ErrorInfo {
  const phase = err instanceof AttemptError ? err.phase : 'connect';
  const cause = err instanceof AttemptError ? err.cause : err;
  return classifyError(cause, phase, { callerAborted: signal?.aborted === true });
}

function classify(
  config: Readonly<Config>,
  request: CompletionRequest,
): { classification: Classification; namedModel?: string } {
  const model = request.model;
  if (request.taskType) {
    return {
      classification: { task_type: request.taskType, confidence: 1, matched: [], source: 'given' },
      ...(model && !model.startsWith('auto') && { namedModel: model }),
    };
  }
  if (model?.startsWith('auto:')) {
    const alias = model.slice(5);
    const task = (taskFromAlias(alias) ?? alias) as TaskType;
    if (config.chains[task])
      return { classification: { task_type: task, confidence: 1, matched: [], source: 'given' } };
    throw new RmmError(
      'RMM_UNKNOWN_MODEL',
      `"${model}" names no task type; use auto or auto:<${Object.keys(config.chains).join('|')}>`,
    );
  }
  const text = request.prompt ?? request.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  const found = classifyTask(text);
  if (model && model !== 'auto') {
    // A named model: its chain is the first chain that holds it, else the classified task's chain.
    const home = Object.entries(config.chains).find(([, chain]) =>
      chain.some((e) => e.model === model),
    )?.[0] as TaskType | undefined;
    const task =
      found.confidence > 0 && config.chains[found.task_type]?.some((e) => e.model === model)
        ? found.task_type
        : (home ?? found.task_type);
    return {
      classification: {
        task_type: task,
        confidence: found.confidence,
        matched: found.matched,
        source: 'model',
      },
      namedModel: model,
    };
  }
  return {
    classification: { ...found, source: found.confidence > 0 ? 'classified' : 'default' },
  };
}

function withLateOptions(plan: SelectionPlan): PlannedAttempt[] {
  if (plan.late.length === 0) return plan.attempts;
  const tried = new Set(plan.attempts.map((a) => a.id));
  const best = plan.late.find((l) => !tried.has(l.id));
  return best ? [...plan.attempts, { ...best, outOfChain: false, named: false }] : plan.attempts;
}

/** How long the best late option may take: its own estimate with slack, bounded by the load timeout. */
function lateBudget(config: Readonly<Config>, expectedMs: number): number {
  return Math.min(
    config.load.timeout_s * 1000,
    Math.max(expectedMs * 2, config.deadlines.interactive_s * 1000),
  );
}

function acceptsNow(fleet: Fleet, id: string): boolean {
  return fleet.view(id)?.acceptsTraffic ?? false;
}

function base(attempt: PlannedAttempt, start: number, clock: Clock, retry: number) {
  return { model: attempt.model, host: attempt.host, latency_ms: clock.now() - start, retry };
}

function skipped(attempt: PlannedAttempt, why: string): AttemptDetail {
  return {
    model: attempt.model,
    host: attempt.host,
    outcome: 'skipped',
    error: why,
    latency_ms: 0,
    retry: 0,
  };
}

function reasonFor(
  plan: SelectionPlan,
  used: PlannedAttempt,
  details: AttemptDetail[],
  late: boolean,
): string {
  const failed = details.filter((d) => d.outcome !== 'success');
  if (failed.length === 0 && !late) return plan.reason;
  const what = failed.map((d) => `${d.model} ${d.outcome}${d.error ? ` (${d.error})` : ''}`).join('; ');
  return `${plan.reason} Then: ${what}; answered by ${used.model}${late ? ' after the deadline (best late option)' : ''}.`;
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve();
    const t = clock.setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clock.clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
