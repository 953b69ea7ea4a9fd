import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIG, type LlamaShape, TINY, writeLlamaModel } from './gguf/llama-model.ts';

/**
 * The models the real-engine tests run: GGUF files generated on the spot from seeded random weights, so
 * nothing is downloaded and every run sees the same bytes. The adapter serves `<file name>:latest`.
 */
export const MODELS = { tiny: TINY, big: BIG } as const satisfies Record<string, LlamaShape>;
export type ModelKey = keyof typeof MODELS;

/** Ollama names the adapter serves them under. */
export const TINY_MODEL = 'tiny:latest';
export const BIG_MODEL = 'big:latest';

/**
 * Writes the chosen models into `dir` unless a file of that name is already there (generation is
 * deterministic, so an existing file is the same file). Returns the paths written or found.
 */
export function ensureModels(dir: string, keys: readonly ModelKey[] = ['tiny', 'big']): string[] {
  mkdirSync(dir, { recursive: true });
  return keys.map((key) => {
    const path = join(dir, `${key}.gguf`);
    if (!existsNonEmpty(path)) writeLlamaModel(path, MODELS[key]);
    return path;
  });
}

function existsNonEmpty(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}

const generatorDir = fileURLToPath(new URL('./gguf/', import.meta.url));

/**
 * A folder in the system's temp dir named after a hash of the generator's own source: runs and test files
 * share the generated files, and any change to the generator gets a fresh folder instead of stale models.
 */
export function defaultModelDir(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(generatorDir).sort())
    hash.update(file).update(readFileSync(join(generatorDir, file)));
  hash.update(JSON.stringify(MODELS));
  return join(tmpdir(), `rmm-real-engine-models-${hash.digest('hex').slice(0, 12)}`);
}
