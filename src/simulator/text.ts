import { hash32, Prng } from './prng.ts';

/**
 * The simulated model's output: deterministic words from (seed, model, prompt). A prompt asking
 * "What is A + B?" is answered with the sum first, so a health probe can check coherence; the garbage
 * fault swaps the words for junk that never starts with a digit.
 */

const WORDS = [
  'the',
  'model',
  'answer',
  'is',
  'a',
  'simple',
  'result',
  'of',
  'careful',
  'thought',
  'and',
  'data',
  'we',
  'can',
  'see',
  'that',
  'this',
  'works',
  'well',
  'for',
  'most',
  'cases',
  'in',
  'practice',
  'memory',
  'load',
  'fast',
  'token',
  'stream',
  'response',
  'local',
  'server',
  'question',
  'clear',
  'value',
  'function',
  'returns',
  'here',
  'one',
  'two',
  'three',
  'because',
  'so',
  'then',
  'also',
  'every',
  'request',
  'gets',
  'useful',
  'output',
  'quickly',
  'under',
  'pressure',
  'with',
  'care',
] as const;

const JUNK = [
  '#',
  '@@',
  '¤',
  'qz',
  'xv',
  '%&',
  '~~',
  'ʘ',
  'ß',
  '}{',
  '¿',
  'ǂ',
  '^^',
  'ŧ',
  '¶',
  '|>',
] as const;

export type DoneReason = 'stop' | 'length';

export interface TextPlan {
  tokens: string[];
  doneReason: DoneReason;
}

export interface TextRequest {
  seed: number;
  model: string;
  prompt: string;
  /** Where the "What is A + B?" hook looks (the last user message); default: the prompt. */
  question?: string | undefined;
  /** options.num_predict; only a positive value caps the output. */
  numPredict?: number | undefined;
}

const SUM_QUESTION = /what\s+is\s+(-?\d+)\s*\+\s*(-?\d+)\s*\?/i;

export function planText(req: TextRequest): TextPlan {
  const rng = new Prng(hash32(req.seed, req.model, req.prompt));
  const natural = 16 + rng.int(33);
  const capped = req.numPredict !== undefined && Number.isFinite(req.numPredict) && req.numPredict > 0;
  const count = capped ? Math.floor(req.numPredict!) : natural;
  const tokens: string[] = [];
  const sum = SUM_QUESTION.exec(req.question ?? req.prompt);
  if (sum) tokens.push(String(BigInt(sum[1]!) + BigInt(sum[2]!)));
  while (tokens.length < count) {
    const word = rng.pick(WORDS);
    tokens.push(tokens.length === 0 ? capitalise(word) : ` ${word}`);
  }
  if (!capped && tokens.length > 1) tokens[tokens.length - 1] += '.';
  return { tokens: tokens.slice(0, count), doneReason: capped ? 'length' : 'stop' };
}

/** The same number of tokens, as incoherent junk (the garbage fault). */
export function garble(plan: TextPlan, seed: number, model: string): TextPlan {
  const rng = new Prng(hash32(seed, model, 'garbage', plan.tokens.join('')));
  const tokens = plan.tokens.map((_, i) => `${i === 0 ? '' : ' '}${rng.pick(JUNK)}${rng.pick(JUNK)}`);
  return { tokens, doneReason: plan.doneReason };
}

/** A rough token count (about four characters a token), never below 1 for non-empty text. */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

/** Token ids for the generate `context` field: stable per token text. */
export function tokenIds(texts: readonly string[]): number[] {
  return texts.map((t) => hash32('tok', t) % 128_000);
}

/** A unit-length embedding vector derived from (seed, model, text). */
export function embedding(seed: number, model: string, text: string, dimensions: number): number[] {
  const rng = new Prng(hash32(seed, model, 'embed', text));
  const v = Array.from({ length: dimensions }, () => rng.next() * 2 - 1);
  const norm = Math.sqrt(v.reduce((acc, x) => acc + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
