import { describe, expect, it } from 'vitest';
import {
  type Classification,
  classifyError,
  countsAgainstCircuit,
  type ErrorPhase,
  GarbageOutputError,
  TimeoutError,
} from '../../src/policy/errors.ts';

/** What the `ollama` npm client throws for a non-2xx answer (its class is not exported). */
function responseError(status: number, text: string): Error {
  const e = new Error(text) as Error & { error: string; status_code: number };
  e.name = 'ResponseError';
  e.error = text;
  e.status_code = status;
  return e;
}

/** undici's `fetch failed`, with the socket error as its cause. */
function fetchFailed(code: string, causeMessage = `connect ${code} 127.0.0.1:11434`): TypeError {
  const cause = Object.assign(new Error(causeMessage), { code });
  return new TypeError('fetch failed', { cause });
}

function expectClass(c: Classification, cls: Classification['class'], reason: string) {
  expect({ class: c.class, reason: c.reason }).toEqual({ class: cls, reason });
}

const ALL_PHASES: ErrorPhase[] = ['connect', 'load', 'first_token', 'mid_stream'];

describe('classifyError: Ollama error texts (shared/ollama-behaviour.md), old and new wordings', () => {
  const cases: Array<[number, string, Classification['class'], string]> = [
    [404, "model 'qwen2.5-coder:32b' not found", 'FATAL', 'model_not_found'],
    [404, 'model "qwen2.5-coder:32b" not found, try pulling it first', 'FATAL', 'model_not_found'],
    [400, 'model is required', 'CLIENT', 'bad_request'],
    [400, 'missing request body', 'CLIENT', 'bad_request'],
    [400, "invalid character 'x' looking for beginning of value", 'CLIENT', 'bad_request'],
    [400, 'unexpected EOF', 'CLIENT', 'bad_request'],
    [400, 'invalid model name', 'CLIENT', 'bad_request'],
    [400, '"tinyllama:latest" does not support generate', 'FATAL', 'unsupported'],
    [400, '"tinyllama:latest" does not support chat', 'FATAL', 'unsupported'],
    [400, '"llama3.2:3b" does not support thinking', 'FATAL', 'unsupported'],
    [503, 'server busy, please try again.  maximum pending requests exceeded', 'TRANSIENT', 'busy'],
    [500, 'model requires more system memory (39.4 GiB) than is available (30.0 GiB)', 'FATAL', 'oom'],
    [500, 'llama-server process has terminated: cudaMalloc failed: out of memory', 'FATAL', 'oom'],
    [500, 'unable to load full model on GPU', 'FATAL', 'oom'],
    [500, 'timed out waiting for llama runner to start - progress 0.00 - ', 'TRANSIENT', 'load_timeout'],
    [
      500,
      'timed out waiting for llama-server to start - context deadline exceeded',
      'TRANSIENT',
      'load_timeout',
    ],
    [400, 'the input length exceeds the context length', 'CLIENT', 'context_length'],
    [400, 'time: missing unit in duration "30"', 'CLIENT', 'bad_request'],
    [404, '404 page not found', 'FATAL', 'not_found'],
    [405, '405 method not allowed', 'FATAL', 'method_not_allowed'],
    [500, 'something unexpected happened', 'DEGRADED', 'server_error'],
    [502, 'Error 502: Bad Gateway', 'TRANSIENT', 'bad_gateway'],
    [503, 'Error 503: Service Unavailable', 'TRANSIENT', 'unavailable'],
    [504, 'Error 504: Gateway Timeout', 'TRANSIENT', 'timeout'],
    [429, 'Error 429: Too Many Requests', 'TRANSIENT', 'rate_limited'],
    [401, 'unauthorized', 'FATAL', 'upstream_auth'],
    [413, 'request entity too large', 'CLIENT', 'too_large'],
    [422, 'unprocessable', 'CLIENT', 'bad_request'],
  ];

  for (const [status, text, cls, reason] of cases) {
    it(`${status} "${text}" → ${cls} ${reason}`, () => {
      const c = classifyError(responseError(status, text), 'first_token');
      expectClass(c, cls, reason);
      expect(c.status).toBe(status);
      expect(c.message).toBe(text);
    });
  }

  it('a runner that died for another reason is FATAL, named after the phase', () => {
    const text = 'llama-server process has terminated: exit status 2';
    expectClass(classifyError(responseError(500, text), 'load'), 'FATAL', 'load_crashed');
    expectClass(classifyError(new Error(text), 'mid_stream'), 'FATAL', 'runner_crashed');
    expectClass(
      classifyError(new Error('llama runner process has terminated: signal: killed'), 'first_token'),
      'FATAL',
      'runner_crashed',
    );
  });

  it('the same texts mid-stream (plain Error from an {"error"} line) classify the same', () => {
    expectClass(classifyError(new Error("model 'x' not found"), 'mid_stream'), 'FATAL', 'model_not_found');
    expectClass(
      classifyError(
        new Error('server busy, please try again.  maximum pending requests exceeded'),
        'mid_stream',
      ),
      'TRANSIENT',
      'busy',
    );
    expectClass(
      classifyError(
        new Error('model requires more system memory (39.4 GiB) than is available (30.0 GiB)'),
        'load',
      ),
      'FATAL',
      'oom',
    );
  });

  it('words that blame the request are believed only with a 4xx, not inside an accepted stream', () => {
    expectClass(classifyError(new Error('unexpected EOF'), 'mid_stream'), 'DEGRADED', 'stream_error');
    expectClass(classifyError(new Error('model is required'), 'first_token'), 'DEGRADED', 'unknown');
  });

  it('an unknown mid-stream error is DEGRADED', () => {
    expectClass(classifyError(new Error('runner hiccup'), 'mid_stream'), 'DEGRADED', 'stream_error');
  });

  it('marks only a model-not-found as missing, and never counts it against the circuit', () => {
    const c = classifyError(responseError(404, "model 'x' not found"), 'connect');
    expect(c.missing).toBe(true);
    expect(c.countsAgainstCircuit).toBe(false);
    expect(classifyError(responseError(404, '404 page not found'), 'connect').missing).toBe(false);
    expect(classifyError(responseError(500, 'unable to load full model on GPU'), 'load').missing).toBe(false);
  });
});

