import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { normaliseName } from '../../../src/simulator/catalog.ts';
import type { GgufInfo, LlamaModule } from '../llama-binding.ts';

/**
 * The GGUF files in the engine's folder, described as Ollama describes its models: `<file name>:latest`,
 * the file's size and sha256, and details read from the file's own header (architecture, context length,
 * parameter count, file type). Rescanned on every listing, as Ollama re-reads its manifests; a file's
 * header and digest are read once per (size, mtime).
 */

export interface EngineModel {
  name: string;
  path: string;
  sizeBytes: number;
  modifiedAtMs: number;
  /** sha256 of the whole file, bare hex (as /api/tags shows it). */
  digest: string;
  architecture: string;
  contextLength: number;
  vocabSize: number;
  parameterCount: number;
  fileType: number;
  /** Scalar metadata under Ollama's dotted keys; arrays (the vocabulary) left out, as Ollama does. */
  modelInfo: Record<string, string | number | boolean>;
}

/** llama_ftype → the quantization_level Ollama shows. */
const FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  32: 'BF16',
};

export function quantizationLevel(fileType: number): string {
  return FILE_TYPES[fileType] ?? 'unknown';
}

/** Ollama's format.HumanNumber: "8B", "1.5B", "24.25M", "164K". */
export function humanNumber(n: number): string {
  const whole = (x: number) => x === Math.floor(x);
  if (n >= 1e9) return whole(n / 1e9) ? `${n / 1e9}B` : `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return whole(n / 1e6) ? `${n / 1e6}M` : `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)}K`;
  return String(n);
}

/** Ollama's details block for /api/tags, /api/ps and /api/show. */
export function detailsOf(model: EngineModel) {
  return {
    parent_model: '',
    format: 'gguf',
    family: model.architecture,
    families: [model.architecture],
    parameter_size: humanNumber(model.parameterCount),
    quantization_level: quantizationLevel(model.fileType),
  };
}

/** node-llama-cpp's nested metadata → Ollama's flat `general.architecture`-style keys, scalars only. */
function flatten(node: object, prefix: string, out: Record<string, string | number | boolean>): void {
  for (const [key, value] of Object.entries(node)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[path] = value;
    } else if (typeof value === 'bigint') {
      out[path] = Number(value);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flatten(value, path, out);
    }
  }
}

function arrayLength(node: object, ...path: string[]): number {
  let at: unknown = node;
  for (const key of path) at = (at as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(at) ? at.length : 0;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function describe(path: string, sizeBytes: number, modifiedAtMs: number, info: GgufInfo, digest: string) {
  const modelInfo: Record<string, string | number | boolean> = {};
  flatten(info.metadata, '', modelInfo);
  const architecture = String(modelInfo['general.architecture'] ?? 'unknown');
  const parameterCount = (info.tensorInfo ?? []).reduce(
    (sum, t) => sum + t.dimensions.reduce<number>((a, d) => a * Number(d), 1),
    0,
  );
  modelInfo['general.parameter_count'] = parameterCount;
  const vocabSize =
    Number(modelInfo[`${architecture}.vocab_size`] ?? 0) ||
    arrayLength(info.metadata, 'tokenizer', 'ggml', 'tokens');
  return {
    name: normaliseName(basename(path, '.gguf')),
    path,
    sizeBytes,
    modifiedAtMs,
    digest,
    architecture,
    contextLength: Number(modelInfo[`${architecture}.context_length`] ?? 0),
    vocabSize,
    parameterCount,
    fileType: Number(modelInfo['general.file_type'] ?? -1),
    modelInfo,
  } satisfies EngineModel;
}

export class EngineCatalog {
  private readonly known = new Map<string, { key: string; model: EngineModel }>();

  constructor(
    private readonly dir: string,
    private readonly llama: LlamaModule,
  ) {}

  /** Newest first, as /api/tags lists them. */
  async list(): Promise<EngineModel[]> {
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.gguf')).sort();
    const models: EngineModel[] = [];
    for (const file of files) {
      const model = await this.read(join(this.dir, file));
      if (model) models.push(model);
    }
    for (const path of this.known.keys()) {
      if (!models.some((m) => m.path === path)) this.known.delete(path);
    }
    return models.sort((a, b) => b.modifiedAtMs - a.modifiedAtMs || a.name.localeCompare(b.name));
  }

  /** The model under this name ("tiny" means "tiny:latest"), if its file is in the folder. */
  async resolve(name: string): Promise<EngineModel | undefined> {
    const wanted = normaliseName(name);
    return (await this.list()).find((m) => m.name === wanted);
  }

  private async read(path: string): Promise<EngineModel | undefined> {
    let facts: { size: number; mtimeMs: number };
    try {
      facts = await stat(path);
    } catch {
      return undefined; // removed between readdir and stat
    }
    const key = `${facts.size}:${facts.mtimeMs}`;
    const cached = this.known.get(path);
    if (cached?.key === key) return cached.model;
    const info = await this.llama.readGgufFileInfo(path, { logWarnings: false });
    const model = describe(path, facts.size, facts.mtimeMs, info, await sha256(path));
    this.known.set(path, { key, model });
    return model;
  }
}
