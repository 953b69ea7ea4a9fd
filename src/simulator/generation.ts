import type { SimClock, SimTimer } from './clock.ts';
import type { FaultBook } from './faults.ts';
import { RUNNER_ERROR } from './ollama-errors.ts';
import type { Runner } from './runner.ts';

/** Faults that act while tokens are produced, drawn once per request. */
export interface GenerationFaults {
  slowFactor: number;
  stallAfterFirstToken: boolean;
  cutAfterTokens?: number | undefined;
  errorAfterTokens?: { tokens: number; message: string } | undefined;
  garbage: boolean;
}

export function drawGenerationFaults(faults: FaultBook, model: string): GenerationFaults {
  const slow = faults.take('slow_tokens', model);
  const cut = faults.take('cut_stream', model);
  return {
    slowFactor: slow?.factor ?? 1,
    stallAfterFirstToken: faults.take('stall_after_first_token', model) !== undefined,
    cutAfterTokens: cut ? (cut.after_tokens ?? 1) : undefined,
    garbage: faults.take('garbage', model) !== undefined,
  };
}

/** How a generation ended: `cut` means destroy the socket, `error` means report `errorMessage`. */
export type GenerationEnd = 'done' | 'cut' | 'error' | 'aborted';

export interface GenerationResult {
  end: GenerationEnd;
  emitted: number;
  errorMessage?: string;
  /** Simulated nanoseconds, never below the nominal figure (sub-millisecond waits are not slept). */
  promptEvalNs: number;
  evalNs: number;
}

/** Prompt processing is taken to run ten times faster than generation. */
const PROMPT_SPEEDUP = 10;

/**
 * Produces `tokens` at the runner's pace (tokens_per_s, slowed by partial offload and slow_tokens).
 * Tokens due within the same millisecond are handed over together, so no timer ever waits less than
 * 1 ms. Resolves when done, cut, failed or aborted; a stalled stream resolves only on abort.
 */
export async function generate(opts: {
  clock: SimClock;
  runner: Runner;
  tokens: readonly string[];
  promptTokens: number;
  faults: GenerationFaults;
  signal: AbortSignal;
  onTokens(batch: string[]): void;
}): Promise<GenerationResult> {
  const { clock, runner, tokens, faults, signal } = opts;
  const tokenSimMs = (1000 / runner.model.spec.tokens_per_s) * runner.slowdown * faults.slowFactor;
  const promptSimMs = (opts.promptTokens * tokenSimMs) / PROMPT_SPEEDUP;
  const promptStart = clock.now();
  if (clock.real(promptSimMs) >= 1 && !(await clock.sleep(promptSimMs, signal))) {
    return { end: 'aborted', emitted: 0, promptEvalNs: 0, evalNs: 0 };
  }
  const promptEvalNs = Math.max(clock.simNs(clock.now() - promptStart), Math.round(promptSimMs * 1e6));

  let limit = tokens.length;
  let end: GenerationEnd = 'done';
  if (faults.stallAfterFirstToken) limit = Math.min(limit, 1);
  if (faults.cutAfterTokens !== undefined && faults.cutAfterTokens < limit) {
    limit = faults.cutAfterTokens;
    end = 'cut';
  }
  if (faults.errorAfterTokens && faults.errorAfterTokens.tokens < limit) {
    limit = faults.errorAfterTokens.tokens;
    end = 'error';
  }
  const evalStart = clock.now();
  const emitted = await pace(clock, tokens.slice(0, limit), clock.real(tokenSimMs), signal, opts.onTokens);
  const evalNs = Math.max(clock.simNs(clock.now() - evalStart), Math.round(emitted * tokenSimMs * 1e6));
  if (signal.aborted) return { end: 'aborted', emitted, promptEvalNs, evalNs };
  if (faults.stallAfterFirstToken && end === 'done') {
    // A hung runner: nothing more until the client gives up; the slot stays taken meanwhile.
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return { end: 'aborted', emitted, promptEvalNs, evalNs };
  }
  const result: GenerationResult = { end, emitted, promptEvalNs, evalNs };
  if (end === 'error') result.errorMessage = faults.errorAfterTokens?.message ?? RUNNER_ERROR;
  return result;
}

/** Hands tokens over on schedule; resolves with how many went out (fewer when aborted). */
function pace(
  clock: SimClock,
  tokens: readonly string[],
  intervalMs: number,
  signal: AbortSignal,
  onTokens: (batch: string[]) => void,
): Promise<number> {
  return new Promise((resolve) => {
    if (tokens.length === 0 || signal.aborted) return resolve(0);
    const start = clock.now();
    let sent = 0;
    let timer: SimTimer | undefined;
    const finish = () => {
      signal.removeEventListener('abort', onAbort);
      resolve(sent);
    };
    const onAbort = () => {
      clock.cancel(timer);
      finish();
    };
    const tick = () => {
      const due =
        intervalMs <= 0
          ? tokens.length
          : Math.min(tokens.length, Math.floor((clock.now() - start) / intervalMs));
      if (due > sent) {
        const batch = tokens.slice(sent, due);
        sent = due;
        onTokens(batch);
      }
      if (sent >= tokens.length || signal.aborted) return finish();
      timer = clock.afterReal(Math.max(1, start + (sent + 1) * intervalMs - clock.now()), tick);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    tick();
  });
}
