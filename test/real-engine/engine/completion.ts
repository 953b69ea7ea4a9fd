import type { EvaluateOptions, Token } from '../llama-binding.ts';
import type { ChunkGate } from './gate.ts';
import type { Loaded } from './runner.ts';

/**
 * One completion on a loaded model: the prompt is evaluated, then tokens are sampled one by one until an
 * end-of-generation token ("stop"), num_predict or a full context ("length"), or the client leaving. Text
 * goes out as it becomes valid UTF-8: a token can end in the middle of a character (byte-fallback
 * tokens), so a trailing U+FFFD is held back until the next token completes it.
 */

export interface CompletionInput {
  /** Token ids carried over from an earlier answer (generate's `context`), evaluated before the prompt. */
  contextTokens: Token[];
  prompt: string;
  numPredict: number;
  sampling: EvaluateOptions;
  signal: AbortSignal;
  gate: ChunkGate;
  onText(text: string): void;
}

export interface CompletionOutput {
  text: string;
  doneReason: 'stop' | 'length';
  promptTokens: Token[];
  outputTokens: Token[];
  /** Nanoseconds from handing the prompt to llama.cpp to its first sampled token. */
  promptEvalNs: number;
  /** Nanoseconds from the first sampled token to the last. */
  evalNs: number;
}

const REPLACEMENT = '\uFFFD';

const nsSince = (start: number) => Math.max(1, Math.round((performance.now() - start) * 1e6));

export async function complete(loaded: Loaded, input: CompletionInput): Promise<CompletionOutput> {
  const { model, context, sequence } = loaded;
  await sequence.clearHistory();
  const bos = model.tokens.bos;
  let promptTokens = [...input.contextTokens, ...model.tokenize(input.prompt)];
  if (input.contextTokens.length === 0 && bos !== null) promptTokens.unshift(bos);
  // Ollama truncates a prompt that does not fit, keeping its end; leave room for at least one token.
  if (promptTokens.length > context.contextSize - 1)
    promptTokens = promptTokens.slice(-(context.contextSize - 1));
  const limit = Math.max(1, Math.min(input.numPredict, context.contextSize - promptTokens.length));

  const outputTokens: Token[] = [];
  let sentChars = 0;
  let text = '';
  let doneReason: 'stop' | 'length' = 'length';
  const startedAt = performance.now();
  let firstAt: number | undefined;
  let promptEvalNs = 0;
  let pieces = 0;
  // Each piece of text waits at the gate first, so "after n tokens" means after n chunks the client saw.
  const send = async (piece: string) => {
    await input.gate.pass(pieces, input.signal);
    if (input.signal.aborted) return;
    pieces++;
    input.onText(piece);
  };
  for await (const token of sequence.evaluate(promptTokens, input.sampling)) {
    if (firstAt === undefined) {
      promptEvalNs = nsSince(startedAt);
      firstAt = performance.now();
    }
    if (model.isEogToken(token)) {
      doneReason = 'stop';
      break;
    }
    outputTokens.push(token);
    text = model.detokenize(outputTokens);
    const settled = text.endsWith(REPLACEMENT) ? text.slice(0, -1) : text;
    if (settled.length > sentChars) {
      await send(settled.slice(sentChars));
      sentChars = settled.length;
    }
    if (input.signal.aborted || outputTokens.length >= limit) break;
  }
  if (text.length > sentChars && !input.signal.aborted) await send(text.slice(sentChars));
  return {
    text,
    doneReason,
    promptTokens,
    outputTokens,
    promptEvalNs,
    evalNs: firstAt === undefined ? 0 : nsSince(firstAt),
  };
}
