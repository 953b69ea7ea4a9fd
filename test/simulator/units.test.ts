import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CatalogModel } from '../../src/simulator/catalog.ts';
import { isValidName, normaliseName } from '../../src/simulator/catalog.ts';
import { SimClock } from '../../src/simulator/clock.ts';
import {
  FOREVER_MS,
  parseEnvKeepAlive,
  parseGoDuration,
  parseKeepAlive,
} from '../../src/simulator/duration.ts';
import { chooseVictim, fitOnGpu, offloadSlowdown } from '../../src/simulator/eviction.ts';
import { FaultBook, validateFaultSpec } from '../../src/simulator/faults.ts';
import { generate } from '../../src/simulator/generation.ts';
import { checkGoTypes, decodeGoJson } from '../../src/simulator/go-json.ts';
import { metrics } from '../../src/simulator/inference.ts';
import { loadTimeoutText, outOfMemoryText } from '../../src/simulator/ollama-errors.ts';
import { ChatRequest, GenerateRequest } from '../../src/simulator/request-shapes.ts';
import { Runner } from '../../src/simulator/runner.ts';
import { countTokens, embedding, garble, planText } from '../../src/simulator/text.ts';
import { localTimestamp, utcTimestamp } from '../../src/simulator/time-format.ts';

describe('Go durations and keep_alive', () => {
  it('parses Go duration strings into milliseconds', () => {
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('1h2m')).toBe(3_720_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('-10m')).toBe(-600_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('2h45m30.5s')).toBe(9_930_500);
    expect(parseGoDuration('10µs')).toBeCloseTo(0.01);
  });

  it("rejects what Go rejects, with Go's messages", () => {
    expect(() => parseGoDuration('30')).toThrow('time: missing unit in duration "30"');
    expect(() => parseGoDuration('-1')).toThrow('time: missing unit in duration "-1"');
    expect(() => parseGoDuration('5d')).toThrow('time: unknown unit "d" in duration "5d"');
    expect(() => parseGoDuration('')).toThrow('time: invalid duration ""');
    expect(() => parseGoDuration('abc')).toThrow('time: invalid duration "abc"');
    expect(() => parseGoDuration('.s')).toThrow('time: invalid duration ".s"');
  });

  it('keep_alive: numbers are seconds, negative is forever, null/absent keeps the earlier value', () => {
    expect(parseKeepAlive(30)).toEqual({ ok: true, ms: 30_000 });
    expect(parseKeepAlive(0.5)).toEqual({ ok: true, ms: 500 });
    expect(parseKeepAlive(-1)).toEqual({ ok: true, ms: Infinity });
    expect(parseKeepAlive('-1m')).toEqual({ ok: true, ms: Infinity });
    expect(parseKeepAlive('0')).toEqual({ ok: true, ms: 0 });
    expect(parseKeepAlive(undefined)).toEqual({ ok: true, ms: undefined });
    expect(parseKeepAlive(null)).toEqual({ ok: true, ms: undefined });
    expect(parseKeepAlive('30')).toEqual({ ok: false, error: 'time: missing unit in duration "30"' });
    expect(parseKeepAlive(true)).toEqual({ ok: false, error: "Unsupported type: 'bool'" });
    expect(FOREVER_MS / (365.25 * 86_400_000)).toBeCloseTo(292.3, 1);
  });

  it('default_keep_alive is read like OLLAMA_KEEP_ALIVE: a duration or bare seconds', () => {
    expect(parseEnvKeepAlive('5m')).toBe(300_000);
    expect(parseEnvKeepAlive('120')).toBe(120_000);
    expect(parseEnvKeepAlive('-1')).toBe(Infinity);
  });

  it('any sum of unit terms parses to the sum of its parts', () => {
    const units = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 999 }),
            fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        (terms) => {
          const text = terms.map(([n, u]) => `${n}${u}`).join('');
          const expected = terms.reduce((sum, [n, u]) => sum + n * units[u], 0);
          expect(parseGoDuration(text)).toBeCloseTo(expected, 6);
        },
      ),
    );
  });
});

