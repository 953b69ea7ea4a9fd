import { Prng } from '../../../src/simulator/prng.ts';
import { BOS_ID, buildVocabulary, EOS_ID, UNK_ID } from './vocab.ts';
import { type MetaValue, type TensorSpec, writeGguf } from './writer.ts';

/** The shape of a llama-architecture model; every size in the file follows from these numbers. */
export interface LlamaShape {
  /** general.name and the Ollama-style family shown by the adapter. */
  name: string;
  embedding: number;
  layers: number;
  feedForward: number;
  heads: number;
  /** Grouped-query attention: fewer key/value heads than query heads shrinks the KV cache. */
  kvHeads: number;
  contextLength: number;
  seed: number;
}

/** ~0.6 MB: loads in tens of milliseconds, so tests can load and unload it freely. */
export const TINY: LlamaShape = {
  name: 'tiny',
  embedding: 64,
  layers: 2,
  feedForward: 128,
  heads: 4,
  kvHeads: 4,
  contextLength: 2048,
  seed: 1,
};

/** ~100 MB: large enough that its load time and memory are measurable against the tiny one. */
export const BIG: LlamaShape = {
  name: 'big',
  embedding: 512,
  layers: 8,
  feedForward: 1408,
  heads: 8,
  kvHeads: 4,
  contextLength: 4096,
  seed: 2,
};

/**
 * Uniform in ±scale/sqrt(fan-in): small enough that activations stay finite through every layer (no NaN
 * logits), large enough that the logits differ and sampling is not one fixed token.
 */
function randomFill(prng: Prng, fanIn: number): (values: Float32Array) => void {
  const scale = 1 / Math.sqrt(fanIn);
  return (values) => {
    for (let i = 0; i < values.length; i++) values[i] = (prng.next() * 2 - 1) * scale;
  };
}

const ones = (values: Float32Array) => values.fill(1);

/** The tensors llama.cpp's llama architecture requires, in the order llama.cpp's own converter writes them. */
function tensors(shape: LlamaShape, vocab: number): TensorSpec[] {
  const prng = new Prng(shape.seed);
  const e = shape.embedding;
  const kv = (e / shape.heads) * shape.kvHeads;
  const ff = shape.feedForward;
  const list: TensorSpec[] = [
    // Embeddings are looked up, not multiplied, so they can be larger than a weight matrix's entries.
    { name: 'token_embd.weight', dims: [e, vocab], fill: randomFill(prng, 1) },
  ];
  for (let i = 0; i < shape.layers; i++) {
    const b = `blk.${i}`;
    list.push(
      { name: `${b}.attn_norm.weight`, dims: [e], fill: ones },
      { name: `${b}.attn_q.weight`, dims: [e, e], fill: randomFill(prng, e) },
      { name: `${b}.attn_k.weight`, dims: [e, kv], fill: randomFill(prng, e) },
      { name: `${b}.attn_v.weight`, dims: [e, kv], fill: randomFill(prng, e) },
      { name: `${b}.attn_output.weight`, dims: [e, e], fill: randomFill(prng, e) },
      { name: `${b}.ffn_norm.weight`, dims: [e], fill: ones },
      { name: `${b}.ffn_gate.weight`, dims: [e, ff], fill: randomFill(prng, e) },
      { name: `${b}.ffn_up.weight`, dims: [e, ff], fill: randomFill(prng, e) },
      { name: `${b}.ffn_down.weight`, dims: [ff, e], fill: randomFill(prng, ff) },
    );
  }
  list.push(
    { name: 'output_norm.weight', dims: [e], fill: ones },
    // A larger scale here spreads the logits so sampling varies between tokens.
    { name: 'output.weight', dims: [e, vocab], fill: randomFill(prng, e / 16) },
  );
  return list;
}

/** Parameters of the model, for Ollama's parameter_size ("152.6K", "25.4M"). */
export function parameterCount(shape: LlamaShape): number {
  const vocab = buildVocabulary().tokens.length;
  return tensors(shape, vocab).reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
}

/** Writes the model as a GGUF file at `path`; the same shape and seed give the same bytes. Returns its size. */
export function writeLlamaModel(path: string, shape: LlamaShape): number {
  const vocab = buildVocabulary();
  const arch = 'llama';
  const metadata: Array<[string, MetaValue]> = [
    ['general.architecture', { str: arch }],
    ['general.name', { str: shape.name }],
    ['general.file_type', { u32: 0 }], // ALL_F32
    [`${arch}.context_length`, { u32: shape.contextLength }],
    [`${arch}.embedding_length`, { u32: shape.embedding }],
    [`${arch}.block_count`, { u32: shape.layers }],
    [`${arch}.feed_forward_length`, { u32: shape.feedForward }],
    [`${arch}.attention.head_count`, { u32: shape.heads }],
    [`${arch}.attention.head_count_kv`, { u32: shape.kvHeads }],
    [`${arch}.attention.layer_norm_rms_epsilon`, { f32: 1e-5 }],
    [`${arch}.rope.dimension_count`, { u32: shape.embedding / shape.heads }],
    [`${arch}.rope.freq_base`, { f32: 10000 }],
    [`${arch}.vocab_size`, { u32: vocab.tokens.length }],
    ['tokenizer.ggml.model', { str: 'llama' }],
    ['tokenizer.ggml.tokens', { strings: vocab.tokens }],
    ['tokenizer.ggml.scores', { f32s: vocab.scores }],
    ['tokenizer.ggml.token_type', { i32s: vocab.types }],
    ['tokenizer.ggml.bos_token_id', { u32: BOS_ID }],
    ['tokenizer.ggml.eos_token_id', { u32: EOS_ID }],
    ['tokenizer.ggml.unknown_token_id', { u32: UNK_ID }],
    ['tokenizer.ggml.add_bos_token', { bool: true }],
    ['tokenizer.ggml.add_eos_token', { bool: false }],
  ];
  return writeGguf(path, metadata, tensors(shape, vocab.tokens.length));
}
