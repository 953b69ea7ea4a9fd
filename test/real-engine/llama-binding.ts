import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The slice of node-llama-cpp the engine uses, behind our own interfaces. node-llama-cpp lives in a nested
 * package (test/real-engine/package.json) that `.ci/run` installs and a developer may not have: the root
 * typecheck must pass without it, and the suite must skip, not fail. So it is imported dynamically, and the
 * one assignment in `loadLlamaModule` checks these interfaces against its real declarations whenever the
 * nested package is installed (always in CI).
 */

/** node-llama-cpp's Token is a branded number; we only ever hand back what it gave us. */
export type Token = number;

export interface MemoryUse {
  ram: number;
  vram: number;
}

export interface EvaluateOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

export interface LlamaSequence {
  evaluate(tokens: Token[], options?: EvaluateOptions): AsyncGenerator<Token, void, void>;
  clearHistory(): Promise<void>;
}

export interface LlamaContext {
  readonly contextSize: number;
  readonly memoryUsage: MemoryUse;
  getSequence(): LlamaSequence;
  dispose(): Promise<void>;
}

export interface LlamaModel {
  readonly trainContextSize: number;
  readonly memoryUsage: MemoryUse;
  readonly tokens: { readonly bos: Token | null };
  tokenize(text: string): Token[];
  detokenize(tokens: readonly Token[]): string;
  isEogToken(token: Token | undefined): boolean;
  createContext(options: { contextSize: number; threads: number; sequences: number }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}

export interface Llama {
  loadModel(options: { modelPath: string; gpuLayers: number; useMmap: boolean }): Promise<LlamaModel>;
  dispose(): Promise<void>;
}

export interface GgufTensor {
  readonly name: string;
  readonly dimensions: ReadonlyArray<number | bigint>;
}

export interface GgufInfo {
  readonly version: number;
  /** Nested as node-llama-cpp parses it: `general.architecture` is `metadata.general.architecture`. */
  readonly metadata: object;
  readonly tensorInfo?: readonly GgufTensor[];
}

/** `Level` is node-llama-cpp's LlamaLogLevel enum, which a string literal cannot stand in for. */
export interface LlamaModule<Level = unknown> {
  LlamaLogLevel: { readonly error: Level };
  getLlama(options: {
    gpu: false;
    build: 'never';
    logLevel: Level;
    /** Where llama.cpp's own log lines go (by default, the console). */
    logger: (level: string, message: string) => void;
  }): Promise<Llama>;
  readGgufFileInfo(path: string, options: { logWarnings: boolean }): Promise<GgufInfo>;
}

const here = fileURLToPath(new URL('.', import.meta.url));

/** Whether the nested package is installed (`npm ci --omit=optional --prefix test/real-engine`). */
export function llamaInstalled(): boolean {
  return existsSync(`${here}node_modules/node-llama-cpp/package.json`);
}

export const INSTALL_HINT =
  'node-llama-cpp is not installed; run `npm ci --omit=optional --ignore-scripts --prefix test/real-engine`';

export async function loadLlamaModule(): Promise<LlamaModule> {
  if (!llamaInstalled()) throw new Error(INSTALL_HINT);
  // biome-ignore lint/suspicious/noTsIgnore: absent until the nested install; @ts-expect-error would then fail once it is there.
  // @ts-ignore -- resolves only with test/real-engine/node_modules present; without it the import is `any`.
  const real = await import('node-llama-cpp');
  // With the package present this call is where TypeScript checks our interfaces against the real ones.
  return conforming(real);
}

function conforming<Level>(module: LlamaModule<Level>): LlamaModule<Level> {
  return module;
}
