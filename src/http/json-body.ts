import type { FastifyRequest } from 'fastify';
import { RmmError } from '../manager/errors.ts';
import { flavourOf } from './errors.ts';

/**
 * Request bodies. Ollama's server decodes every body as JSON whatever its Content-Type (and `curl -d`
 * sends form encoding), so the drop-in routes (Ollama's /api/*, OpenAI's /v1/*) do the same. Our own
 * routes take JSON under the types a JSON body is commonly sent with, and refuse the rest with 415 and the
 * list of accepted types, rather than failing later with a puzzling parse error.
 */
export const ACCEPTED_TYPES = [
  'application/json',
  'application/*+json',
  'text/plain',
  'application/x-www-form-urlencoded',
] as const;

export function parseRequestBody(request: FastifyRequest, body: string): unknown {
  const flavour = flavourOf(request.routeOptions.config?.flavour, request.url);
  if (flavour === 'rmm' && !acceptedType(request.headers['content-type'])) {
    const type = String(request.headers['content-type']).split(';', 1)[0]!.trim().slice(0, 100);
    throw new RmmError(
      'RMM_UNSUPPORTED_MEDIA_TYPE',
      `content-type ${type} is not accepted here; send JSON (accepted: ${ACCEPTED_TYPES.join(', ')})`,
      { accepted: [...ACCEPTED_TYPES] },
    );
  }
  return parseJson(body);
}

function acceptedType(header: string | undefined): boolean {
  if (header === undefined) return true;
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  return (
    type === '' ||
    type === 'application/json' ||
    (type.startsWith('application/') && type.endsWith('+json')) ||
    type === 'text/plain' ||
    type === 'application/x-www-form-urlencoded'
  );
}

/**
 * JSON.parse, with keys that could reach an object's prototype dropped (`__proto__`, and `constructor`
 * holding `prototype`): Ollama ignores unknown keys, so a body carrying one is served, never refused as
 * "not valid JSON" when it is. Only text that may contain such a key (literally or through \u escapes)
 * pays for the reviver. A body that really is not JSON gets the parser's own reason.
 */
export function parseJson(body: string): unknown {
  if (body.trim() === '') throw new RmmError('RMM_BAD_REQUEST', 'body is empty; send a JSON object');
  try {
    return mayPoison(body) ? JSON.parse(body, dropPrototypeKeys) : JSON.parse(body);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n', 1)[0]!.slice(0, 200) : 'unreadable';
    throw new RmmError('RMM_BAD_REQUEST', `body is not valid JSON: ${reason}; send one JSON object`);
  }
}

function mayPoison(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
}

function dropPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') return undefined;
  if (
    key === 'constructor' &&
    typeof value === 'object' &&
    value !== null &&
    Object.hasOwn(value, 'prototype')
  )
    return undefined;
  return value;
}
