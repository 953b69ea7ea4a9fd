import type { SimToolCall } from '../answer.ts';
import type { RequestContext } from '../context.ts';
import { ndjsonStream, sendError, sendJson } from '../http-io.ts';
import {
  type CompletionPlan,
  type CompletionSummary,
  type Piece,
  type Presenter,
  runCompletion,
} from '../inference.ts';
import { ChatRequest, GenerateRequest, type ModelRequestBody } from '../request-shapes.ts';
import { countTokens, tokenIds } from '../text.ts';
import { utcTimestamp } from '../time-format.ts';
import { bindBody, capabilityError, type Fail, findModel, keepAliveOf, numberOption } from './parse.ts';

/** POST /api/generate and POST /api/chat: Ollama's native completion endpoints. */

const CONTEXT_TOO_LONG = 'the input length exceeds the context length';
/** Tokens a chat template adds per message. */
const PER_MESSAGE_TOKENS = 4;

export function handleGenerate(ctx: RequestContext): Promise<void> {
  return handleNative(ctx, 'generate');
}

export function handleChat(ctx: RequestContext): Promise<void> {
  return handleNative(ctx, 'chat');
}

async function handleNative(ctx: RequestContext, kind: 'generate' | 'chat'): Promise<void> {
  ctx.sim.counters.inference_requests_total++;
  const fail: Fail = (status, message) => sendError(ctx.res, status, message);
  const body = bindBody(ctx, kind === 'generate' ? GenerateRequest : ChatRequest, fail);
  if (!body) return;
  const requested = body.model ?? '';
  const model = findModel(
    ctx,
    requested,
    fail,
    kind === 'chat' ? () => fail(400, 'model is required') : undefined,
  );
  if (!model) return;
  const keepAliveMs = keepAliveOf(body);
  const messages = body.messages ?? [];
  const empty = kind === 'generate' ? (body.prompt ?? '') === '' : messages.length === 0;
  const shape = new NativeShape(kind, requested, body, () => ctx.sim.clock.wallNow());

  if (empty && keepAliveMs === 0) {
    ctx.sim.counters.unloads_requested++;
    ctx.sim.scheduler().requestUnload(model.name);
    sendJson(ctx.res, 200, shape.final('', 'unload'));
    return;
  }
  const unsupported = capabilityError(kind, body, model, requested);
  if (unsupported) return fail(400, unsupported);

  const promptText =
    kind === 'generate' ? `${body.system ?? ''}${body.prompt ?? ''}${body.suffix ?? ''}` : conversation(body);
  const promptTokens =
    kind === 'generate'
      ? countTokens(promptText) + (body.context?.length ?? 0) + (body.raw ? 0 : PER_MESSAGE_TOKENS)
      : messages.reduce((n, m) => n + countTokens(m.content ?? '') + PER_MESSAGE_TOKENS, 0);
  const numCtx = numberOption(body.options, 'num_ctx');
  if (body.truncate === false && promptTokens > (numCtx ?? model.contextLength))
    return fail(400, CONTEXT_TOO_LONG);

  const plan: CompletionPlan = {
    model,
    keepAliveMs,
    numCtx,
    promptText,
    question: kind === 'generate' ? (body.prompt ?? '') : lastUserMessage(body),
    promptTokens,
    numPredict: numberOption(body.options, 'num_predict'),
    loadOnly: empty,
    think: body.think,
    format: body.format,
    tools: kind === 'chat' ? (body.tools ?? undefined) : undefined,
    lastMessage: lastMessage(body),
  };
  await runCompletion(ctx, plan, shape.presenter(ctx, body.stream ?? true, promptText));
}

function conversation(body: ModelRequestBody): string {
  return (body.messages ?? []).map((m) => `${m.role ?? ''}: ${m.content ?? ''}`).join('\n');
}

function lastMessage(body: ModelRequestBody): { role: string; content: string } | undefined {
  const last = body.messages?.[body.messages.length - 1];
  return last ? { role: last.role ?? '', content: last.content ?? '' } : undefined;
}

function lastUserMessage(body: ModelRequestBody): string {
  const users = (body.messages ?? []).filter((m) => m.role === 'user');
  return users[users.length - 1]?.content ?? '';
}

/** The record shapes of the two endpoints (GenerateResponse, ChatResponse). */
class NativeShape {
  constructor(
    private readonly kind: 'generate' | 'chat',
    private readonly model: string,
    private readonly body: ModelRequestBody,
    private readonly wallNow: () => number,
  ) {}

  /** A streamed record: some content or thinking, or the tool calls. */
  chunk(piece: Piece | undefined, calls?: SimToolCall[]): Record<string, unknown> {
    const head = { model: this.model, created_at: utcTimestamp(this.wallNow()) };
    const text = piece?.kind === 'content' ? piece.text : '';
    const thinking = piece?.kind === 'thinking' ? { thinking: piece.text } : {};
    return this.kind === 'generate'
      ? { ...head, response: text, ...thinking, done: false }
      : { ...head, message: this.message(text, thinking, calls), done: false };
  }

  final(text: string, doneReason: string, extra: Record<string, unknown> = {}, s?: CompletionSummary) {
    const head = { model: this.model, created_at: utcTimestamp(this.wallNow()) };
    const thinking = s?.thinking ? { thinking: s.thinking } : {};
    return this.kind === 'generate'
      ? { ...head, response: text, ...thinking, done: true, done_reason: doneReason, ...extra }
      : {
          ...head,
          message: this.message(text, thinking, s?.toolCalls),
          done_reason: doneReason,
          done: true,
          ...extra,
        };
  }

  /** Ollama's api.Message: thinking and tool_calls only when there are some. */
  private message(content: string, thinking: { thinking?: string }, calls?: SimToolCall[]) {
    const toolCalls =
      calls && calls.length > 0
        ? {
            tool_calls: calls.map((c) => ({
              id: c.id,
              function: { index: c.index, name: c.name, arguments: c.arguments },
            })),
          }
        : {};
    return { role: 'assistant', content, ...thinking, ...toolCalls };
  }

  presenter(ctx: RequestContext, stream: boolean, promptText: string): Presenter {
    const lines = ndjsonStream(ctx.res);
    const finalFields = (s: CompletionSummary) => {
      // Generate hands back the conversation so far as token ids, except in raw mode.
      const context =
        this.kind === 'generate' && !this.body.raw
          ? {
              context: [
                ...(this.body.context ?? []),
                ...tokenIds(chunksOf(promptText)),
                ...tokenIds(s.tokens),
              ],
            }
          : {};
      return { ...context, ...s.metrics };
    };
    return {
      stream,
      fail: (status, message) => (stream ? lines.fail(status, message) : sendError(ctx.res, status, message)),
      tokens: (batch) => lines.write(batch.map((p) => this.chunk(p))),
      calls: (calls) => lines.write([this.chunk(undefined, calls)]),
      done: (s) => {
        if (stream) {
          lines.write([this.final('', s.doneReason, finalFields(s))]);
          lines.end();
        } else {
          sendJson(ctx.res, 200, this.final(s.text, s.doneReason, finalFields(s), s));
        }
      },
      // Load-only answers are a single JSON object even when streaming was asked for.
      loaded: () => sendJson(ctx.res, 200, this.final('', 'load')),
    };
  }
}

function chunksOf(text: string): string[] {
  return text.match(/[\s\S]{1,4}/g) ?? [];
}
