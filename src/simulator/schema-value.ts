import type { Prng } from './prng.ts';

/**
 * A value that conforms to a JSON schema, drawn from a seeded PRNG: what a model constrained by Ollama's
 * `format` (a grammar built from the schema) would produce. Covers the subset apps send in practice:
 * object/properties/required, string (with enum), number, integer (with minimum/maximum), boolean, null,
 * array/items (with minItems/maxItems), anyOf/oneOf (the first branch), const. Every property is filled,
 * not only the required ones, as constrained models usually do.
 */
export function schemaValue(schema: unknown, rng: Prng, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return rng.pick(s.enum);
  const branches = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) return schemaValue(branches[0], rng, depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'object':
      return objectValue(s, rng, depth);
    case 'array':
      return arrayValue(s, rng, depth);
    case 'string':
      return rng.pick(WORDS);
    case 'integer':
      return integerValue(s, rng);
    case 'number':
      return Math.round(numberIn(s, rng) * 100) / 100;
    case 'boolean':
      return rng.next() < 0.5;
    case 'null':
      return null;
    default:
      return s.properties ? objectValue(s, rng, depth) : rng.pick(WORDS);
  }
}

const WORDS = ['paris', 'blue', 'seven', 'river', 'lamp', 'north', 'quiet', 'stone'] as const;

function objectValue(s: Record<string, unknown>, rng: Prng, depth: number): Record<string, unknown> {
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(props)) out[key] = schemaValue(sub, rng, depth + 1);
  return out;
}

function arrayValue(s: Record<string, unknown>, rng: Prng, depth: number): unknown[] {
  const min = typeof s.minItems === 'number' ? s.minItems : 1;
  const max = typeof s.maxItems === 'number' ? s.maxItems : Math.max(min, 3);
  const n = min + rng.int(Math.max(0, max - min) + 1);
  return Array.from({ length: n }, () => schemaValue(s.items ?? { type: 'string' }, rng, depth + 1));
}

function numberIn(s: Record<string, unknown>, rng: Prng): number {
  const min = typeof s.minimum === 'number' ? s.minimum : 0;
  const max = typeof s.maximum === 'number' ? s.maximum : min + 100;
  return min + rng.next() * (max - min);
}

function integerValue(s: Record<string, unknown>, rng: Prng): number {
  const min = typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 0;
  const max = typeof s.maximum === 'number' ? Math.floor(s.maximum) : min + 100;
  return min + rng.int(Math.max(0, max - min) + 1);
}
