import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseKeepAlive } from '../../../src/simulator/duration.ts';
import { checkGoTypes, decodeGoJson, type GoStruct } from '../../../src/simulator/go-json.ts';
import { sendError } from '../../../src/simulator/http-io.ts';
import type { ModelRequestBody } from '../../../src/simulator/request-shapes.ts';
import type { Engine } from './engine.ts';

/** What every route gets: the exchange, its body, an abort signal for a client that left, the engine. */
export interface EngineRequest {
  req: IncomingMessage;
  res: ServerResponse;
  body: string;
  /** Aborts when the client goes away before the answer is complete. */
  signal: AbortSignal;
  /** performance.now() on arrival: load_duration and total_duration count from here, as in Ollama. */
  startedAt: number;
  engine: Engine;
}

/**
 * The body decoded and type-checked as Ollama's Go handlers do (same 400 texts, via the simulator's
 * decoder), keep_alive included. Answers the error itself and returns undefined when the body is bad.
 */
export function parseBody(
  ctx: EngineRequest,
  struct: GoStruct,
): { body: ModelRequestBody; keepAliveMs: number | undefined } | undefined {
  const decoded = decodeGoJson(ctx.body);
  if (!decoded.ok) return void sendError(ctx.res, 400, decoded.error);
  const typeError = checkGoTypes(decoded.value, struct);
  if (typeError) return void sendError(ctx.res, 400, typeError);
  const body = (decoded.value ?? {}) as ModelRequestBody;
  const keepAlive = parseKeepAlive(body.keep_alive);
  if (!keepAlive.ok) return void sendError(ctx.res, 400, keepAlive.error);
  return { body, keepAliveMs: keepAlive.ms };
}

export function numberOption(options: Record<string, unknown> | null | undefined, key: string) {
  const v = options?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
