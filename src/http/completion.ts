import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CompletionRequest, CompletionResult, UpstreamChunk } from '../manager/completion.ts';
import type { RmmError } from '../manager/errors.ts';
import type { Manager } from '../manager/manager.ts';
import type { Metrics } from '../observability/metrics.ts';
import { withFields } from '../with-fields.ts';
import { clientSignal } from './client-gone.ts';
import { toRmmError } from './errors.ts';
import { headerText } from './header-text.ts';
import { firstChunkOrResult, LazyStream, sendStream } from './stream.ts';

/** What every completion route needs from the app. */
export interface CompletionDeps {
  manager: Manager;
  metrics: Metrics;
}

export type CompletionInput = Omit<CompletionRequest, 'onChunk' | 'signal' | 'requestId'>;

/**
 * Turns the manager's chunks into one API's stream format. `final` closes a successful stream,
 * `error` closes one that failed after its first chunk.
 */
export interface StreamEncoder {
  contentType: string;
  /** `raw`: the chunk's line as Ollama sent it, which an encoder of Ollama's own format may pass through. */
  chunk(chunk: UpstreamChunk, raw?: string): string;
  final(result: CompletionResult): string;
  error(err: RmmError): string;
}

/** The resilience metadata every answer carries (final stream record, body field, headers). */
export function rmmSummary(result: CompletionResult) {
  return {
    request_id: result.request_id,
    model_used: result.model_used,
    host: result.host,
    fallback_used: result.fallback_used,
    attempts: result.attempts,
    latency_ms: result.latency_ms,
    selection_reason: result.selection_reason,
    task_type: result.task_type,
    urgency: result.urgency,
  };
}

/** Free text goes through headerText: plain where it is legal header text, RFC 8187 where not. */
export function setResultHeaders(reply: FastifyReply, result: CompletionResult): void {
  reply.header('x-rmm-model-used', headerText(result.model_used));
  reply.header('x-rmm-host', headerText(result.host));
  reply.header('x-rmm-fallback-used', String(result.fallback_used));
  reply.header('x-rmm-attempts', String(result.attempts));
  reply.header('x-rmm-latency-ms', String(Math.round(result.latency_ms)));
  reply.header('x-rmm-task-type', result.task_type);
  reply.header('x-rmm-urgency', result.urgency);
  reply.header('x-rmm-selection-reason', headerText(result.selection_reason));
}

export async function completeOnce(
  deps: CompletionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  input: CompletionInput,
): Promise<CompletionResult> {
  const result = await deps.manager.complete(
    withFields(input, { requestId: request.id, signal: clientSignal(request, reply) }),
  );
  setResultHeaders(reply, result);
  return result;
}

/**
 * Runs a streamed completion. Rejects (→ normal error response) when the manager fails before the first
 * chunk; afterwards a failure becomes the encoder's error record, is logged and counted, and ends the stream.
 */
export async function completeStreaming(
  deps: CompletionDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  input: CompletionInput,
  encoder: StreamEncoder,
): Promise<FastifyReply> {
  const stream = new LazyStream();
  let firstModel: string | undefined;
  const work = deps.manager.complete(
    withFields(input, {
      requestId: request.id,
      signal: clientSignal(request, reply),
      onChunk: (chunk: UpstreamChunk, raw?: string) => {
        firstModel ??= chunk.model;
        // The done chunk is held back: the closing record adds the result's metadata to it.
        if (!chunk.done) stream.write(encoder.chunk(chunk, raw));
      },
    }),
  );
  const first = await firstChunkOrResult(work, stream);
  if (!first.started) {
    // Finished before any text chunk (an empty answer, or a manager that did not stream): send it whole.
    setResultHeaders(reply, first.result);
    const r = first.result;
    if (r.response || r.thinking || r.tool_calls?.length) stream.write(encoder.chunk(wholeChunk(r)));
    stream.end(encoder.final(first.result));
    return sendStream(reply, stream, encoder.contentType);
  }
  if (firstModel) reply.header('x-rmm-model-used', headerText(firstModel));
  work.then(
    (result) => stream.end(encoder.final(result)),
    (err: unknown) => {
      const e = toRmmError(err, request);
      if (e.code !== 'RMM_CANCELLED') {
        request.log.warn({ code: e.code, msg_detail: e.message }, 'stream failed after the first chunk');
        deps.metrics.streamErrors.inc({ route: request.routeOptions.url ?? 'unknown', code: e.code });
      }
      stream.end(encoder.error(e));
    },
  );
  return sendStream(reply, stream, encoder.contentType);
}

function wholeChunk(result: CompletionResult): UpstreamChunk {
  const message: NonNullable<UpstreamChunk['message']> = { role: 'assistant', content: result.response };
  if (result.thinking) message.thinking = result.thinking;
  if (result.tool_calls?.length) message.tool_calls = result.tool_calls;
  const chunk: UpstreamChunk = {
    model: result.model_used,
    created_at: result.final.created_at,
    response: result.response,
    message,
    done: false,
  };
  if (result.thinking) chunk.thinking = result.thinking;
  return chunk;
}
