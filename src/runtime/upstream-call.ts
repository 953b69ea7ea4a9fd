import type { Backend } from '../backend/backend.ts';
import type { InferenceCall, InferenceResult } from '../backend/inference.ts';
import type { CompletionRequest } from '../manager/completion.ts';

/**
 * A request on its way through the journey: a completion, or (with `embed`) an embedding, which takes the
 * same journey — selection, loads, retries, fallbacks — through the `embed` chain.
 */
export interface JourneyRequest extends CompletionRequest {
  embed?: { input: string[]; truncate?: boolean; dimensions?: number };
}

/**
 * The call to one model: every field of the request Ollama should see, as the caller sent it (model and
 * keep_alive are ours), plus the attempt's own bounds, built as one object (this runs on every request).
 */
export function upstreamCall(
  r: CompletionRequest,
  model: string,
  attempt: Pick<InferenceCall, 'keepAlive' | 'timeoutMs' | 'idleTimeoutMs' | 'onChunk'>,
): InferenceCall {
  const call: InferenceCall = { kind: r.kind, model, ...attempt };
  if (r.signal) call.signal = r.signal;
  if (r.prompt !== undefined) call.prompt = r.prompt;
  if (r.messages) call.messages = r.messages;
  if (r.system !== undefined) call.system = r.system;
  if (r.options) call.options = r.options;
  if (r.format !== undefined) call.format = r.format;
  if (r.tools !== undefined) call.tools = r.tools;
  if (r.think !== undefined) call.think = r.think;
  if (r.suffix !== undefined) call.suffix = r.suffix;
  if (r.images !== undefined) call.images = r.images;
  if (r.raw !== undefined) call.raw = r.raw;
  if (r.template !== undefined) call.template = r.template;
  if (r.context !== undefined) call.context = r.context;
  if (r.extra !== undefined) call.extra = r.extra;
  return call;
}

/** An embedding call, its answer shaped like an inference's so the journey treats both alike. */
export async function embedCall(
  backend: Backend,
  request: JourneyRequest,
  model: string,
  timeoutMs: number,
  keepAlive: string | number,
): Promise<InferenceResult> {
  const e = request.embed!;
  const answer = await backend.embed({
    model,
    input: e.input,
    keepAlive,
    timeoutMs,
    ...(e.truncate !== undefined && { truncate: e.truncate }),
    ...(e.dimensions !== undefined && { dimensions: e.dimensions }),
    ...(request.options && { options: request.options }),
    ...(request.signal && { signal: request.signal }),
  });
  const final: InferenceResult['final'] = { model, created_at: new Date(0).toISOString(), done: true };
  if (answer.prompt_eval_count !== undefined) final.prompt_eval_count = answer.prompt_eval_count;
  if (answer.total_duration !== undefined) final.total_duration = answer.total_duration;
  if (answer.load_duration !== undefined) final.load_duration = answer.load_duration;
  return { text: '', final, chunks: 1, embeddings: answer.embeddings };
}
