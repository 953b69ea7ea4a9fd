import type { TaskType, Urgency } from '../config/schema.ts';

/**
 * The words of `selection_reason`. Built per request, so plain concatenation only: no Date objects,
 * no Intl, no regex.
 */

/** "~350 ms", "~1.2 s", "~35 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `~${Math.round(ms)} ms`;
  if (ms < 10_000) return `~${Math.round(ms / 100) / 10} s`;
  return `~${Math.round(ms / 1000)} s`;
}

/** Wall-clock time of day in UTC, hh:mm:ss, from epoch milliseconds. */
export function formatClock(epochMs: number): string {
  const day = Math.floor(epochMs / 1000) % 86_400;
  const s = day < 0 ? day + 86_400 : day;
  return `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

export function deadlineWords(deadlineMs: number, urgency: Urgency): string {
  return `${formatDuration(deadlineMs).slice(1)} ${urgency} deadline`;
}

export function openDetail(openUntil: number | null, now: number): string {
  if (openUntil === null) return 'circuit open';
  return `circuit open until ${formatClock(openUntil)} (${formatDuration(Math.max(0, openUntil - now))} left)`;
}

/** What makes a candidate too slow: the load it needs, the queue ahead of it, or the answer itself. */
export type SlowCause = 'load' | 'queue' | 'answer';

/** Why a candidate that accepts traffic cannot answer by the deadline. */
export function slowDetail(
  cause: SlowCause,
  loadMs: number,
  loading: boolean,
  waitMs: number,
  genMs: number,
  offloaded: boolean,
  deadlineMs: number,
  deadline: string,
): string {
  const total = loadMs + waitMs + genMs;
  if (cause === 'load') {
    const head = loading
      ? `still loading, ${formatDuration(loadMs)} left`
      : `not loaded, load takes ${formatDuration(loadMs)}`;
    return loadMs > deadlineMs
      ? `${head} > ${deadline}`
      : `${head}, ${formatDuration(total)} expected > ${deadline}`;
  }
  if (cause === 'queue') {
    return `busy, ${formatDuration(waitMs)} queue wait, ${formatDuration(total)} expected > ${deadline}`;
  }
  const slow = offloaded ? ' (partially offloaded, slow)' : '';
  return loadMs > 0
    ? `${formatDuration(total)} expected: load ${formatDuration(loadMs)}, answer ${formatDuration(genMs)}${slow} > ${deadline}`
    : `answer takes ${formatDuration(genMs + waitMs)}${slow} > ${deadline}`;
}

export interface ChosenWords {
  name: string;
  quality: number;
  expectedMs: number;
  needsLoad: boolean;
  loading: boolean;
  named: boolean;
  outOfChain: boolean;
}

export function chosenWords(c: ChosenWords, taskType: TaskType, deadline: string): string {
  const state = c.loading ? 'loading' : c.needsLoad ? 'needs a load' : 'loaded';
  const facts = `quality ${c.quality}, ${state}, ${formatDuration(c.expectedMs)} expected`;
  if (c.named) return `chose ${c.name} as requested (${facts})`;
  if (c.outOfChain)
    return `no ${taskType} model can answer within the ${deadline}, so answering out of chain from ${c.name} (${state}, ${formatDuration(c.expectedMs)} expected)`;
  return `chose ${c.name} (${facts})`;
}
