import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { resolveModelName } from '../../src/http/model-names.ts';
import { isKeepAliveZero } from '../../src/http/ollama-format.ts';
import { TokenBucketLimiter } from '../../src/http/rate-limit.ts';
import { describeValidation, type SchemaError } from '../../src/http/validation-message.ts';

describe('describeValidation', () => {
  const schema = Type.Object(
    {
      a: Type.String({ minLength: 1 }),
      n: Type.Optional(Type.Integer({ minimum: 1, maximum: 9 })),
      u: Type.Optional(Type.Union([Type.Literal('x'), Type.Literal('y')])),
      k: Type.Optional(Type.Union([Type.Number(), Type.String()])),
      list: Type.Optional(
        Type.Array(Type.Object({ role: Type.Enum(['p', 'q']) }, { additionalProperties: false }), {
          maxItems: 2,
        }),
      ),
    },
    { additionalProperties: false },
  );
  const check = Compile(schema);
  const say = (value: unknown) =>
    describeValidation(check.Errors(value) as SchemaError[], 'body', schema, value).message;

  it.each([
    [{}, 'body/a is required'],
    [{ a: '' }, 'body/a must not be empty'],
    [{ a: 'ok', n: 0 }, 'body/n must be >= 1'],
    [{ a: 'ok', n: 10 }, 'body/n must be <= 9'],
    [{ a: 'ok', n: 1.5 }, 'body/n must be an integer'],
    [{ a: 'ok', u: 'z' }, 'body/u must be one of x, y'],
    [{ a: 'ok', k: true }, 'body/k must be a number or a string'],
    [{ a: 'ok', list: [{ role: 'r' }] }, 'body/list/0/role must be one of p, q'],
    [{ a: 'ok', list: [{ role: 'p', z: 1 }] }, 'body/list/0/z is not a known field; known fields: role'],
    [{ a: 'ok', list: [{ role: 'p' }, { role: 'p' }, { role: 'p' }] }, 'body/list must have at most 2 items'],
    [{ a: 'ok', zz: 1 }, 'body/zz is not a known field; known fields: a, n, u, k, list'],
    ['text', 'body must be a JSON object'],
  ])('%j → %s', (value, message) => {
    expect(say(value)).toBe(message);
  });

  it('a missing body is said plainly', () => {
    expect(
      describeValidation(check.Errors(undefined) as SchemaError[], 'body', schema, undefined).message,
    ).toBe('body is required: send a JSON object');
  });

  it('reads Ajv-style params too', () => {
    const ajv: SchemaError[] = [{ keyword: 'required', instancePath: '', params: { missingProperty: 'q' } }];
    expect(describeValidation(ajv, 'body').message).toBe('body/q is required');
  });
});

describe('TokenBucketLimiter', () => {
  it('refills continuously and reports the wait', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterS: 1 });
    now += 1000;
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
    now += 120_000;
    for (let i = 0; i < 60; i++) expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false);
  });

  it('keeps the map bounded, dropping full buckets first', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(2, () => now, 3);
    limiter.take('busy');
    limiter.take('busy');
    for (const k of ['a', 'b', 'c', 'd', 'e']) limiter.take(k);
    expect(limiter.size).toBeLessThanOrEqual(3);
    now += 60_000;
    for (const k of ['f', 'g', 'h']) limiter.take(k);
    expect(limiter.size).toBeLessThanOrEqual(3);
  });
});

describe('resolveModelName', () => {
  const catalog = ['llama3.2:3b', 'deepseek-coder:latest'];
  it.each([
    ['auto', { model: 'auto', virtual: true }],
    ['auto:latest', { model: 'auto', virtual: true }],
    ['auto:code', { model: 'auto:code_generation', taskType: 'code_generation', virtual: true }],
    ['AUTO:Reasoning', { model: 'auto:reasoning', taskType: 'reasoning', virtual: true }],
    ['llama3.2:3b', { model: 'llama3.2:3b', virtual: false }],
    ['deepseek-coder', { model: 'deepseek-coder:latest', virtual: false }],
    ['Llama3.2:3B', { model: 'llama3.2:3b', virtual: false }],
    ['auto:poetry', undefined],
    ['llama3.2', undefined],
    ['', undefined],
  ])('%s', (name, expected) => {
    expect(resolveModelName(name, catalog)).toEqual(expected);
  });
});

describe('isKeepAliveZero', () => {
  it.each([
    [0, true],
    ['0', true],
    ['0s', true],
    ['0.0h', true],
    [-1, false],
    ['5m', false],
    ['10', false],
    [null, false],
  ])('%j → %s', (value, expected) => {
    expect(isKeepAliveZero(value)).toBe(expected);
  });
});