describe('Go JSON decoding', () => {
  it("reports what Go's decoder reports", () => {
    const error = (text: string) => {
      const r = decodeGoJson(text);
      return r.ok ? undefined : r.error;
    };
    expect(error('')).toBe('missing request body');
    expect(error('  \n')).toBe('missing request body');
    expect(error('{')).toBe('unexpected EOF');
    expect(error('{"a": 1')).toBe('unexpected EOF');
    expect(error('x')).toBe("invalid character 'x' looking for beginning of value");
    expect(error('{bad}')).toBe("invalid character 'b' looking for beginning of object key string");
    expect(error('{"a" 1}')).toBe("invalid character '1' after object key");
    expect(error('{"a":1 "b":2}')).toBe("invalid character '\"' after object key:value pair");
    expect(error('[1 2]')).toBe("invalid character '2' after array element");
    expect(error('{"a":tru}')).toBe("invalid character '}' in literal true (expecting 'e')");
    expect(error('{"a":"x\ny"}')).toBe("invalid character '\\n' in string literal");
    expect(error("{'a':1}")).toBe("invalid character '\\'' looking for beginning of object key string");
    expect(error('{"a":-}')).toBe("invalid character '}' in numeric literal");
    // Like json.Decoder, bytes after the first value are not read.
    expect(decodeGoJson('{"model":"m"} trailing')).toEqual({ ok: true, value: { model: 'm' } });
  });

  it('reports field type mismatches as UnmarshalTypeError', () => {
    expect(checkGoTypes({ stream: 'yes' }, GenerateRequest)).toBe(
      'json: cannot unmarshal string into Go struct field GenerateRequest.stream of type bool',
    );
    expect(checkGoTypes([], GenerateRequest)).toBe(
      'json: cannot unmarshal array into Go value of type api.GenerateRequest',
    );
    expect(checkGoTypes({ messages: 'hi' }, ChatRequest)).toBe(
      'json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message',
    );
    expect(checkGoTypes({ messages: [{ role: 'user', content: 3 }] }, ChatRequest)).toBe(
      'json: cannot unmarshal number into Go struct field ChatRequest.messages.content of type string',
    );
    expect(checkGoTypes({ model: 'm', stream: null, extra: 1 }, GenerateRequest)).toBeUndefined();
  });
});

describe('formats and texts', () => {
  it('timestamps: RFC 3339 with trailing zeros dropped; Z for UTC, ±hh:mm for a local offset', () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 120);
    expect(utcTimestamp(t)).toBe('2026-01-02T03:04:05.12Z');
    expect(utcTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02T03:04:05Z');
    expect(localTimestamp(t, -420)).toBe('2026-01-01T20:04:05.12-07:00');
    expect(localTimestamp(t, 330)).toBe('2026-01-02T08:34:05.12+05:30');
    expect(localTimestamp(t, 0)).toBe('2026-01-02T03:04:05.12Z');
  });

  it('error texts change with the Ollama version', () => {
    expect(outOfMemoryText('0.12.0', 39.4 * 1024 ** 3, 30 * 1024 ** 3)).toBe(
      'model requires more system memory (39.4 GiB) than is available (30.0 GiB)',
    );
    expect(outOfMemoryText('0.33.0', 1, 1)).toBe('unable to load full model on GPU');
    expect(loadTimeoutText('0.6.8')).toBe('timed out waiting for llama runner to start - progress 0.00 - ');
    expect(loadTimeoutText('0.30.1')).toMatch(/^timed out waiting for llama-server to start - /);
  });

  it('metrics: zero values are omitted', () => {
    expect(
      metrics({
        total_duration: 5,
        load_duration: 0,
        prompt_eval_count: 1,
        prompt_eval_duration: 0,
        eval_count: 0,
        eval_duration: 0,
      }),
    ).toEqual({ total_duration: 5, prompt_eval_count: 1 });
  });

  it('model names: a missing tag means latest; invalid names are recognised', () => {
    expect(normaliseName('llama3.2')).toBe('llama3.2:latest');
    expect(normaliseName('llama3.2:3b')).toBe('llama3.2:3b');
    expect(normaliseName('library/llama3.2')).toBe('library/llama3.2:latest');
    expect(isValidName('qwen2.5-coder:32b')).toBe(true);
    expect(isValidName('')).toBe(false);
    expect(isValidName('bad name')).toBe(false);
    expect(isValidName('a:b:c')).toBe(false);
  });
});

