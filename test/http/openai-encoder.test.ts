import { describe, expect, it } from 'vitest';
import { openAiEncoder, textCompletionEncoder } from '../../src/http/openai-stream.ts';
import type { UpstreamChunk } from '../../src/manager/completion.ts';

const ids = { id: 'chatcmpl-req-1', created: 1_767_571_200 };
const content = (text: string, model = 'llama3.2:3b'): UpstreamChunk => ({
  model,
  created_at: '2026-01-05T00:00:00Z',
  message: { role: 'assistant', content: text },
  done: false,
});

/** The one event an SSE string holds, parsed; the raw JSON text beside it. */
function parse(sse: string): { json: string; value: Record<string, unknown> } {
  expect(sse.startsWith('data: ')).toBe(true);
  expect(sse.endsWith('\n\n')).toBe(true);
  const json = sse.slice(6, -2);
  return { json, value: JSON.parse(json) as Record<string, unknown> };
}

describe('openAiEncoder: content deltas cut from a serialised frame', () => {
  it('gives, byte for byte, what serialising each chunk whole gives', () => {
    const enc = openAiEncoder(ids, false);
    const first = parse(enc.chunk(content('Hello')));
    expect(first.value['choices']).toEqual([
      { index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null },
    ]);
    // Text that needs escaping, and characters JSON may leave as they are.
    for (const text of [' world', '"quoted"\n\ttab \\ back', 'ünï\u2028cödé 🚀', '', '\u0000']) {
      const out = enc.chunk(content(text));
      const whole = {
        ...ids,
        object: 'chat.completion.chunk',
        model: 'llama3.2:3b',
        system_fingerprint: 'fp_rmm',
        choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
      };
      expect(out).toBe(`data: ${JSON.stringify(whole)}\n\n`);
    }
  });

  it('follows a change of model, and leaves thinking and tool calls to the full path', () => {
    const enc = openAiEncoder(ids, false);
    enc.chunk(content('a'));
    expect(parse(enc.chunk(content('b', 'llama3.2:8b'))).value['model']).toBe('llama3.2:8b');
    expect(parse(enc.chunk(content('c'))).value['model']).toBe('llama3.2:3b');
    const thinking = parse(
      enc.chunk({ ...content(''), message: { role: 'assistant', content: '', thinking: 'hmm' } }),
    );
    expect(thinking.value['choices']).toEqual([
      { index: 0, delta: { reasoning: 'hmm' }, finish_reason: null },
    ]);
  });
});

describe('textCompletionEncoder: /v1/completions text deltas cut from a serialised frame', () => {
  it('gives, byte for byte, what serialising each chunk whole gives, and follows a change of model', () => {
    const enc = textCompletionEncoder(ids, false);
    const gen = (text: string, model = 'llama3.2:3b'): UpstreamChunk => ({
      model,
      created_at: '2026-01-05T00:00:00Z',
      response: text,
      done: false,
    });
    for (const [text, model] of [
      ['Hello', 'llama3.2:3b'],
      ['"quoted"\n\ttab \\ back', 'llama3.2:3b'],
      ['ünï\u2028cödé 🚀', 'llama3.2:8b'],
      ['', 'llama3.2:8b'],
      ['\u0000', 'llama3.2:3b'],
    ] as const) {
      const whole = {
        id: 'cmpl-req-1',
        object: 'text_completion',
        created: ids.created,
        model,
        system_fingerprint: 'fp_rmm',
        choices: [{ text, index: 0, logprobs: null, finish_reason: null }],
      };
      expect(enc.chunk(gen(text, model))).toBe(`data: ${JSON.stringify(whole)}\n\n`);
    }
  });
});
