import type { Backend } from '../backend/backend.ts';
import { type Clock, sleep } from '../time/clock.ts';
import { clockSignal } from './clock-signal.ts';

/** Between two looks at /api/ps while an unload completes. */
const UNLOAD_POLL_MS = 20;
/** How long one /api/ps look may take while waiting for an unload (the whole wait has its own bound). */
const UNLOAD_LOOK_MS = 1000;

/**
 * What /api/ps says a freshly loaded model takes: the measurement planning uses from then on. Empty when
 * the host does not say in time (the load succeeded; its size is learned at the next reconciliation).
 */
export async function measuredSize(
  backend: Backend,
  model: string,
  clock: Clock,
  timeoutMs: number,
): Promise<{ sizeGb?: number; sizeVramGb?: number }> {
  const bound = clockSignal(clock, timeoutMs);
  try {
    const ps = await backend.ps(bound.signal);
    const entry = ps.find((m) => m.name === model || m.name === `${model}:latest`);
    return entry ? { sizeGb: entry.size / 1e9, sizeVramGb: entry.size_vram / 1e9 } : {};
  } catch {
    return {};
  } finally {
    bound.clear();
  }
}

/**
 * Ollama answers an unload at once but frees the memory only when the model's last request has finished
 * on its side, a moment after we saw the answer end. A load sent in that moment would not fit, and Ollama
 * would evict some other model to make room: this waits until /api/ps no longer lists the victim (bounded
 * by `signal`) before the load that needed the room goes out.
 */
export async function untilGone(
  backend: Backend,
  model: string,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    // Each look has its own short bound: listeners on the caller's signal would pile up over the polls.
    const look = clockSignal(clock, UNLOAD_LOOK_MS);
    let ps: Awaited<ReturnType<Backend['ps']>>;
    try {
      ps = await backend.ps(look.signal);
    } finally {
      look.clear();
    }
    if (!ps.some((e) => e.name === model)) return;
    await sleep(clock, UNLOAD_POLL_MS);
  }
}
