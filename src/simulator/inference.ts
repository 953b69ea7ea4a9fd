import { type Answer, planAnswer, type SimToolCall, type TokenKind } from './answer.ts';
import type { CatalogModel } from './catalog.ts';
import type { RequestContext } from './context.ts';
import { drawGenerationFaults, type GenerationFaults, generate } from './generation.ts';
import { QUEUE_FULL, RUNNER_ERROR } from './ollama-errors.ts';
import type { Runner } from './runner.ts';
import { CancelledError, SchedulerError } from './scheduler-errors.ts';
import type { DoneReason } from './text.ts';

/**
 * The path every model request shares once its body is understood: request-level faults, the
 * scheduler (queue, load, eviction), a num_parallel slot, paced generation, and the metrics Ollama
 * reports. Routes only parse their request and shape their answer (a Presenter).
 */

export interface Metrics {
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** Ollama omits every metric whose value is zero. */
export function metrics(m: Required<Metrics>): Metrics {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(m) as Array<[keyof Metrics, number]>) if (v) out[k] = v;
  return out;
}

export interface CompletionSummary {
  /** The content (thinking and tool calls apart). */
  text: string;
  /** Content tokens. */
  tokens: string[];
  thinking: string;
  toolCalls: SimToolCall[];
  doneReason: DoneReason;
  promptTokens: number;
  metrics: Metrics;
}

export interface Presenter {
  stream: boolean;
  /** An error with its status: a JSON error before the answer started, an error record after. */
  fail(status: number, message: string): void;
  /** Streaming only: tokens as they come (never `call` tokens, which arrive whole through `calls`). */
  tokens(batch: Piece[]): void;
  /** Streaming only: the tool calls, once the model has finished writing them. */
  calls(calls: SimToolCall[]): void;
  done(summary: CompletionSummary): void;
  /** Load-only request (empty prompt or messages): the model is ready. */
  loaded(): void;
}

export interface Piece {
  kind: Exclude<TokenKind, 'call'>;
  text: string;
}

export interface CompletionPlan {
  model: CatalogModel;
  keepAliveMs: number | undefined;
  numCtx: number | undefined;
  /** Seeds the generated words. */
  promptText: string;
  /** Where the "What is A + B?" coherence hook looks. */
  question: string;
  promptTokens: number;
  numPredict: number | undefined;
  loadOnly: boolean;
  think?: unknown;
  tools?: unknown[] | undefined;
  lastMessage?: { role: string; content: string } | undefined;
  format?: unknown;
}

/**
 * Faults a request meets before it reaches the scheduler. undefined: the request was answered with an
 * error; otherwise an http_500 with after_tokens, if drawn, to be raised mid-generation.
 */
function frontFaults(
  ctx: RequestContext,
  model: string,
  presenter: Presenter,
): { http500?: { tokens: number; message: string } } | undefined {
  const { faults } = ctx.sim;
  if (faults.take('busy_503', model)) {
    presenter.fail(503, QUEUE_FULL);
    return undefined;
  }
  const http500 = faults.take('http_500', model);
  if (http500 && http500.after_tokens === undefined) {
    presenter.fail(500, http500.message ?? RUNNER_ERROR);
    return undefined;
  }
  return http500
    ? { http500: { tokens: http500.after_tokens ?? 0, message: http500.message ?? RUNNER_ERROR } }
    : {};
}

/** Takes a runner through the scheduler; on failure the presenter has answered and undefined is returned. */
export async function acquireRunner(
  ctx: RequestContext,
  model: CatalogModel,
  keepAliveMs: number | undefined,
  numCtx: number | undefined,
  fail: (status: number, message: string) => void,
): Promise<{ runner: Runner; loadNs: number } | undefined> {
  const { clock } = ctx.sim;
  try {
    const runner = await ctx.sim.scheduler().acquire({ model, keepAliveMs, numCtx, signal: ctx.signal });
    return { runner, loadNs: clock.simNs(clock.now() - ctx.startedAt) };
  } catch (err) {
    if (err instanceof SchedulerError) fail(err.status, err.message);
    else if (err instanceof CancelledError) fail(499, 'request canceled');
    else throw err;
    return undefined;
  }
}

