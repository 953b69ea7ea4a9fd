import type { CompletionResult } from '../manager/completion.ts';
import type { EmbedRequest, EmbedResult } from '../manager/embedding.ts';
import type { JourneyRequest } from './upstream-call.ts';

/**
 * An embedding request travels the same journey as a completion (selection, retries, fallbacks): this is
 * the journey's request made from it, and the embedding answer made from the journey's result.
 */
export async function runEmbed(
  run: (request: JourneyRequest) => Promise<CompletionResult>,
  req: EmbedRequest,
): Promise<EmbedResult> {
  const m = req.model;
  const r = await run({
    kind: 'generate',
    ...(m !== undefined && { model: m }),
    embed: {
      input: req.input,
      ...(req.truncate !== undefined && { truncate: req.truncate }),
      ...(req.dimensions !== undefined && { dimensions: req.dimensions }),
    },
    ...(req.options && { options: req.options }),
    ...(req.requestId && { requestId: req.requestId }),
    ...(req.signal && { signal: req.signal }),
  });
  return {
    request_id: r.request_id,
    model_used: r.model_used,
    host: r.host,
    embeddings: r.embeddings ?? [],
    fallback_used: r.fallback_used,
    attempts: r.attempts,
    latency_ms: r.latency_ms,
    selection_reason: r.selection_reason,
    attempts_detail: r.attempts_detail,
    ...(r.final.prompt_eval_count !== undefined && { prompt_eval_count: r.final.prompt_eval_count }),
    ...(r.final.total_duration !== undefined && { total_duration: r.final.total_duration }),
    ...(r.final.load_duration !== undefined && { load_duration: r.final.load_duration }),
  };
}
