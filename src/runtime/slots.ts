import type { CancelSignal } from '../manager/cancel-signal.ts';
import type { Clock } from '../time/clock.ts';
import type { Limiter } from './limiter.ts';

/** Our own queue for a model's slots was too long: load on the model, never a failure of it. */
export class SlotTimeoutError extends Error {
  override readonly name = 'SlotTimeoutError';
  constructor(readonly waitedMs: number) {
    super(`waited ${Math.round(waitedMs)} ms for a free slot on this model`);
  }
}

const noop = () => {};

/**
 * Takes one of a model's slots (Ollama's num_parallel, mirrored by our limiter) within `timeoutMs` on
 * `clock`, queued by `due` (the request's deadline, epoch ms; none queues last). Returns the release;
 * throws SlotTimeoutError when none came free in time (a slot granted after giving up is handed straight
 * back), or the signal's reason when the caller went away.
 */
export async function acquireSlot(
  limiter: Limiter | undefined,
  clock: Clock,
  timeoutMs: number,
  signal?: CancelSignal,
  due?: number,
): Promise<() => void> {
  if (!limiter) return noop;
  const pending = limiter.acquire(signal, due);
  if (typeof pending === 'function') return pending;
  let timedOut = false;
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(
      () => {
        timedOut = true;
        reject(new SlotTimeoutError(timeoutMs));
      },
      Math.max(1, timeoutMs),
    );
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
    clock.clearTimeout(timer);
  }
}
