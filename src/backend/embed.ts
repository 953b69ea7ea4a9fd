import type { Dispatcher } from 'undici';
import type { CancelSignal } from '../manager/cancel-signal.ts';
import { TimeoutError } from '../policy/errors.ts';
import { type Clock, systemClock } from '../time/clock.ts';
import { AttemptError } from './attempt-error.ts';
import { ollamaCall } from './ollama-call.ts';

export interface EmbedCall {
  model: string;
  input: string[];
  truncate?: boolean;
  dimensions?: number;
  options?: Record<string, unknown>;
  keepAlive?: string | number;
  signal?: CancelSignal;
  timeoutMs?: number;
}

export interface EmbedAnswer {
  embeddings: number[][];
  prompt_eval_count?: number;
  total_duration?: number;
  load_duration?: number;
}

/**
 * One embedding call to Ollama's /api/embed (the current API; the legacy /api/embeddings is served by our
 * HTTP layer on top of this). Errors are shaped like inference's, so the same taxonomy judges them.
 */
export async function runEmbed(
  dispatcher: Dispatcher,
  origin: string,
  call: EmbedCall,
  clock: Clock = systemClock,
): Promise<EmbedAnswer> {
  const body: Record<string, unknown> = { model: call.model, input: call.input };
  if (call.truncate !== undefined) body['truncate'] = call.truncate;
  if (call.dimensions !== undefined) body['dimensions'] = call.dimensions;
  if (call.options !== undefined) body['options'] = call.options;
  if (call.keepAlive !== undefined) body['keep_alive'] = call.keepAlive;
  const deadline = new AbortController();
  const timer =
    call.timeoutMs === undefined
      ? undefined
      : clock.setTimeout(
          () => deadline.abort(new TimeoutError(Math.round(call.timeoutMs!), 'connect')),
          Math.max(1, call.timeoutMs),
        );
  const callerLeft = () => deadline.abort(call.signal?.reason);
  call.signal?.addEventListener('abort', callerLeft, { once: true });
  try {
    return await ollamaCall<EmbedAnswer>(dispatcher, origin, 'POST', '/api/embed', body, deadline.signal);
  } catch (err) {
    const reason = deadline.signal.aborted && !call.signal?.aborted ? deadline.signal.reason : err;
    throw new AttemptError('connect', reason);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    call.signal?.removeEventListener('abort', callerLeft);
  }
}
