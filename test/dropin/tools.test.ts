import { type Message, Ollama, type Tool } from 'ollama';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DropInStack, startDropIn } from './stack.ts';

/**
 * Tool calling through us with the official clients, unchanged, over a socket: the model's tool_calls
 * reach the client, the follow-up `role: tool` message reaches the model, the final answer comes back.
 */
let s: DropInStack;
beforeAll(async () => {
  s = await startDropIn();
});
afterAll(async () => s.close());

const weather: Tool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The current weather in a city',
    parameters: {
      type: 'object',
      required: ['city'],
      properties: {
        city: { type: 'string', description: 'the city' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
    },
  },
};
const ASK = 'What is the weather in Paris? Use get_weather.';
const TOOL_SAID = '{"temperature": 21, "sky": "clear"}';

function toolCapable(name: string): boolean {
  return s.config.models[name]?.capabilities?.includes('tools') === true;
}

describe('tool calling with the ollama client', () => {
  const ollama = () => new Ollama({ host: s.url });

  for (const stream of [false, true]) {
    it(`round-trips ${stream ? 'streaming' : 'whole'}`, async () => {
      await s.clearReceived();
      const first: Message[] = [{ role: 'user', content: ASK }];
      let call: Message;
      let used: string;
      if (stream) {
        const parts = await ollama().chat({ model: 'auto', messages: first, tools: [weather], stream: true });
        const calls = [];
        let model = '';
        for await (const part of parts) {
          calls.push(...(part.message.tool_calls ?? []));
          model = part.model;
        }
        call = { role: 'assistant', content: '', tool_calls: calls };
        used = model;
      } else {
        const res = await ollama().chat({ model: 'auto', messages: first, tools: [weather] });
        call = res.message;
        used = res.model;
      }
      // Only a tool-capable model was chosen for a request carrying tools.
      expect(toolCapable(used), used).toBe(true);
      expect(call.tool_calls).toHaveLength(1);
      const fn = call.tool_calls![0]!.function;
      expect(fn.name).toBe('get_weather');
      expect(typeof fn.arguments['city']).toBe('string');
      expect(['celsius', 'fahrenheit']).toContain(fn.arguments['unit']);

      const followUp: Message[] = [
        ...first,
        call,
        { role: 'tool', content: TOOL_SAID, tool_name: 'get_weather' },
      ];
      let answer = '';
      if (stream) {
        const parts = await ollama().chat({
          model: used,
          messages: followUp,
          tools: [weather],
          stream: true,
        });
        for await (const part of parts) answer += part.message.content;
      } else {
        answer = (await ollama().chat({ model: used, messages: followUp, tools: [weather] })).message.content;
      }
      expect(answer).toContain(`The tool said: ${TOOL_SAID}`);

      // What reached Ollama: the assistant's call and the tool's answer, as the client sent them.
      const sent = (await s.received('/api/chat')).at(-1)!.body as { messages: Message[]; tools: Tool[] };
      expect(sent.messages.at(-2)?.tool_calls?.[0]?.function.name).toBe('get_weather');
      expect(sent.messages.at(-1)).toEqual({ role: 'tool', content: TOOL_SAID, tool_name: 'get_weather' });
      expect(sent.tools).toEqual([weather]);
    });
  }
});

describe('tool calling with the openai client', () => {
  const openai = () => new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const tool = weather as unknown as ChatCompletionTool;
  const first: ChatCompletionMessageParam[] = [{ role: 'user', content: ASK }];

  async function finish(model: string, callMessage: ChatCompletionMessageParam, id: string, stream: boolean) {
    const messages: ChatCompletionMessageParam[] = [
      ...first,
      callMessage,
      { role: 'tool', tool_call_id: id, content: TOOL_SAID },
    ];
    if (!stream) {
      const res = await openai().chat.completions.create({ model, messages, tools: [tool] });
      expect(res.choices[0]!.finish_reason).toBe('stop');
      return res.choices[0]!.message.content ?? '';
    }
    let text = '';
    const parts = await openai().chat.completions.create({ model, messages, tools: [tool], stream: true });
    for await (const part of parts) text += part.choices[0]?.delta.content ?? '';
    return text;
  }

  it('round-trips whole', async () => {
    const res = await openai().chat.completions.create({ model: 'auto', messages: first, tools: [tool] });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]!;
    expect(call.type).toBe('function');
    if (call.type !== 'function') return;
    expect(call.function.name).toBe('get_weather');
    expect(typeof (JSON.parse(call.function.arguments) as { city: unknown }).city).toBe('string');
    expect(toolCapable(res.model), res.model).toBe(true);
    const answer = await finish(res.model, choice.message, call.id, false);
    expect(answer).toContain(`The tool said: ${TOOL_SAID}`);
    // The OpenAI tool message reached Ollama as a tool message, named after the call it answers.
    const sent = (await s.received('/api/chat')).at(-1)!.body as { messages: Message[] };
    expect(sent.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: TOOL_SAID,
      tool_name: 'get_weather',
    });
  });

  it('round-trips streaming, through the client stream helper that needs every call id', async () => {
    const runner = openai().chat.completions.stream({ model: 'auto', messages: first, tools: [tool] });
    const done = await runner.finalChatCompletion();
    const choice = done.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls?.[0];
    if (!call) throw new Error('no tool call in the final completion');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
    const answer = await finish(done.model, choice.message as ChatCompletionMessageParam, call.id, true);
    expect(answer).toContain(`The tool said: ${TOOL_SAID}`);
  });
});
