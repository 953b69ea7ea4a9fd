import type { RequestContext } from '../context.ts';
import { sendError, sendJson } from '../http-io.ts';
import { acquireRunner, metrics } from '../inference.ts';
import { QUEUE_FULL, RUNNER_ERROR } from '../ollama-errors.ts';
import { EmbeddingRequest, EmbedRequest } from '../request-shapes.ts';
import { countTokens, embedding } from '../text.ts';
import { bindBody, type Fail, findModel, keepAliveOf, numberOption } from './parse.ts';

/** POST /api/embed (current) and POST /api/embeddings (legacy, one vector). */

const DEFAULT_DIMENSIONS = 768;

export async function handleEmbed(ctx: RequestContext): Promise<void> {
  ctx.sim.counters.inference_requests_total++;
  const fail: Fail = (status, message) => sendError(ctx.res, status, message);
  const body = bindBody(ctx, EmbedRequest, fail);
  if (!body) return;
  const input = body.input;
  let inputs: string[];
  if (input === undefined || input === null) inputs = [];
  else if (typeof input === 'string') inputs = input === '' ? [] : [input];
  else if (Array.isArray(input) && input.every((s) => typeof s === 'string')) inputs = input as string[];
  else return fail(400, 'invalid input type');
  const requested = body.model ?? '';
  const model = findModel(ctx, requested, fail);
  if (!model) return;
  if (ctx.sim.faults.take('busy_503', model.name)) return fail(503, QUEUE_FULL);
  const http500 = ctx.sim.faults.take('http_500', model.name);
  if (http500) return fail(500, http500.message ?? RUNNER_ERROR);
  const numCtx = numberOption(body.options, 'num_ctx');
  const counts = inputs.map(countTokens);
  if (body.truncate === false && counts.some((n) => n > (numCtx ?? model.contextLength))) {
    return fail(400, 'the input length exceeds the context length');
  }
  const got = await acquireRunner(ctx, model, keepAliveOf(body), numCtx, fail);
  if (!got) return;
  const scheduler = ctx.sim.scheduler();
  try {
    await scheduler.takeSlot(got.runner, ctx.signal);
  } catch {
    scheduler.release(got.runner);
    return;
  }
  try {
    const dims = body.dimensions && body.dimensions > 0 ? body.dimensions : DEFAULT_DIMENSIONS;
    const promptTokens = counts.reduce((a, b) => a + b, 0);
    const { clock } = ctx.sim;
    // Embedding is prompt processing only: ten times the generation rate, as in generation.ts.
    const simMs = (promptTokens * 1000) / (model.spec.tokens_per_s * 10);
    if (clock.real(simMs) >= 1 && !(await clock.sleep(simMs, ctx.signal))) return;
    sendJson(ctx.res, 200, {
      model: requested,
      embeddings: inputs.map((text) => embedding(ctx.sim.seed, model.name, text, dims)),
      ...metrics({
        total_duration: clock.simNs(clock.now() - ctx.startedAt),
        load_duration: got.loadNs,
        prompt_eval_count: promptTokens,
        prompt_eval_duration: 0,
        eval_count: 0,
        eval_duration: 0,
      }),
    });
  } finally {
    scheduler.releaseSlot(got.runner);
    scheduler.release(got.runner);
  }
}

export async function handleEmbeddings(ctx: RequestContext): Promise<void> {
  ctx.sim.counters.inference_requests_total++;
  const fail: Fail = (status, message) => sendError(ctx.res, status, message);
  const body = bindBody(ctx, EmbeddingRequest, fail);
  if (!body) return;
  const requested = body.model ?? '';
  const model = findModel(ctx, requested, fail);
  if (!model) return;
  const got = await acquireRunner(ctx, model, keepAliveOf(body), undefined, fail);
  if (!got) return;
  try {
    const prompt = body.prompt ?? '';
    sendJson(ctx.res, 200, {
      embedding: prompt === '' ? [] : embedding(ctx.sim.seed, model.name, prompt, DEFAULT_DIMENSIONS),
    });
  } finally {
    ctx.sim.scheduler().release(got.runner);
  }
}
