/**
 * One error taxonomy for everything Ollama, the `ollama` npm client, undici and our own deadlines can
 * throw. The request journey decides retries from `class`; the model actor decides its circuit from
 * `countsAgainstCircuit` and `missing`. Reasons are stable short codes: logs, metrics and
 * `attempts_detail` carry them, so never rename one.
 */

export type ErrorClass = 'TRANSIENT' | 'DEGRADED' | 'FATAL' | 'CLIENT' | 'CANCELLED';
export type ErrorPhase = 'connect' | 'load' | 'first_token' | 'mid_stream';

export interface Classification {
  class: ErrorClass;
  reason: string;
  status?: number;
  message: string;
  countsAgainstCircuit: boolean;
  /** A 404 "model not found": the model actor goes to `missing`, never to `open`. */
  missing: boolean;
}

/**
 * Thrown (or passed to `AbortController.abort(reason)`) by the runtime when an attempt's own deadline
 * passes. Passing it as the abort reason matters: fetch then rejects with it, so a deadline is told
 * apart from a caller who went away (a bare abort is an AbortError, classified CANCELLED).
 */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly phase?: ErrorPhase,
  ) {
    super(`no answer within ${timeoutMs} ms${phase ? ` (${phase})` : ''}`);
  }
}

/** Thrown by the coherence check when a model answered with text that is not an answer. */
export class GarbageOutputError extends Error {
  override readonly name = 'GarbageOutputError';
  constructor(readonly detail: string) {
    super(`incoherent output: ${detail}`);
  }
}

export interface ClassifyOptions {
  /** The caller's own signal is aborted: whatever broke, it is not the model's fault. */
  callerAborted?: boolean;
}

/** Reasons whose class is FATAL but that say nothing bad about the model's health. */
const FATAL_NOT_COUNTED = new Set(['unsupported', 'model_not_found']);

/** Classifies anything thrown while talking to a model in `phase`. Never throws. */
export function classifyError(
  err: unknown,
  phase: ErrorPhase,
  options: ClassifyOptions = {},
): Classification {
  const facts = readFacts(err);
  const base = options.callerAborted ? cancelled() : decide(facts, phase);
  const out: Classification = {
    class: base.class,
    reason: base.reason,
    message: facts.message,
    countsAgainstCircuit: countsAgainstCircuit(base.class, base.reason),
    missing: base.reason === 'model_not_found',
  };
  if (facts.status !== undefined) out.status = facts.status;
  return out;
}

/** CLIENT and CANCELLED never count; a missing model moves to `missing` instead; see FATAL_NOT_COUNTED. */
export function countsAgainstCircuit(cls: ErrorClass, reason: string): boolean {
  if (cls === 'CLIENT' || cls === 'CANCELLED') return false;
  return !(cls === 'FATAL' && FATAL_NOT_COUNTED.has(reason));
}

interface Facts {
  names: string[];
  codes: string[];
  status: number | undefined;
  message: string;
  /** Every message on the cause chain, lower-cased, for text matching. */
  text: string;
}

interface Decision {
  class: ErrorClass;
  reason: string;
}

const MAX_CAUSE_DEPTH = 5;

function readFacts(err: unknown): Facts {
  const names: string[] = [];
  const codes: string[] = [];
  const texts: string[] = [];
  let status: number | undefined;
  let message = '';
  let cur: unknown = err;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && cur !== undefined && cur !== null; depth++) {
    if (typeof cur !== 'object') {
      const s = String(cur);
      texts.push(s);
      if (!message) message = s;
      break;
    }
    const o = cur as Record<string, unknown>;
    if (typeof o['name'] === 'string') names.push(o['name']);
    if (typeof o['code'] === 'string') codes.push(o['code']);
    status ??= readStatus(o);
    const m =
      typeof o['message'] === 'string' ? o['message'] : typeof o['error'] === 'string' ? o['error'] : '';
    if (m) texts.push(m);
    // The ResponseError's `.error` is the server's own text; prefer it to a generic wrapper message.
    if (!message) message = typeof o['error'] === 'string' && o['error'] ? o['error'] : m;
    // "fetch failed" alone tells a person nothing: add the cause's own words once.
    else if (depth === 1 && m && m !== message) message = `${message}: ${m}`;
    cur = o['cause'];
  }
  return { names, codes, status, message: message || 'unknown error', text: texts.join(' | ').toLowerCase() };
}

function readStatus(o: Record<string, unknown>): number | undefined {
  for (const key of ['status_code', 'status', 'statusCode']) {
    const v = o[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 599) return v;
  }
  return undefined;
}

