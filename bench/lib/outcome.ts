import { ERROR_CATALOGUE } from '../../src/manager/errors.ts';

/** The three API shapes a chaos request can take; each reports errors its own way. */
export type Shape = 'seed' | 'seed_stream' | 'ollama_stream' | 'openai';

export type Verdict =
  | { kind: 'answered'; model: string }
  | { kind: 'clear_error'; code: string; message?: string }
  | { kind: 'lost'; why: string };

const CODES: ReadonlySet<string> = new Set(Object.keys(ERROR_CATALOGUE));

/**
 * Judges one answer: an answer with text and the model that gave it, a clear error (an HTTP error in the
 * route's own format, or an error record closing a stream that had started), or lost: no answer at all,
 * a torn stream, an unparseable body, or RMM_INTERNAL (a bug).
 */
export function judgeAnswer(shape: Shape, status: number, text: string, transportError?: string): Verdict {
  if (transportError) return { kind: 'lost', why: transportError.split(':')[0]! };
  if (status >= 400) return judgeError(shape, status, text);
  if (status !== 200) return { kind: 'lost', why: `status ${status}` };
  try {
    if (shape === 'seed') {
      const b = JSON.parse(text) as { response?: unknown; model_used?: unknown };
      return typeof b.response === 'string' && typeof b.model_used === 'string'
        ? { kind: 'answered', model: b.model_used }
        : { kind: 'lost', why: 'seed answer without response/model_used' };
    }
    if (shape === 'openai') {
      const b = JSON.parse(text) as { model?: string; choices?: Array<{ message?: { content?: unknown } }> };
      return typeof b.choices?.[0]?.message?.content === 'string'
        ? { kind: 'answered', model: b.model ?? '?' }
        : { kind: 'lost', why: 'openai answer without choices[0].message.content' };
    }
    return judgeNdjson(shape, text);
  } catch {
    return { kind: 'lost', why: 'unparseable 200 body' };
  }
}

function judgeError(shape: Shape, status: number, text: string): Verdict {
  let body: { error?: unknown };
  try {
    body = JSON.parse(text) as { error?: unknown };
  } catch {
    return { kind: 'lost', why: `status ${status} with a body that is not JSON` };
  }
  const e = body.error;
  if (shape === 'ollama_stream') {
    // Ollama's own shape: {"error":"text"}; the text must say something.
    return typeof e === 'string' && e.length > 0
      ? { kind: 'clear_error', code: `ollama ${status}`, message: e }
      : { kind: 'lost', why: `status ${status} without an error text` };
  }
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !CODES.has(code))
    return { kind: 'lost', why: `status ${status} without a catalogued code` };
  if (code === 'RMM_INTERNAL') return { kind: 'lost', why: 'RMM_INTERNAL (a bug)' };
  const message = (e as { message?: unknown }).message;
  return { kind: 'clear_error', code, ...(typeof message === 'string' && { message }) };
}

/** A stream must end with a done record (an answer) or an error record (a clear error after the start). */
function judgeNdjson(shape: Shape, text: string): Verdict {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const last = lines.at(-1);
  if (!last) return { kind: 'lost', why: 'empty stream' };
  const rec = JSON.parse(last) as { done?: boolean; error?: unknown; model?: string; model_used?: string };
  if (rec.error !== undefined) {
    if (shape === 'ollama_stream')
      return typeof rec.error === 'string'
        ? { kind: 'clear_error', code: 'ollama stream error' }
        : { kind: 'lost', why: 'bad error record' };
    const code = (rec.error as { code?: unknown }).code;
    return typeof code === 'string' && CODES.has(code) && code !== 'RMM_INTERNAL'
      ? { kind: 'clear_error', code: `${code} (mid-stream)` }
      : { kind: 'lost', why: 'stream error record without a catalogued code' };
  }
  if (rec.done !== true) return { kind: 'lost', why: 'stream ended without a done record' };
  return { kind: 'answered', model: rec.model_used ?? rec.model ?? '?' };
}
