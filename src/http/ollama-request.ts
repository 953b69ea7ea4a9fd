import type { ChatMessage, ToolCall } from '../manager/completion.ts';
import { withFields } from '../with-fields.ts';
import type { CompletionInput } from './completion.ts';
import type { Routing } from './routing.ts';

/**
 * Ollama request bodies → the manager's request, every field kept. The fields the manager knows go where
 * they belong; any other (a newer client's) rides in `extra` and reaches Ollama unchanged. Ours are
 * `model` (resolved by routing), `keep_alive` (the manager owns residency and sends its own), `stream`
 * (how we answer), `urgency` and `task_type` (routing hints, never sent upstream).
 */
const OURS = new Set(['model', 'keep_alive', 'stream', 'urgency', 'task_type', 'options']);
const GENERATE = new Set([
  'prompt',
  'suffix',
  'system',
  'template',
  'context',
  'raw',
  'format',
  'images',
  'think',
]);
const CHAT = new Set(['messages', 'tools', 'format', 'think']);

type Body = Record<string, unknown>;

function extraOf(body: Body, known: ReadonlySet<string>): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(body)) {
    if (OURS.has(k) || known.has(k) || v === undefined) continue;
    extra ??= {};
    extra[k] = v;
  }
  return extra;
}

export function generateInput(
  b: Body,
  routing: Routing,
  options: Record<string, unknown> | undefined,
): CompletionInput {
  const input: CompletionInput = { kind: 'generate', prompt: String(b['prompt'] ?? ''), ...routing };
  if (typeof b['system'] === 'string') input.system = b['system'];
  if (typeof b['suffix'] === 'string') input.suffix = b['suffix'];
  if (typeof b['template'] === 'string') input.template = b['template'];
  if (Array.isArray(b['context'])) input.context = b['context'] as number[];
  if (typeof b['raw'] === 'boolean') input.raw = b['raw'];
  if (Array.isArray(b['images'])) input.images = b['images'] as string[];
  if (b['format'] !== undefined) input.format = b['format'];
  if (b['think'] !== undefined) input.think = b['think'] as boolean | string;
  if (options) input.options = options;
  const extra = extraOf(b, GENERATE);
  if (extra) input.extra = extra;
  return input;
}

export function chatInput(
  b: Body,
  routing: Routing,
  options: Record<string, unknown> | undefined,
): CompletionInput {
  const messages = (b['messages'] as Body[]).map(chatMessage);
  const input: CompletionInput = { kind: 'chat', messages, ...routing };
  if (Array.isArray(b['tools'])) input.tools = b['tools'];
  if (b['format'] !== undefined) input.format = b['format'];
  if (b['think'] !== undefined) input.think = b['think'] as boolean | string;
  if (options) input.options = options;
  const extra = extraOf(b, CHAT);
  if (extra) input.extra = extra;
  return input;
}

/** A message as the client sent it: role and content normalised, everything else (tool_calls, tool_name...) kept. */
function chatMessage(m: Body): ChatMessage {
  const out: ChatMessage = withFields(m, {
    role: m['role'] as ChatMessage['role'],
    content: String(m['content'] ?? ''),
  });
  if (Array.isArray(m['tool_calls'])) out.tool_calls = m['tool_calls'] as ToolCall[];
  return out;
}
