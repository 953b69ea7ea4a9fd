import type { ChainEntry } from '../config/schema.ts';

/**
 * Fallback chains built from the models a fleet actually has, for the task types a config names no
 * (usable) chain for. Pure: the runtime calls it whenever discovery changes the catalog, and shows each
 * chain with the rule that built it (`rmm chains`, status).
 *
 * Quality estimate (0..1), documented because it orders every built chain:
 *   base(size) = 0.3 + 0.15 × log2(parameters in billions), clamped to [0.3, 0.9]
 *     (1B 0.3, 3B 0.54, 8B 0.75, 14B 0.87, 32B and up 0.9): bigger models answer better, with diminishing
 *     returns; parameters come from /api/show's parameter_size, else from the size on disk;
 *   + 0.08 for the task's speciality: a code family (coder, code, starcoder, codestral...) or the `insert`
 *     capability for code tasks; the `thinking` capability for reasoning; and × 0.85 for a model without
 *     it on such a task (a general model writes code less well than its size suggests). The chain is in
 *     quality order, the same order selection ranks by: a 7B coder (0.82) leads a 14B general model (0.74)
 *     on code, while a 32B general model (0.77) still outranks a 1.5B coder (0.47);
 *   fast_response ranks by speed instead (smallest first), complex by size alone (biggest first).
 * Embedding models go only into the `embed` chain, and never into a chat chain.
 */

export interface CatalogModel {
  name: string;
  /** Weights on disk, GB. */
  sizeGb: number;
  parameterSize?: string | undefined;
  family?: string | undefined;
  capabilities?: readonly string[] | undefined;
}

export interface BuiltChain {
  chain: ChainEntry[];
  rule: string;
}

const CODE_NAME = /cod(e|er|estral)|starcoder|codellama|codegemma|granite-code|devstral/i;

/** Parameters in billions, from "8.0B", "164K", "24.25M", or guessed from the size at ~4.5 bits each. */
export function parametersB(m: CatalogModel): number {
  const match = /^\s*([\d.]+)\s*([KMBT])?/i.exec(m.parameterSize ?? '');
  if (match) {
    const unit = { K: 1e-6, M: 1e-3, B: 1, T: 1e3 }[(match[2] ?? 'B').toUpperCase() as 'K' | 'M' | 'B' | 'T'];
    const n = Number(match[1]) * unit;
    if (n > 0) return n;
  }
  return Math.max(0.001, (m.sizeGb * 8) / 4.5);
}

export function isEmbedding(m: CatalogModel): boolean {
  const caps = m.capabilities ?? [];
  return caps.includes('embedding') && !caps.includes('completion');
}

export function isCodeModel(m: CatalogModel): boolean {
  return (
    CODE_NAME.test(m.name) || CODE_NAME.test(m.family ?? '') || (m.capabilities ?? []).includes('insert')
  );
}

export function baseQuality(m: CatalogModel): number {
  const q = 0.3 + 0.15 * Math.log2(Math.max(parametersB(m), 1e-3));
  return round2(Math.min(0.9, Math.max(0.3, q)));
}

type Rule = { rule: string; special?: (m: CatalogModel) => boolean; score: (m: CatalogModel) => number };

const thinks = (m: CatalogModel) => (m.capabilities ?? []).includes('thinking');

const RULES: Record<string, Rule> = {
  code_generation: {
    rule: 'code models (code family or the insert capability) ahead of general models of their size, by quality',
    special: isCodeModel,
    score: baseQuality,
  },
  code_review: {
    rule: 'code models ahead of general models of their size, by quality',
    special: isCodeModel,
    score: baseQuality,
  },
  reasoning: {
    rule: 'models with the thinking capability ahead of general models of their size, by quality',
    special: thinks,
    score: baseQuality,
  },
  complex: { rule: 'the biggest general models first', score: baseQuality },
  fast_response: {
    rule: 'the smallest (fastest) models first',
    score: (m) => round2(1 - Math.min(0.7, Math.log2(1 + m.sizeGb) / 6)),
  },
  simple: { rule: 'general models by size', score: baseQuality },
  creative: { rule: 'general models by size', score: baseQuality },
  general: { rule: 'general models by size', score: baseQuality },
};

/** The chain for one task type from the models there are (at most `max` entries). */
export function buildChain(task: string, models: readonly CatalogModel[], max = 5): BuiltChain {
  if (task === 'embed') {
    const embed = models.filter(isEmbedding).sort((a, b) => b.sizeGb - a.sizeGb || byName(a, b));
    return {
      chain: embed.slice(0, max).map((m) => ({ model: m.name, quality: baseQuality(m) })),
      rule: 'embedding models, biggest first',
    };
  }
  const rule = RULES[task] ?? RULES['general']!;
  const chat = models.filter((m) => !isEmbedding(m));
  const scored = chat
    .map((m) => {
      const special = rule.special?.(m) === true;
      const base = rule.score(m);
      const q = !rule.special ? base : special ? base + 0.08 : base * 0.85;
      return { m, special, q: round2(Math.min(1, q)) };
    })
    // Quality first, so the chain reads in the order selection will rank it.
    .sort(
      (a, b) =>
        b.q - a.q || Number(b.special) - Number(a.special) || a.m.sizeGb - b.m.sizeGb || byName(a.m, b.m),
    );
  return { chain: scored.slice(0, max).map(({ m, q }) => ({ model: m.name, quality: q })), rule: rule.rule };
}

function byName(a: CatalogModel, b: CatalogModel): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