describe('classifyError: the ollama client, undici and our own errors', () => {
  it('a stream that ends without done is a truncated stream (TRANSIENT)', () => {
    const c = classifyError(new Error('Did not receive done or success response in stream.'), 'mid_stream');
    expectClass(c, 'TRANSIENT', 'stream_truncated');
    expect(c.countsAgainstCircuit).toBe(true);
  });

  it('AbortError (DOMException from abort()) is CANCELLED and never counts', () => {
    for (const phase of ALL_PHASES) {
      const c = classifyError(new DOMException('This operation was aborted', 'AbortError'), phase);
      expectClass(c, 'CANCELLED', 'cancelled');
      expect(c.countsAgainstCircuit).toBe(false);
    }
    expectClass(
      classifyError(Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' }), 'connect'),
      'CANCELLED',
      'cancelled',
    );
    expectClass(
      classifyError(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }), 'connect'),
      'CANCELLED',
      'cancelled',
    );
  });

  it('our TimeoutError is TRANSIENT (a load timeout during a load), also as a wrapped cause', () => {
    expectClass(classifyError(new TimeoutError(5000, 'first_token'), 'first_token'), 'TRANSIENT', 'timeout');
    expectClass(classifyError(new TimeoutError(300_000, 'load'), 'load'), 'TRANSIENT', 'load_timeout');
    const wrapped = new Error('request failed', { cause: new TimeoutError(10) });
    expectClass(classifyError(wrapped, 'mid_stream'), 'TRANSIENT', 'timeout');
    // AbortSignal.timeout() rejects with a DOMException named TimeoutError.
    expectClass(
      classifyError(new DOMException('timed out', 'TimeoutError'), 'connect'),
      'TRANSIENT',
      'timeout',
    );
    const t = new TimeoutError(1234, 'connect');
    expect(t.name).toBe('TimeoutError');
    expect(t.timeoutMs).toBe(1234);
    expect(t.message).toContain('1234 ms');
  });

  it('a timeout is CANCELLED when the caller had already gone away', () => {
    const c = classifyError(new TimeoutError(5000), 'first_token', { callerAborted: true });
    expectClass(c, 'CANCELLED', 'cancelled');
    expect(c.countsAgainstCircuit).toBe(false);
  });

  it('undici socket errors under "fetch failed"', () => {
    const cases: Array<[string, string]> = [
      ['ECONNREFUSED', 'connection_refused'],
      ['ECONNRESET', 'connection_reset'],
      ['EPIPE', 'connection_reset'],
      ['UND_ERR_SOCKET', 'connection_reset'],
      ['ETIMEDOUT', 'timeout'],
      ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
      ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
      ['UND_ERR_BODY_TIMEOUT', 'timeout'],
      ['EHOSTUNREACH', 'host_unreachable'],
      ['ENOTFOUND', 'host_unreachable'],
    ];
    for (const [code, reason] of cases) {
      const c = classifyError(fetchFailed(code), 'connect');
      expectClass(c, 'TRANSIENT', reason);
      expect(c.countsAgainstCircuit).toBe(true);
      expect(c.status).toBeUndefined();
      expect(c.message).toBe(`fetch failed: connect ${code} 127.0.0.1:11434`);
    }
  });

  it('undici errors thrown directly (HeadersTimeoutError) and body cut-offs', () => {
    const headers = Object.assign(new Error('Headers Timeout Error'), {
      name: 'HeadersTimeoutError',
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    expectClass(classifyError(headers, 'first_token'), 'TRANSIENT', 'timeout');
    expectClass(classifyError(headers, 'load'), 'TRANSIENT', 'load_timeout');
    const terminated = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expectClass(classifyError(terminated, 'mid_stream'), 'TRANSIENT', 'connection_reset');
    expectClass(classifyError(new TypeError('fetch failed'), 'connect'), 'TRANSIENT', 'network');
  });

  it('garbage output from the coherence check is DEGRADED and counts', () => {
    const c = classifyError(new GarbageOutputError('expected 42, got "zzzz"'), 'mid_stream');
    expectClass(c, 'DEGRADED', 'garbage');
    expect(c.countsAgainstCircuit).toBe(true);
    expect(c.message).toContain('zzzz');
  });

  it('a malformed JSON line is a bad response', () => {
    expectClass(
      classifyError(new SyntaxError('Unexpected token < in JSON'), 'mid_stream'),
      'DEGRADED',
      'bad_response',
    );
  });

  it('never throws, whatever is thrown at it', () => {
    for (const weird of [
      undefined,
      null,
      42,
      'boom',
      { status: 'x' },
      Symbol('s'),
      [],
      { cause: { cause: {} } },
    ]) {
      for (const phase of ALL_PHASES) {
        const c = classifyError(weird, phase);
        expect(['TRANSIENT', 'DEGRADED', 'FATAL', 'CLIENT', 'CANCELLED']).toContain(c.class);
        expect(typeof c.message).toBe('string');
      }
    }
    expect(classifyError('boom', 'connect').message).toBe('boom');
    expectClass(classifyError(undefined, 'connect'), 'DEGRADED', 'unknown');
  });

  it('reads the status from status_code, status or statusCode', () => {
    expect(classifyError({ statusCode: 503, message: 'x' }, 'connect').status).toBe(503);
    expect(classifyError({ status: 404, message: "model 'm' not found" }, 'connect').reason).toBe(
      'model_not_found',
    );
  });
});

describe('countsAgainstCircuit', () => {
  it('CLIENT and CANCELLED never count; FATAL unsupported and missing do not; the rest do', () => {
    expect(countsAgainstCircuit('CLIENT', 'bad_request')).toBe(false);
    expect(countsAgainstCircuit('CANCELLED', 'cancelled')).toBe(false);
    expect(countsAgainstCircuit('FATAL', 'unsupported')).toBe(false);
    expect(countsAgainstCircuit('FATAL', 'model_not_found')).toBe(false);
    expect(countsAgainstCircuit('FATAL', 'oom')).toBe(true);
    expect(countsAgainstCircuit('TRANSIENT', 'busy')).toBe(true);
    expect(countsAgainstCircuit('DEGRADED', 'garbage')).toBe(true);
  });
});
