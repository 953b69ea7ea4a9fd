import { isValidName } from '../../../src/simulator/catalog.ts';
import { ndjsonStream, sendError, sendJson } from '../../../src/simulator/http-io.ts';
import { modelNotPulled, QUEUE_FULL } from '../../../src/simulator/ollama-errors.ts';
import {
  ChatRequest,
  GenerateRequest,
  type ModelRequestBody,
} from '../../../src/simulator/request-shapes.ts';
import { utcTimestamp } from '../../../src/simulator/time-format.ts';
import { type CompletionOutput, complete } from './completion.ts';
import { type EngineRequest, numberOption, parseBody } from './request.ts';

/**
 * POST /api/generate and POST /api/chat over a real model: Ollama's record shapes, NDJSON streaming by
 * default, load-only and unload requests, keep_alive, and real timings in nanoseconds (load_duration from
 * arrival until the model is ready, prompt_eval_* and eval_* from llama.cpp's own work).
 */

type Kind = 'generate' | 'chat';

/** The prompt template the engine applies to chat messages (shown by /api/show). */
export const CHAT_TEMPLATE = '{{- range .Messages }}{{ .Role }}: {{ .Content }}\n{{ end }}assistant: ';

export function handleGenerate(ctx: EngineRequest): Promise<void> {
  return handleNative(ctx, 'generate');
}

export function handleChat(ctx: EngineRequest): Promise<void> {
  return handleNative(ctx, 'chat');
}

async function handleNative(ctx: EngineRequest, kind: Kind): Promise<void> {
  const parsed = parseBody(ctx, kind === 'generate' ? GenerateRequest : ChatRequest);
  if (!parsed) return;
  const { body, keepAliveMs } = parsed;
  const requested = body.model ?? '';
  if (requested === '' || !isValidName(requested)) {
    return sendError(
      ctx.res,
      kind === 'chat' ? 400 : 404,
      kind === 'chat' ? 'model is required' : modelNotPulled(requested),
    );
  }
  const model = await ctx.engine.catalog.resolve(requested);
  if (!model) return sendError(ctx.res, 404, modelNotPulled(requested));
  const runner = ctx.engine.runner(model);
  const shape = new Shape(kind, requested);
  const empty = kind === 'generate' ? (body.prompt ?? '') === '' : (body.messages ?? []).length === 0;

  if (empty && keepAliveMs === 0) {
    runner.requestUnload();
    return sendJson(ctx.res, 200, shape.final('', 'unload'));
  }
  const contextTokens = body.context ?? [];
  const badToken = contextTokens.find((t) => !Number.isInteger(t) || t < 0 || t >= model.vocabSize);
  if (badToken !== undefined) {
    return sendError(ctx.res, 400, `context holds token ${badToken}, outside this model's vocabulary`);
  }
  if (ctx.engine.queued >= ctx.engine.settings.maxQueue) return sendError(ctx.res, 503, QUEUE_FULL);

  let leave: () => void;
  try {
    leave = await runner.enter(keepAliveMs, ctx.signal);
  } catch {
    return; // the client left while queued; nobody to answer
  }
  try {
    const numCtx = Math.min(
      numberOption(body.options, 'num_ctx') ?? ctx.engine.settings.defaultNumCtx,
      model.contextLength || Number.POSITIVE_INFINITY,
    );
    let loaded: Awaited<ReturnType<typeof runner.ensureLoaded>>;
    try {
      loaded = await runner.ensureLoaded(Math.max(16, Math.floor(numCtx)));
    } catch (err) {
      return sendError(ctx.res, 500, `llama runner process has terminated: ${(err as Error).message}`);
    }
    const loadNs = Math.round((performance.now() - ctx.startedAt) * 1e6);
    // Load-only answers are one JSON object with no metrics, even when streaming was asked for.
    if (empty) return sendJson(ctx.res, 200, shape.final('', 'load'));

    const stream = body.stream ?? true;
    const lines = ndjsonStream(ctx.res);
    const numPredict = numberOption(body.options, 'num_predict') ?? ctx.engine.settings.defaultNumPredict;
    const output = await complete(loaded, {
      contextTokens,
      prompt: kind === 'generate' ? generatePrompt(body) : chatPrompt(body),
      // Ollama: a negative num_predict means no limit (until the context is full).
      numPredict: numPredict < 0 ? Number.POSITIVE_INFINITY : numPredict,
      sampling: {
        temperature: numberOption(body.options, 'temperature') ?? 0.8,
        topK: numberOption(body.options, 'top_k') ?? 40,
        topP: numberOption(body.options, 'top_p') ?? 0.9,
        seed: numberOption(body.options, 'seed'),
      },
      signal: ctx.signal,
      gate: ctx.engine.gate,
      onText: (text) => {
        if (stream) lines.write([shape.chunk(text)]);
      },
    });
    if (ctx.signal.aborted) return;
    const final = { ...shape.contextField(body, output), ...metrics(ctx.startedAt, loadNs, output) };
    if (stream) {
      lines.write([shape.final('', output.doneReason, final)]);
      lines.end();
    } else {
      sendJson(ctx.res, 200, shape.final(output.text, output.doneReason, final));
    }
  } catch (err) {
    // After the first line this becomes one {"error"} record on the 200, as Ollama ends a broken stream.
    ndjsonStream(ctx.res).fail(500, (err as Error).message);
  } finally {
    leave();
  }
}

function generatePrompt(body: ModelRequestBody): string {
  if (body.raw) return body.prompt ?? '';
  return `${body.system ? `${body.system}\n` : ''}${body.prompt ?? ''}`;
}

function chatPrompt(body: ModelRequestBody): string {
  const lines = (body.messages ?? []).map((m) => `${m.role ?? ''}: ${m.content ?? ''}\n`);
  return `${lines.join('')}assistant: `;
}

/** Ollama leaves out metric fields whose value is zero. */
function metrics(startedAt: number, loadNs: number, out: CompletionOutput): Record<string, number> {
  const all: Record<string, number> = {
    total_duration: Math.round((performance.now() - startedAt) * 1e6),
    load_duration: loadNs,
    prompt_eval_count: out.promptTokens.length,
    prompt_eval_duration: out.promptEvalNs,
    eval_count: out.outputTokens.length,
    eval_duration: out.evalNs,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== 0));
}

/** The record shapes of the two endpoints (GenerateResponse, ChatResponse). */
class Shape {
  constructor(
    private readonly kind: Kind,
    private readonly model: string,
  ) {}

  chunk(text: string): Record<string, unknown> {
    const head = { model: this.model, created_at: utcTimestamp(Date.now()) };
    return this.kind === 'generate'
      ? { ...head, response: text, done: false }
      : { ...head, message: { role: 'assistant', content: text }, done: false };
  }

  final(text: string, doneReason: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const head = { model: this.model, created_at: utcTimestamp(Date.now()) };
    return this.kind === 'generate'
      ? { ...head, response: text, done: true, done_reason: doneReason, ...extra }
      : {
          ...head,
          message: { role: 'assistant', content: text },
          done_reason: doneReason,
          done: true,
          ...extra,
        };
  }

  /** Generate hands back the conversation as token ids (not in raw mode, never for chat). */
  contextField(body: ModelRequestBody, out: CompletionOutput): Record<string, unknown> {
    if (this.kind !== 'generate' || body.raw) return {};
    return { context: [...out.promptTokens, ...out.outputTokens] };
  }
}
