import type { FastifyError, FastifyRequest } from 'fastify';
import { RmmError } from '../manager/errors.ts';
import { describeValidation, type SchemaError } from './validation-message.ts';

/**
 * Every route answers errors in its own API's shape, so existing clients understand them:
 * - `rmm`: our `{error:{code,message,hint,...}}` (RmmError.toJSON()) for /api/echo/* and the ops routes;
 * - `ollama`: `{"error":"text"}` like Ollama;
 * - `openai`: `{"error":{"message","type","param":null,"code"}}` like OpenAI, with our stable code.
 */
export type Flavour = 'rmm' | 'ollama' | 'openai';

const FLAVOURS: ReadonlySet<string> = new Set(['rmm', 'ollama', 'openai']);

/** The route's declared flavour, else the one its URL implies. */
export function flavourOf(declared: string | undefined, url: string): Flavour {
  return declared !== undefined && FLAVOURS.has(declared) ? (declared as Flavour) : flavourOfUrl(url);
}

/** Flavour of a path that matched no route (routes declare theirs in their config). */
export function flavourOfUrl(url: string): Flavour {
  if (url.startsWith('/v1/')) return 'openai';
  if (url.startsWith('/api/') && !url.startsWith('/api/echo/')) return 'ollama';
  return 'rmm';
}

const FASTIFY_CODES: Record<string, (e: FastifyError) => RmmError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => new RmmError('RMM_BAD_REQUEST', 'body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new RmmError('RMM_BAD_REQUEST', 'body is empty but content-type says JSON; send a JSON object'),
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new RmmError('RMM_BODY_TOO_LARGE', 'body is larger than the server accepts'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new RmmError('RMM_BAD_REQUEST', 'content-type is not supported; send JSON'),
  FST_ERR_BODY_TIMEOUT: (e) => new RmmError('RMM_BODY_TIMEOUT', e.message),
  FST_ERR_BODY_ABORTED: (e) => new RmmError('RMM_BAD_REQUEST', e.message),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new RmmError('RMM_BAD_REQUEST', 'content-length does not match the body that was sent'),
};

/** Any thrown thing → an RmmError with a status from the catalogue. Never leaks a stack trace. */
export function toRmmError(err: unknown, request: FastifyRequest): RmmError {
  if (err instanceof RmmError) return err;
  const e = err as FastifyError & { validation?: SchemaError[]; validationContext?: string };
  if (Array.isArray(e?.validation)) {
    const part = e.validationContext ?? 'body';
    const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[part];
    const value = (request as unknown as Record<string, unknown>)[part === 'querystring' ? 'query' : part];
    const problem = describeValidation(e.validation, part, schema, value);
    return new RmmError('RMM_VALIDATION', problem.message, { field: problem.field });
  }
  const mapped = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return mapped(e);
  // secure-json-parse's prototype-poisoning refusal and other parser errors come as 4xx.
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    if (status === 413) return new RmmError('RMM_BODY_TOO_LARGE', 'body is larger than the server accepts');
    return new RmmError('RMM_BAD_REQUEST', safeMessage(e));
  }
  return new RmmError('RMM_INTERNAL', 'internal error; the request id is in the x-request-id header');
}

function safeMessage(e: { message?: unknown }): string {
  const text = typeof e?.message === 'string' && e.message ? e.message : 'bad request';
  return text.split('\n')[0]!.slice(0, 300);
}

export function errorBody(flavour: Flavour, err: RmmError): unknown {
  if (flavour === 'ollama') return { error: err.message };
  if (flavour === 'openai') {
    return { error: { message: err.message, type: openAiType(err.status), param: null, code: err.code } };
  }
  return err.toJSON();
}

function openAiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'api_error';
}

/** `model 'NAME' not found` is Ollama's own text; clients and scripts match on it. */
export function unknownModel(name: string, choices: readonly string[], flavour: Flavour): RmmError {
  const message =
    flavour === 'rmm'
      ? `unknown model '${name}'; choose one of: ${choices.join(', ')}`
      : flavour === 'openai'
        ? `The model '${name}' does not exist; available: ${choices.join(', ')}`
        : `model '${name}' not found`;
  return new RmmError('RMM_UNKNOWN_MODEL', message, { model: name, choices: [...choices] });
}

/** A 400 whose text the API defines itself (Ollama's "model is required"), naming the field. */
export function badRequest(message: string, field?: string): RmmError {
  return new RmmError('RMM_VALIDATION', message, field ? { field } : {});
}
