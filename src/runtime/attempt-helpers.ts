import type { Classification } from '../policy/errors.ts';
import type { PlannedAttempt } from '../policy/select.ts';
import { clockSignal } from './clock-signal.ts';
import type { JourneyDeps } from './journey-deps.ts';

/** Failures that may be the host's rather than the model's: nothing answered, or the connection broke. */
const HOST_LEVEL = new Set([
  'connection_refused',
  'connection_reset',
  'host_unreachable',
  'network',
  'timeout',
]);

export function hostLevel(info: Classification): boolean {
  return HOST_LEVEL.has(info.reason);
}

/**
 * A 404 "model not found" makes a model `missing` only if its host no longer lists it either: a host that
 * lists the model but answers 404 for it is failing, and flipping the model between missing and found at
 * every reconciliation would hide that.
 */
export async function confirmMissing(deps: JourneyDeps, attempt: PlannedAttempt): Promise<boolean> {
  const backend = deps.backends.get(attempt.host);
  if (!backend) return true;
  const bound = clockSignal(deps.clock, deps.config.host_health.probe_timeout_s * 1000);
  try {
    const tags = await backend.tags(bound.signal);
    return !tags.some((t) => t.name === attempt.model || t.name === `${attempt.model}:latest`);
  } catch {
    // The host cannot say: believe the 404.
    return true;
  } finally {
    bound.clear();
  }
}

/**
 * The time the model spent on an answer: how long the call to Ollama took (after our own waits for a load
 * and a slot) times the share of Ollama's own total (its queue, a load, prompt, generation) that was prompt
 * and generation. A share rather than Ollama's nanoseconds, because those are in the host's time: a
 * simulator running compressed time reports simulated durations, and our clock is the real one.
 */
export function serviceTimeMs(
  callMs: number,
  f: { total_duration?: number; prompt_eval_duration?: number; eval_duration?: number },
): number | undefined {
  if (f.eval_duration === undefined) return undefined;
  return shareOfCall(callMs, f.total_duration, f.eval_duration + (f.prompt_eval_duration ?? 0));
}

/** The wall time of one generated token: the call's generation share over eval_count (same reasoning). */
export function tokenTimeMs(
  callMs: number,
  f: { total_duration?: number; eval_duration?: number; eval_count?: number },
): number | undefined {
  if (f.eval_duration === undefined || f.eval_count === undefined || f.eval_count < 1) return undefined;
  const ms = shareOfCall(callMs, f.total_duration, f.eval_duration);
  return ms === undefined ? undefined : ms / f.eval_count;
}

/** `callMs` times the part of Ollama's total it says `partNs` took (at most all of it); undefined untimed. */
function shareOfCall(callMs: number, totalNs: number | undefined, partNs: number): number | undefined {
  if (totalNs === undefined || totalNs <= 0) return undefined;
  return callMs * Math.min(1, partNs / totalNs);
}