function decide(f: Facts, phase: ErrorPhase): Decision {
  // Our own deadline first: fetch rejects with the abort reason, possibly wrapped.
  if (f.names.includes('TimeoutError')) return timeout(phase);
  if (
    f.names.includes('AbortError') ||
    f.codes.includes('ABORT_ERR') ||
    f.codes.includes('UND_ERR_ABORTED')
  ) {
    return cancelled();
  }
  if (f.names.includes('GarbageOutputError')) return { class: 'DEGRADED', reason: 'garbage' };
  if (f.status !== undefined) return byStatus(f.status, f.text, phase);
  const byText = fromServerText(f.text, phase);
  if (byText) return byText;
  const net = byNetworkCode(f.codes, phase);
  if (net) return net;
  if (f.text.includes('did not receive done or success response in stream')) {
    return { class: 'TRANSIENT', reason: 'stream_truncated' };
  }
  // undici: "fetch failed" without a code, or "terminated" when the body is cut off.
  if (f.names.includes('TypeError') && /fetch failed|terminated|network/.test(f.text)) {
    return { class: 'TRANSIENT', reason: phase === 'mid_stream' ? 'connection_reset' : 'network' };
  }
  if (f.names.includes('SyntaxError')) return { class: 'DEGRADED', reason: 'bad_response' };
  return { class: 'DEGRADED', reason: phase === 'mid_stream' ? 'stream_error' : 'unknown' };
}

function byStatus(status: number, text: string, phase: ErrorPhase): Decision {
  const known = fromServerText(text, phase) ?? (status >= 400 && status < 500 ? clientText(text) : undefined);
  if (known) return known;
  // A plain 404 ("404 page not found") or 405: this server does not speak the API we expect.
  if (status === 404) return { class: 'FATAL', reason: 'not_found' };
  if (status === 405) return { class: 'FATAL', reason: 'method_not_allowed' };
  if (status === 408) return timeout(phase);
  if (status === 429) return { class: 'TRANSIENT', reason: 'rate_limited' };
  if (status === 401 || status === 403) return { class: 'FATAL', reason: 'upstream_auth' };
  if (status === 413) return { class: 'CLIENT', reason: 'too_large' };
  if (status === 502) return { class: 'TRANSIENT', reason: 'bad_gateway' };
  if (status === 503) return { class: 'TRANSIENT', reason: 'unavailable' };
  if (status === 504) return timeout(phase);
  if (status >= 500) return { class: 'DEGRADED', reason: 'server_error' };
  if (status >= 400) return { class: 'CLIENT', reason: 'bad_request' };
  return { class: 'DEGRADED', reason: 'unexpected_status' };
}

/**
 * Ollama's own error texts, old and new wordings (see shared/ollama-behaviour.md). They arrive with a
 * status (ResponseError) or without one (an `{"error"}` line mid-stream), so both paths use this.
 */
function fromServerText(text: string, phase: ErrorPhase): Decision | undefined {
  if (!text) return undefined;
  // `model 'x' not found` (v0.6.8 to HEAD) and `model "x" not found, try pulling it first` (blob gone).
  if (/model ['"][^'"]*['"] not found|model not found/.test(text)) {
    return { class: 'FATAL', reason: 'model_not_found' };
  }
  if (/server busy|maximum pending requests/.test(text)) return { class: 'TRANSIENT', reason: 'busy' };
  if (/timed out waiting for llama[- ](runner|server) to start/.test(text)) {
    return { class: 'TRANSIENT', reason: 'load_timeout' };
  }
  if (
    /requires more system memory|unable to load full model|out of memory|cudamalloc failed|insufficient memory|failed to allocate/.test(
      text,
    )
  ) {
    return { class: 'FATAL', reason: 'oom' };
  }
  if (/llama[- ](runner|server) process has terminated|runner process no longer running/.test(text)) {
    return { class: 'FATAL', reason: phase === 'load' ? 'load_crashed' : 'runner_crashed' };
  }
  if (/does not support (generate|chat|thinking|tools|insert|embedding|vision|completion)/.test(text)) {
    return { class: 'FATAL', reason: 'unsupported' };
  }
  return undefined;
}

/**
 * Texts that blame the request itself. Only believed with a 4xx: the same words inside a stream that
 * was accepted (an "unexpected EOF" from a runner, say) are the server's trouble, not the caller's.
 */
function clientText(text: string): Decision | undefined {
  if (/input length exceeds the context length/.test(text))
    return { class: 'CLIENT', reason: 'context_length' };
  if (
    /model is required|missing request body|invalid model name|missing unit in duration|invalid duration|cannot unmarshal|invalid character|unexpected eof|unexpected end of json/.test(
      text,
    )
  ) {
    return { class: 'CLIENT', reason: 'bad_request' };
  }
  return undefined;
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ECONNABORTED: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'connection_reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'host_unreachable',
  ENOTFOUND: 'host_unreachable',
  EAI_AGAIN: 'host_unreachable',
};

function byNetworkCode(codes: string[], phase: ErrorPhase): Decision | undefined {
  for (const code of codes) {
    const reason = NETWORK[code];
    if (reason === 'timeout') return timeout(phase);
    if (reason) return { class: 'TRANSIENT', reason };
  }
  return undefined;
}

/** A deadline that passes during a load is a load timeout: the caller's estimate, not the request's. */
function timeout(phase: ErrorPhase): Decision {
  return { class: 'TRANSIENT', reason: phase === 'load' ? 'load_timeout' : 'timeout' };
}

function cancelled(): Decision {
  return { class: 'CANCELLED', reason: 'cancelled' };
}
