import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIG, parameterCount, TINY, writeLlamaModel } from './gguf/llama-model.ts';
import { buildVocabulary, TokenType } from './gguf/vocab.ts';
import { ALIGNMENT } from './gguf/writer.ts';
import { loadLlamaModule } from './llama-binding.ts';
import { defaultModelDir, ensureModels } from './models.ts';
import { realEngineAvailable } from './suite.ts';

/**
 * A minimal GGUF walker, written from the spec independently of the writer: it checks the layout (every
 * length, every offset, the alignment, the data section filling the file exactly) rather than trusting the
 * writer's own arithmetic.
 */
function walk(file: Buffer) {
  let at = 0;
  const u32 = () => {
    at += 4;
    return file.readUInt32LE(at - 4);
  };
  const u64 = () => {
    at += 8;
    return Number(file.readBigUInt64LE(at - 8));
  };
  const str = () => {
    const n = u64();
    at += n;
    return file.toString('utf8', at - n, at);
  };
  const SIZES: Record<number, number> = {
    0: 1,
    1: 1,
    2: 2,
    3: 2,
    4: 4,
    5: 4,
    6: 4,
    7: 1,
    10: 8,
    11: 8,
    12: 8,
  };
  const skipValue = (type: number): unknown => {
    if (type === 8) return str();
    if (type === 9) {
      const inner = u32();
      const n = u64();
      for (let i = 0; i < n; i++) skipValue(inner);
      return n;
    }
    const size = SIZES[type];
    if (size === undefined) throw new Error(`unknown value type ${type} at ${at}`);
    at += size;
    return type === 4 ? file.readUInt32LE(at - 4) : undefined;
  };
  const magic = file.toString('ascii', 0, 4);
  at = 4;
  const version = u32();
  const tensorCount = u64();
  const kvCount = u64();
  const meta = new Map<string, unknown>();
  for (let i = 0; i < kvCount; i++) {
    const key = str();
    meta.set(key, skipValue(u32()));
  }
  const tensors: Array<{ name: string; dims: number[]; type: number; offset: number }> = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = str();
    const dims = Array.from({ length: u32() }, u64);
    tensors.push({ name, dims, type: u32(), offset: u64() });
  }
  const dataStart = Math.ceil(at / ALIGNMENT) * ALIGNMENT;
  return { magic, version, meta, tensors, dataStart };
}

const scratch = mkdtempSync(join(tmpdir(), 'rmm-gguf-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('GGUF generator', () => {
  it('writes a well-formed GGUF v3 file: aligned tensors that exactly fill the data section', () => {
    const path = join(scratch, 'tiny.gguf');
    const size = writeLlamaModel(path, TINY);
    const file = readFileSync(path);
    expect(file.length).toBe(size);
    const gguf = walk(file);
    expect(gguf.magic).toBe('GGUF');
    expect(gguf.version).toBe(3);
    expect(gguf.meta.get('general.alignment')).toBe(ALIGNMENT);
    expect(gguf.meta.get('llama.block_count')).toBe(TINY.layers);
    let expectedOffset = 0;
    for (const t of gguf.tensors) {
      expect(t.type, t.name).toBe(0); // F32
      expect(t.offset, t.name).toBe(expectedOffset);
      expect(t.offset % ALIGNMENT, t.name).toBe(0);
      const bytes = t.dims.reduce((a, b) => a * b, 4);
      expectedOffset = Math.ceil((t.offset + bytes) / ALIGNMENT) * ALIGNMENT;
    }
    expect(gguf.dataStart + expectedOffset).toBe(file.length);
    const params = gguf.tensors.reduce((n, t) => n + t.dims.reduce((a, b) => a * b, 1), 0);
    expect(params).toBe(parameterCount(TINY));
  });

  it('has every tensor the llama architecture needs, sized by the shape and the vocabulary', () => {
    const path = join(scratch, 'tiny-shape.gguf');
    writeLlamaModel(path, TINY);
    const { tensors, meta } = walk(readFileSync(path));
    const vocab = buildVocabulary().tokens.length;
    const byName = new Map(tensors.map((t) => [t.name, t.dims]));
    expect(byName.get('token_embd.weight')).toEqual([TINY.embedding, vocab]);
    expect(byName.get('output.weight')).toEqual([TINY.embedding, vocab]);
    const kv = (TINY.embedding / TINY.heads) * TINY.kvHeads;
    for (let i = 0; i < TINY.layers; i++) {
      expect(byName.get(`blk.${i}.attn_k.weight`)).toEqual([TINY.embedding, kv]);
      expect(byName.get(`blk.${i}.ffn_down.weight`)).toEqual([TINY.feedForward, TINY.embedding]);
    }
    expect(tensors).toHaveLength(3 + 9 * TINY.layers);
    expect(meta.get('llama.vocab_size')).toBe(vocab);
    expect(meta.get('tokenizer.ggml.tokens')).toBe(vocab); // the walker returns an array's length
  });

  it('is deterministic: the same seed gives the same bytes, another seed other weights', () => {
    const a = join(scratch, 'a.gguf');
    const b = join(scratch, 'b.gguf');
    const c = join(scratch, 'c.gguf');
    writeLlamaModel(a, TINY);
    writeLlamaModel(b, TINY);
    writeLlamaModel(c, { ...TINY, seed: TINY.seed + 1 });
    expect(sha(a)).toBe(sha(b));
    expect(sha(c)).not.toBe(sha(a));
    expect(statSync(c).size).toBe(statSync(a).size);
  });

  it('makes a ~0.6 MB tiny model and a ~100 MB big one', () => {
    const [tiny, big] = ensureModels(defaultModelDir(), ['tiny', 'big']);
    const tinyBytes = statSync(tiny!).size;
    const bigBytes = statSync(big!).size;
    expect(tinyBytes).toBeGreaterThan(500_000);
    expect(tinyBytes).toBeLessThan(800_000);
    expect(bigBytes).toBeGreaterThan(90_000_000);
    expect(bigBytes).toBeLessThan(110_000_000);
    expect(parameterCount(BIG)).toBe(
      (bigBytes - walk(readFileSync(big!).subarray(0, 1 << 20)).dataStart) / 4,
    );
  });

  it('has a vocabulary llama.cpp can tokenize anything with: unique pieces, all 256 byte fallbacks', () => {
    const { tokens, types, scores } = buildVocabulary();
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(types.filter((t) => t === TokenType.BYTE)).toHaveLength(256);
    expect(tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(scores.length).toBe(tokens.length);
  });

  it.skipIf(!realEngineAvailable)('is read back by node-llama-cpp’s own GGUF parser', async () => {
    const path = join(scratch, 'parsed.gguf');
    writeLlamaModel(path, TINY);
    const llama = await loadLlamaModule();
    const info = await llama.readGgufFileInfo(path, { logWarnings: true });
    expect(info.version).toBe(3);
    const meta = info.metadata as {
      general: { architecture: string };
      llama: { context_length: number; attention: { head_count_kv: number } };
      tokenizer: { ggml: { model: string; tokens: string[]; bos_token_id: number } };
    };
    expect(meta.general.architecture).toBe('llama');
    expect(meta.llama.context_length).toBe(TINY.contextLength);
    expect(meta.llama.attention.head_count_kv).toBe(TINY.kvHeads);
    expect(meta.tokenizer.ggml.model).toBe('llama');
    expect(meta.tokenizer.ggml.tokens).toEqual(buildVocabulary().tokens);
    expect(meta.tokenizer.ggml.bos_token_id).toBe(1);
    expect(info.tensorInfo?.map((t) => t.name)).toContain('blk.1.ffn_gate.weight');
  });
});
