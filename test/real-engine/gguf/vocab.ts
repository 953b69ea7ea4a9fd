/**
 * A small SentencePiece-style ("llama" tokenizer model) vocabulary: enough for llama.cpp to tokenize any
 * text and to turn any sampled token back into text, nothing more. The words are there so tokenizing a
 * prompt yields fewer tokens than characters; the model never learned them, so its output is gibberish.
 */

/** llama_token_type values llama.cpp reads from tokenizer.ggml.token_type. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;

/** SentencePiece writes a space as U+2581 ("▁"); llama.cpp's SPM tokenizer expects the same. */
const SPACE = '\u2581';

const WORDS = (
  'the of and to in is it you that he was for on are as with his they at be this have from or one had by ' +
  'word but not what all were we when your can said there use an each which she do how their if will up ' +
  'other about out many then them these so some her would make like him into time has look two more write ' +
  'go see number no way could people my than first water been call who oil its now find long down day did ' +
  'get come made may part model load token fail over host fast slow answer stream'
).split(' ');

export interface Vocabulary {
  tokens: string[];
  scores: Float32Array;
  types: Int32Array;
}

/**
 * Every byte as a fallback token (llama.cpp's SPM tokenizer throws on a byte it cannot map), then printable
 * ASCII characters, then "▁x" pieces and whole words. Scores decrease with position: SentencePiece stores log
 * probabilities, and llama.cpp merges the highest-scoring pair first.
 */
export function buildVocabulary(): Vocabulary {
  const entries: Array<[string, number]> = [
    ['<unk>', TokenType.UNKNOWN],
    ['<s>', TokenType.CONTROL],
    ['</s>', TokenType.CONTROL],
  ];
  for (let b = 0; b < 256; b++) {
    entries.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, TokenType.BYTE]);
  }
  const seen = new Set(entries.map(([t]) => t));
  const add = (piece: string) => {
    if (seen.has(piece)) return;
    seen.add(piece);
    entries.push([piece, TokenType.NORMAL]);
  };
  add(SPACE);
  // Printable ASCII but the space itself, which SentencePiece never keeps as a raw character.
  for (let c = 33; c < 127; c++) add(String.fromCharCode(c));
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9]/.test(ch)) add(SPACE + ch);
  }
  for (const word of WORDS) {
    // Each prefix too, so the tokenizer's pairwise merges can reach the whole word.
    for (let i = 2; i <= word.length; i++) add(SPACE + word.slice(0, i));
  }
  const scores = new Float32Array(entries.length);
  const types = new Int32Array(entries.length);
  entries.forEach(([, type], i) => {
    scores[i] = type === TokenType.NORMAL ? -i : 0;
    types[i] = type;
  });
  return { tokens: entries.map(([t]) => t), scores, types };
}
