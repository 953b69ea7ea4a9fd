import { afterEach, describe, expect, it } from 'vitest';
import { parseJson } from '../../src/http/json-body.ts';
import type { FakeManager } from './fake-manager.ts';
import { startFakeApp, type TestApp } from './harness.ts';

let t: TestApp<FakeManager> | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const GENERATE = JSON.stringify({ model: 'auto', prompt: 'hi', stream: false });
const QUERY = JSON.stringify({ query: 'hi' });

describe('request bodies', () => {
  it('drop-in routes decode any body as JSON whatever its content-type, as Ollama does', async () => {
    t = await startFakeApp();
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; b=x',
    ]) {
      const headers = type ? { 'content-type': type } : {};
      const ollama = await t.app.inject({ method: 'POST', url: '/api/generate', payload: GENERATE, headers });
      expect(ollama.statusCode, `ollama with ${type}`).toBe(200);
      const openai = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }),
        headers,
      });
      expect(openai.statusCode, `openai with ${type}`).toBe(200);
    }
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/api/generate',
      payload: 'model=auto&prompt=hi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toMatch(/^body is not valid JSON: .+; send one JSON object$/);
  });

  it('our own routes take JSON under JSON-like types and answer 415 with the accepted types otherwise', async () => {
    t = await startFakeApp();
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/vnd.rmm+json',
      'text/plain',
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/echo/resilient/query',
        payload: QUERY,
        headers: { 'content-type': type },
      });
      expect(res.statusCode, type).toBe(200);
    }
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/echo/resilient/query',
      payload: QUERY,
      headers: { 'content-type': 'application/xml' },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({
      code: 'RMM_UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('content-type application/xml is not accepted here'),
      accepted: ['application/json', 'application/*+json', 'text/plain', 'application/x-www-form-urlencoded'],
    });
    expect(t.manager.calls).toHaveLength(4);
  });
});

describe('JSON with prototype keys', () => {
  it('drops __proto__ (also spelled with \\u escapes) and constructor.prototype, keeps everything else', () => {
    expect(parseJson('{"a":1,"__proto__":{"x":1}}')).toEqual({ a: 1 });
    const escaped = parseJson('{"a":1,"\\u005f\\u005fproto__":{"x":1}}') as object;
    expect(Object.keys(escaped)).toEqual(['a']);
    expect(Object.getPrototypeOf(escaped)).toBe(Object.prototype);
    expect(parseJson('{"b":{"constructor":{"prototype":{"x":1}}}}')).toEqual({ b: {} });
    expect(parseJson('{"constructor":"a word","text":"\\u00e9"}')).toEqual({
      constructor: 'a word',
      text: 'é',
    });
  });

  it('says why a body is not JSON', () => {
    expect(() => parseJson('{"a":')).toThrow('body is not valid JSON: Unexpected end of JSON input');
    expect(() => parseJson('  ')).toThrow('body is empty; send a JSON object');
  });
});
