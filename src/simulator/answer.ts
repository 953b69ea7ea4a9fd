import type { CatalogModel } from './catalog.ts';
import { hash32, Prng } from './prng.ts';
import { schemaValue } from './schema-value.ts';
import { type DoneReason, garble, planText } from './text.ts';

/**
 * What the simulated model says to one request, decided before any token is paced: thinking, content and
 * tool calls, each token tagged with where it goes. Deterministic from (seed, model, prompt).
 *
 * Ollama behaviour followed (server/routes.go, model/parsers, api/types.go, as of v0.12):
 * - a model with the `thinking` capability thinks unless `think` is false (a missing `think` means true);
 *   the thinking goes to `message.thinking` (chat) or `thinking` (generate), never into the content;
 * - a chat with `tools` on a `tools` model may answer with `tool_calls` instead of text: here, when the last
 *   user message names a tool (or asks for "a tool"); the call's tokens count in eval_count but are not
 *   streamed as content, and the call arrives whole, in one chunk, as Ollama's tool parser emits it;
 * - after a `role: tool` message the model answers in text, using what the tool said;
 * - `format: "json"` or a JSON schema constrains the content to JSON (a schema: conforming JSON);
 * - `num_predict` caps all generated tokens, thinking included (done_reason "length").
 */

export type TokenKind = 'thinking' | 'content' | 'call';

export interface SimToolCall {
  id: string;
  index: number;
  name: string;
  arguments: Record<string, unknown>;
}

export interface Answer {
  tokens: string[];
  kinds: TokenKind[];
  toolCalls: SimToolCall[];
  doneReason: DoneReason;
}

export interface AnswerRequest {
  seed: number;
  model: CatalogModel;
  prompt: string;
  /** Where the "What is A + B?" hook looks. */
  question: string;
  numPredict?: number | undefined;
  think?: unknown;
  tools?: unknown[] | undefined;
  lastMessage?: { role: string; content: string } | undefined;
  format?: unknown;
  garbage: boolean;
}

export function thinks(model: CatalogModel, think: unknown): boolean {
  return model.capabilities.includes('thinking') && think !== false && think !== '';
}

export function planAnswer(req: AnswerRequest): Answer {
  const name = req.model.name;
  const kinds: TokenKind[] = [];
  const tokens: string[] = [];
  const push = (kind: TokenKind, texts: string[]) => {
    for (const t of texts) {
      tokens.push(t);
      kinds.push(kind);
    }
  };
  if (thinks(req.model, req.think)) {
    const thought = planText({ seed: req.seed, model: name, prompt: `think:${req.prompt}`, question: '' });
    push('thinking', thought.tokens);
  }
  const tool = req.model.capabilities.includes('tools') ? chosenTool(req.tools, req.lastMessage) : undefined;
  let calls: SimToolCall[] = [];
  if (tool) {
    const rng = new Prng(hash32(req.seed, name, 'call', req.prompt));
    const call: SimToolCall = {
      id: `call_${hash32(req.seed, name, req.prompt, tool.name).toString(36)}`,
      index: 0,
      name: tool.name,
      arguments: asObject(schemaValue(tool.parameters ?? { type: 'object' }, rng)),
    };
    calls = [call];
    push('call', chunks(JSON.stringify({ name: call.name, arguments: call.arguments })));
  } else {
    push('content', contentTokens(req));
  }
  const capped = req.numPredict !== undefined && Number.isFinite(req.numPredict) && req.numPredict > 0;
  const limit = capped ? Math.floor(req.numPredict!) : tokens.length;
  const cut = tokens.length > limit;
  return {
    tokens: tokens.slice(0, limit),
    kinds: kinds.slice(0, limit),
    // A call cut short by num_predict never parses, so it is never emitted.
    toolCalls: cut ? [] : calls,
    doneReason: capped && tokens.length >= limit ? 'length' : 'stop',
  };
}

function contentTokens(req: AnswerRequest): string[] {
  const name = req.model.name;
  let words: string[];
  if (req.format === 'json' || isSchema(req.format)) {
    const rng = new Prng(hash32(req.seed, name, 'format', req.prompt));
    const filler = planText({ seed: req.seed, model: name, prompt: req.prompt, question: req.question });
    const value = isSchema(req.format) ? schemaValue(req.format, rng) : { answer: filler.tokens.join('') };
    words = chunks(JSON.stringify(value));
  } else {
    // With num_predict the text runs exactly that long, as a model that is cut off does.
    const text = planText({
      seed: req.seed,
      model: name,
      prompt: req.prompt,
      question: req.question,
      numPredict: req.numPredict,
    });
    words = text.tokens;
    if (req.lastMessage?.role === 'tool') {
      words = [...chunks(`The tool said: ${req.lastMessage.content.slice(0, 200)}.`), ' ', ...words];
    }
  }
  return req.garbage ? garble({ tokens: words, doneReason: 'stop' }, req.seed, name).tokens : words;
}

interface ToolSpec {
  name: string;
  parameters?: unknown;
}

const GENERIC = new Set([
  'get',
  'set',
  'current',
  'data',
  'info',
  'list',
  'tool',
  'function',
  'fetch',
  'find',
]);

/** The tool the last user message asks for: named outright, by a distinctive word of its name, or "a tool". */
function chosenTool(tools: unknown[] | undefined, last: AnswerRequest['lastMessage']): ToolSpec | undefined {
  if (!tools || tools.length === 0 || last?.role !== 'user') return undefined;
  const specs = tools.map(toolSpec).filter((t): t is ToolSpec => t !== undefined);
  const text = last.content.toLowerCase();
  const byName = specs.find((t) => text.includes(t.name.toLowerCase()));
  if (byName) return byName;
  const byWord = specs.find((t) =>
    nameWords(t.name).some((w) => w.length >= 4 && !GENERIC.has(w) && text.includes(w)),
  );
  if (byWord) return byWord;
  return /\b(tool|function)\b/.test(text) ? specs[0] : undefined;
}

function toolSpec(tool: unknown): ToolSpec | undefined {
  const fn = (tool as { function?: { name?: unknown; parameters?: unknown } } | null)?.function;
  return typeof fn?.name === 'string' && fn.name !== ''
    ? { name: fn.name, parameters: fn.parameters }
    : undefined;
}

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function isSchema(format: unknown): format is Record<string, unknown> {
  return typeof format === 'object' && format !== null && !Array.isArray(format);
}

function asObject(v: unknown): Record<string, unknown> {
  return isSchema(v) ? v : {};
}

/** Text cut into token-sized pieces (about four characters). */
export function chunks(text: string): string[] {
  return text.match(/[\s\S]{1,4}/g) ?? [];
}