describe('generated text', () => {
  it('is deterministic per (seed, model, prompt), 16–48 tokens ending "stop", or num_predict with "length"', () => {
    const a = planText({ seed: 1, model: 'm', prompt: 'hello' });
    expect(planText({ seed: 1, model: 'm', prompt: 'hello' })).toEqual(a);
    expect(planText({ seed: 2, model: 'm', prompt: 'hello' })).not.toEqual(a);
    expect(planText({ seed: 1, model: 'n', prompt: 'hello' })).not.toEqual(a);
    fc.assert(
      fc.property(fc.integer(), fc.string(), (seed, prompt) => {
        const p = planText({ seed, model: 'm', prompt });
        expect(p.tokens.length).toBeGreaterThanOrEqual(16);
        expect(p.tokens.length).toBeLessThanOrEqual(48);
        expect(p.doneReason).toBe('stop');
      }),
    );
    const capped = planText({ seed: 1, model: 'm', prompt: 'hello', numPredict: 7 });
    expect(capped).toMatchObject({ doneReason: 'length' });
    expect(capped.tokens).toHaveLength(7);
  });

  it('answers "What is A + B?" with the sum first; garbage never does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), (x, y) => {
        const p = planText({ seed: 3, model: 'm', prompt: `Quick check. What is ${x} + ${y}?` });
        expect(p.tokens[0]).toBe(String(x + y));
        const junk = garble(p, 3, 'm');
        expect(junk.tokens).toHaveLength(p.tokens.length);
        expect(junk.tokens.join('')).not.toMatch(/^\s*-?\d/);
      }),
    );
    const chat = planText({
      seed: 3,
      model: 'm',
      prompt: 'user: What is 1 + 1?\nassistant: 2\nuser: What is 2 + 2?',
      question: 'What is 2 + 2?',
    });
    expect(chat.tokens[0]).toBe('4');
  });

  it('counts tokens and builds unit-length embeddings', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('abcd')).toBe(1);
    expect(countTokens('abcde')).toBe(2);
    const v = embedding(1, 'm', 'text', 64);
    expect(Math.hypot(...v)).toBeCloseTo(1, 9);
    expect(embedding(1, 'm', 'text', 64)).toEqual(v);
  });
});

describe('scheduler decisions (pure)', () => {
  const r = (name: string, sessionMs: number, refCount = 0, sizeVram = 1) => ({
    name,
    sessionMs,
    refCount,
    sizeVram,
  });

  it('chooseVictim: shortest keep-alive first, ties by name, forever last, first idle wins, else the first', () => {
    expect(chooseVictim([r('b', 60_000), r('a', 60_000), r('c', 1000)])?.name).toBe('c');
    expect(chooseVictim([r('b', 60_000), r('a', 60_000)])?.name).toBe('a');
    expect(chooseVictim([r('f', Infinity), r('g', Infinity), r('x', 3_600_000)])?.name).toBe('x');
    expect(chooseVictim([r('f', Infinity), r('g', Infinity)])?.name).toBe('f');
    expect(chooseVictim([r('short', 1000, 2), r('long', 9000)])?.name).toBe('long');
    expect(chooseVictim([r('short', 1000, 2), r('long', 9000, 1)])?.name).toBe('short');
    expect(chooseVictim([])).toBeUndefined();
  });

  it('fitOnGpu: partial offload only with nothing resident; otherwise a full fit or nothing', () => {
    expect(fitOnGpu(20, 16, [])).toBe(16);
    expect(fitOnGpu(10, 16, [])).toBe(10);
    expect(fitOnGpu(10, 16, [r('a', 0, 0, 6)])).toBe(10);
    expect(fitOnGpu(11, 16, [r('a', 0, 0, 6)])).toBeUndefined();
    expect(offloadSlowdown(20, 20)).toBe(1);
    expect(offloadSlowdown(20, 16)).toBeCloseTo(0.8 + 0.2 * 10);
  });
});

