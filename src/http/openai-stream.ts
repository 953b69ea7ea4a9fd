import { withFields } from '../with-fields.ts';
import type { StreamEncoder } from './completion.ts';
import { type CompletionIds, finishReason, toOpenAiToolCalls, usage } from './openai-format.ts';

/** OpenAI's server-sent events for streamed completions, from the manager's upstream chunks. */

const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/** A content no model writes, to find where the content goes in a serialised chunk. */
const FRAME_MARK = '\u0000rmm-content\u0000';
const FRAME_MARK_JSON = JSON.stringify(FRAME_MARK);

/**
 * Most chunks of a stream carry only new text: their event is the same bytes around the text, so it is cut
 * once (per model answering) from a serialised sample and only the text is serialised per chunk. `sample`
 * builds the chunk object around the text it is given.
 */
function textFrame(
  sample: (model: string, text: string) => unknown,
): (model: string, text: string) => string {
  let frame: { model: string; head: string; tail: string } | undefined;
  return (model, text) => {
    if (frame?.model !== model) {
      const whole = event(sample(model, FRAME_MARK));
      const at = whole.indexOf(FRAME_MARK_JSON);
      frame = { model, head: whole.slice(0, at), tail: whole.slice(at + FRAME_MARK_JSON.length) };
    }
    return frame.head + JSON.stringify(text) + frame.tail;
  };
}

/** SSE for /v1/completions: a text delta per chunk, a finish chunk, the optional usage chunk, [DONE]. */
export function textCompletionEncoder(ids: CompletionIds, includeUsage: boolean): StreamEncoder {
  const id = ids.id.replace(/^chatcmpl-/, 'cmpl-');
  const chunk = (model: string, text: string, finish: string | null) => ({
    id,
    object: 'text_completion',
    created: ids.created,
    model,
    system_fingerprint: 'fp_rmm',
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
  });
  const textEvent = textFrame((model, text) => chunk(model, text, null));
  return {
    contentType: 'text/event-stream; charset=utf-8',
    chunk: (c) => textEvent(c.model, c.response ?? c.message?.content ?? ''),
    final(result) {
      let out = event(chunk(result.model_used, '', finishReason(result.final)));
      if (includeUsage)
        out += event(
          withFields(chunk(result.model_used, '', null), { choices: [], usage: usage(result.final) }),
        );
      return `${out}data: [DONE]\n\n`;
    },
    error: (err) =>
      event({ error: { message: err.message, type: 'api_error', param: null, code: err.code } }),
  };
}

/** SSE as OpenAI sends it: role in the first delta only, a finish chunk, the optional usage chunk, [DONE]. */
export function openAiEncoder(ids: CompletionIds, includeUsage: boolean): StreamEncoder {
  let first = true;
  let calls = 0;
  const chunk = (model: string, delta: Record<string, unknown>, finish: string | null) =>
    withFields(ids, {
      object: 'chat.completion.chunk',
      model,
      system_fingerprint: 'fp_rmm',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  // A plain content delta (not the first, which names the role) takes the frame.
  const contentEvent = textFrame((model, content) => chunk(model, { content }, null));
  return {
    contentType: 'text/event-stream; charset=utf-8',
    chunk(c) {
      const content = c.message?.content ?? c.response ?? '';
      const thinking = c.message?.thinking ?? c.thinking;
      const toolCalls = c.message?.tool_calls;
      if (!first && !thinking && !toolCalls?.length) return contentEvent(c.model, content);
      const delta: Record<string, unknown> = first ? { role: 'assistant' } : {};
      first = false;
      if (content || (!thinking && !toolCalls?.length)) delta['content'] = content;
      if (thinking) delta['reasoning'] = thinking;
      if (toolCalls?.length) {
        // As OpenAI streams them: each call once, whole, with its index among the answer's calls.
        delta['tool_calls'] = toOpenAiToolCalls(toolCalls, ids.id).map((t, i) => ({
          ...t,
          index: calls + i,
        }));
        calls += toolCalls.length;
      }
      return event(chunk(c.model, delta, null));
    },
    final(result) {
      const toolCalls = calls > 0 || (result.tool_calls?.length ?? 0) > 0;
      let out = event(
        chunk(result.model_used, first ? { role: 'assistant' } : {}, finishReason(result.final, toolCalls)),
      );
      if (includeUsage) {
        out += event(
          withFields(chunk(result.model_used, {}, null), { choices: [], usage: usage(result.final) }),
        );
      }
      return `${out}data: [DONE]\n\n`;
    },
    error: (err) =>
      event({ error: { message: err.message, type: 'api_error', param: null, code: err.code } }),
  };
}
