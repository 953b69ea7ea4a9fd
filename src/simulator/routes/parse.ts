import { type CatalogModel, isValidName } from '../catalog.ts';
import type { RequestContext } from '../context.ts';
import { parseKeepAlive } from '../duration.ts';
import { checkGoTypes, decodeGoJson, type GoStruct } from '../go-json.ts';
import { modelNotFound } from '../ollama-errors.ts';
import type { ModelRequestBody } from '../request-shapes.ts';

/** Request-body steps shared by the model routes; each returns undefined after answering an error. */

export type Fail = (status: number, message: string) => void;

/** gin's ShouldBindJSON into the Go struct: 400 with the decoder's message on failure. */
export function bindBody(ctx: RequestContext, struct: GoStruct, fail: Fail): ModelRequestBody | undefined {
  const decoded = decodeGoJson(ctx.body);
  if (!decoded.ok) {
    fail(400, decoded.error);
    return undefined;
  }
  const typeError = checkGoTypes(decoded.value, struct);
  if (typeError) {
    fail(400, typeError);
    return undefined;
  }
  const body = (decoded.value ?? {}) as ModelRequestBody;
  const keepAlive = parseKeepAlive(body.keep_alive);
  if (!keepAlive.ok) {
    fail(400, keepAlive.error);
    return undefined;
  }
  return body;
}

/** keep_alive after bindBody has validated it. */
export function keepAliveOf(body: ModelRequestBody): number | undefined {
  const parsed = parseKeepAlive(body.keep_alive);
  return parsed.ok ? parsed.ms : undefined;
}

/**
 * The model on this host, or a 404 `model 'NAME' not found` (also when a `missing` fault hides it).
 * `invalid` answers a name Ollama cannot parse (handlers differ: 404 for generate, 400 for chat).
 */
export function findModel(
  ctx: RequestContext,
  requested: string,
  fail: Fail,
  invalid: () => void = () => fail(404, modelNotFound(requested)),
): CatalogModel | undefined {
  if (!isValidName(requested)) {
    invalid();
    return undefined;
  }
  const model = ctx.sim.catalog.resolve(requested);
  if (!model || ctx.sim.faults.take('missing', model.name)) {
    fail(404, modelNotFound(requested));
    return undefined;
  }
  return model;
}

export function numberOption(
  options: Record<string, unknown> | null | undefined,
  key: string,
): number | undefined {
  const v = options?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `"NAME" does not support thinking` when think is asked of a model without the capability. */
export function thinkingUnsupported(
  body: ModelRequestBody,
  model: CatalogModel,
  requested: string,
): string | undefined {
  const asked = body.think === true || (typeof body.think === 'string' && body.think !== '');
  return asked && !model.capabilities.includes('thinking')
    ? `"${requested}" does not support thinking`
    : undefined;
}

/** Ollama's full model name as its capability errors print it: registry.ollama.ai/library/NAME. */
function fullName(name: string): string {
  return `registry.ollama.ai/${name.includes('/') ? name : `library/${name}`}`;
}

/**
 * The 400 Ollama answers when the request needs what the model lacks (server/routes.go, v0.12):
 * an embedding-only model asked to complete (`"NAME" does not support generate|chat`); `tools` or `suffix`
 * on a model without `tools` / `insert` (Ollama's own wording names the full model and joins several
 * missing capabilities with a newline); think on a model without `thinking`. Raw mode rejects a template,
 * system prompt or context first.
 */
export function capabilityError(
  kind: 'generate' | 'chat',
  body: ModelRequestBody,
  model: CatalogModel,
  requested: string,
): string | undefined {
  if (kind === 'generate' && body.raw && (body.template || body.system || (body.context?.length ?? 0) > 0)) {
    return 'raw mode does not support template, system, or context';
  }
  if (!model.capabilities.includes('completion')) return `"${requested}" does not support ${kind}`;
  const missing: string[] = [];
  if (kind === 'chat' && (body.tools?.length ?? 0) > 0 && !model.capabilities.includes('tools')) {
    missing.push('tools');
  }
  if (kind === 'generate' && body.suffix && !model.capabilities.includes('insert')) missing.push('insert');
  if (missing.length > 0)
    return missing.map((c) => `${fullName(model.name)} does not support ${c}`).join('\n');
  return thinkingUnsupported(body, model, requested);
}
