import type { Config, TaskType, Urgency } from '../config/schema.ts';

/** The model an ideal (and the naive baseline) would use: the chain's highest quality entry. */
export function bestOf(config: Readonly<Config>, task: TaskType): { model: string; quality: number } {
  const chain = config.chains[task] ?? config.chains['general']!;
  return chain.reduce((best, e) => (e.quality > best.quality ? e : best), chain[0]!);
}

/**
 * Quality of `model` for `task`: its score in the task's chain; a model outside the chain (the service's
 * out-of-chain fallback) gets its score in the `general` chain, the chain the service falls back to, and
 * 0 when it is in neither.
 */
export function qualityOf(
  config: Readonly<Config>,
  task: TaskType,
  model: string,
): { quality: number; inChain: boolean } {
  const inChain = config.chains[task]?.find((e) => e.model === model);
  if (inChain) return { quality: inChain.quality, inChain: true };
  const general = config.chains['general']?.find((e) => e.model === model);
  return { quality: general?.quality ?? 0, inChain: false };
}

export function deadlineMsOf(config: Readonly<Config>, urgency: Urgency): number {
  return config.deadlines[`${urgency}_s`] * 1000;
}