export async function runCompletion(
  ctx: RequestContext,
  plan: CompletionPlan,
  presenter: Presenter,
): Promise<void> {
  const { sim } = ctx;
  const name = plan.model.name;
  const front = frontFaults(ctx, name, presenter);
  if (!front) return;
  const got = await acquireRunner(ctx, plan.model, plan.keepAliveMs, plan.numCtx, (s, m) =>
    presenter.fail(s, m),
  );
  if (!got) return;
  const scheduler = sim.scheduler();
  const { runner, loadNs } = got;
  try {
    if (plan.loadOnly) {
      presenter.loaded();
      return;
    }
    try {
      await scheduler.takeSlot(runner, ctx.signal);
    } catch {
      return; // client gone or host restarted while waiting for a slot
    }
    try {
      await complete(ctx, plan, presenter, runner, loadNs, {
        ...drawGenerationFaults(sim.faults, name),
        errorAfterTokens: front.http500,
      });
    } finally {
      scheduler.releaseSlot(runner);
    }
  } finally {
    scheduler.release(runner);
  }
}

async function complete(
  ctx: RequestContext,
  plan: CompletionPlan,
  presenter: Presenter,
  runner: Runner,
  loadNs: number,
  faults: GenerationFaults,
): Promise<void> {
  const { sim } = ctx;
  const answer = planAnswer({
    seed: sim.seed,
    model: plan.model,
    prompt: plan.promptText,
    question: plan.question,
    numPredict: plan.numPredict,
    think: plan.think,
    tools: plan.tools,
    lastMessage: plan.lastMessage,
    format: plan.format,
    garbage: faults.garbage,
  });
  let sent = 0;
  const result = await generate({
    clock: sim.clock,
    runner,
    tokens: answer.tokens,
    promptTokens: plan.promptTokens,
    faults,
    signal: ctx.signal,
    onTokens: (batch) => {
      const from = sent;
      sent += batch.length;
      if (presenter.stream) {
        const shown = pieces(answer, from, sent);
        if (shown.length > 0) presenter.tokens(shown);
      }
    },
  });
  switch (result.end) {
    case 'aborted':
      return;
    case 'cut':
      ctx.res.destroy();
      return;
    case 'error':
      presenter.fail(500, result.errorMessage ?? RUNNER_ERROR);
      return;
    case 'done': {
      const { clock } = sim;
      const totalNs = Math.max(
        clock.simNs(clock.now() - ctx.startedAt),
        loadNs + result.promptEvalNs + result.evalNs,
      );
      if (presenter.stream && answer.toolCalls.length > 0) presenter.calls(answer.toolCalls);
      const content = answer.tokens.filter((_, i) => answer.kinds[i] === 'content');
      presenter.done({
        text: content.join(''),
        tokens: content,
        thinking: answer.tokens.filter((_, i) => answer.kinds[i] === 'thinking').join(''),
        toolCalls: answer.toolCalls,
        doneReason: answer.doneReason,
        promptTokens: plan.promptTokens,
        metrics: metrics({
          total_duration: totalNs,
          load_duration: loadNs,
          prompt_eval_count: plan.promptTokens,
          prompt_eval_duration: result.promptEvalNs,
          eval_count: result.emitted,
          eval_duration: result.evalNs,
        }),
      });
    }
  }
}

/** The shown tokens in [from, to) of the answer, tagged with where they go. */
function pieces(answer: Answer, from: number, to: number): Piece[] {
  const out: Piece[] = [];
  for (let i = from; i < to; i++) {
    const kind = answer.kinds[i];
    if (kind && kind !== 'call') out.push({ kind, text: answer.tokens[i]! });
  }
  return out;
}