describe('faults (unit)', () => {
  it('validates specs and normalises the model name', () => {
    expect(validateFaultSpec({ kind: 'refuse', model: 'llama3.2' })).toEqual({
      kind: 'refuse',
      model: 'llama3.2:latest',
    });
    expect(validateFaultSpec({ kind: 'host_restart' })).toEqual({ kind: 'host_restart', count: 1 });
    expect(() => validateFaultSpec({ kind: 'cut_stream', after_tokens: 1.5 })).toThrow(/^after_tokens: /);
    expect(() => validateFaultSpec({ kind: 'garbage', ms: 3 })).toThrow(/^ms: unknown for kind garbage/);
    expect(() => validateFaultSpec(null)).toThrow(/^body: /);
  });

  it('take(): host-wide faults match everything, scoped ones only their model; count retires them', () => {
    const book = new FaultBook(1);
    book.add({ kind: 'busy_503', model: 'a:1', count: 2 });
    expect(book.take('busy_503', undefined)).toBeUndefined();
    expect(book.take('busy_503', 'b:1')).toBeUndefined();
    expect(book.take('busy_503', 'a:1')?.remaining).toBe(1);
    expect(book.take('busy_503', 'a:1')?.remaining).toBe(0);
    expect(book.take('busy_503', 'a:1')).toBeUndefined();
    expect(book.list()).toEqual([]);
    book.add({ kind: 'refuse' });
    expect(book.take('refuse', undefined)).toBeDefined();
    expect(book.take('refuse', 'z:9')).toBeDefined();
  });

  it('rate draws from the seeded PRNG: about `rate` of the requests, the same ones for the same seed', () => {
    const draws = (seed: number) => {
      const book = new FaultBook(seed);
      book.add({ kind: 'http_500', rate: 0.3 });
      return Array.from({ length: 2000 }, () => book.take('http_500', 'm:1') !== undefined);
    };
    const a = draws(5);
    expect(draws(5)).toEqual(a);
    const share = a.filter(Boolean).length / a.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
  });
});

describe('token pacing', () => {
  const model = (tokensPerS: number): CatalogModel => ({
    name: 'm:1',
    spec: { size_gb: 1, load_time_s: 0, tokens_per_s: tokensPerS, strengths: [] },
    sizeBytes: 1e9,
    digest: '0'.repeat(64),
    modifiedAtMs: 0,
    capabilities: ['completion'],
    contextLength: 4096,
  });
  const noFaults = { slowFactor: 1, stallAfterFirstToken: false, garbage: false };

  it('sub-millisecond tokens are batched: no timer shorter than 1 ms, far fewer timers than tokens', async () => {
    const clock = new SimClock(1);
    const delays: number[] = [];
    const afterReal = clock.afterReal.bind(clock);
    clock.afterReal = (ms, fn) => {
      delays.push(ms);
      return afterReal(ms, fn);
    };
    const batches: string[][] = [];
    const tokens = Array.from({ length: 200 }, (_, i) => `t${i}`);
    // 100 000 tokens/s: 0.01 ms per token, 2 ms in all.
    const result = await generate({
      clock,
      runner: new Runner(model(100_000), 1e9, 1000, 4096),
      tokens,
      promptTokens: 3,
      faults: noFaults,
      signal: new AbortController().signal,
      onTokens: (b) => batches.push(b),
    });
    expect(result).toMatchObject({ end: 'done', emitted: 200 });
    expect(batches.flat()).toEqual(tokens);
    expect(delays.every((d) => d >= 1)).toBe(true);
    expect(delays.length).toBeLessThan(20);
    expect(result.evalNs).toBeGreaterThanOrEqual(2e6);
  });

  it('reported durations are real elapsed time divided by time_scale', async () => {
    // time_scale 0.01: 20 tokens at 100 tokens/s = 200 ms simulated, about 2 ms real.
    const clock = new SimClock(0.01);
    const started = performance.now();
    const result = await generate({
      clock,
      runner: new Runner(model(100), 1e9, 1000, 4096),
      tokens: Array.from({ length: 20 }, () => 'x'),
      promptTokens: 1,
      faults: noFaults,
      signal: new AbortController().signal,
      onTokens: () => {},
    });
    const realMs = performance.now() - started;
    expect(result.evalNs).toBeGreaterThanOrEqual(200e6);
    expect(result.evalNs).toBeLessThanOrEqual((realMs / 0.01) * 1e6 + 1e6);
  });
});
