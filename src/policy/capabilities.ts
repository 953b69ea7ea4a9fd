import type { CompletionRequest } from '../manager/completion.ts';

/**
 * What a request needs of a model, in Ollama's capability words, and how long its prompt is. Pure and
 * cheap: it runs on every request.
 */
export type Capability = 'completion' | 'tools' | 'thinking' | 'insert' | 'vision' | 'embedding';

export function requiredCapabilities(request: CompletionRequest, embed = false): Capability[] {
  if (embed) return ['embedding'];
  const out: Capability[] = ['completion'];
  if (request.tools !== undefined && request.tools.length > 0) out.push('tools');
  if (request.think !== undefined && request.think !== false) out.push('thinking');
  if (request.suffix !== undefined && request.suffix !== '') out.push('insert');
  if (hasImages(request)) out.push('vision');
  return out;
}

function hasImages(request: CompletionRequest): boolean {
  if (request.images !== undefined && request.images.length > 0) return true;
  const messages = request.messages;
  if (!messages) return false;
  for (let i = 0; i < messages.length; i++) if ((messages[i]!.images?.length ?? 0) > 0) return true;
  return false;
}

/**
 * The capabilities a model lacks for a request. A model whose capabilities are unknown (an older Ollama,
 * a config that does not say) is taken to do completion and nothing special is refused in its name: it
 * is tried, and Ollama's own "does not support" answer moves the request on without blaming it. It is
 * never taken for an embedding model.
 */
export function missingCapabilities(
  required: readonly Capability[],
  known: readonly string[] | undefined,
): Capability[] {
  if (known === undefined) return required.includes('embedding') ? ['embedding'] : [];
  const out: Capability[] = [];
  for (let i = 0; i < required.length; i++) if (!known.includes(required[i]!)) out.push(required[i]!);
  return out;
}

/** Characters per token: English text and code run at ~4 with the tokenizers Ollama's models use. */
export const CHARS_PER_TOKEN = 4;

/**
 * A cheap estimate of the prompt's tokens: every character the model will read (system, prompt, messages,
 * tool schemas) over CHARS_PER_TOKEN. It decides when a model's context is too small — Ollama would
 * silently truncate the prompt — so it errs on the generous side of nothing: it counts what is sent.
 */
export function estimatePromptTokens(request: CompletionRequest, embedInput?: readonly string[]): number {
  let chars = 0;
  if (embedInput) for (const s of embedInput) chars = Math.max(chars, s.length);
  if (request.prompt) chars += request.prompt.length;
  if (request.system) chars += request.system.length;
  if (request.suffix) chars += request.suffix.length;
  const messages = request.messages;
  if (messages) for (let i = 0; i < messages.length; i++) chars += messages[i]!.content.length;
  if (request.tools?.length) chars += JSON.stringify(request.tools).length;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * The request's own limit on generated tokens (options.num_predict, where max_tokens lands), when it sets a
 * positive one; Ollama reads -1 and -2 as "no limit". An embedding generates nothing: 1.
 */
export function outputCap(request: CompletionRequest, embed: boolean): number | undefined {
  if (embed) return 1;
  const n = Number(request.options?.['num_predict']);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
