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
