import type { RequestContext } from '../context.ts';
import { FaultSpecError } from '../faults.ts';
import { sendJson } from '../http-io.ts';

/**
 * The simulator's own control surface under /__sim/: state, faults, restart, reset. Never subject to
 * faults. Bad input is a 400 naming the field: {"error": "...", "field": "..."}.
 */

function badInput(ctx: RequestContext, field: string, message: string): void {
  sendJson(ctx.res, 400, { error: `${field}: ${message}`, field });
}

/** An optional JSON object body; undefined after answering a 400. */
function objectBody(ctx: RequestContext): Record<string, unknown> | undefined {
  if (ctx.body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(ctx.body);
  } catch (err) {
    badInput(ctx, 'body', `not JSON (${(err as Error).message})`);
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    badInput(ctx, 'body', 'must be a JSON object');
    return undefined;
  }
  return value as Record<string, unknown>;
}

export function handleState(ctx: RequestContext): void {
  sendJson(ctx.res, 200, ctx.sim.state());
}

export function handleListFaults(ctx: RequestContext): void {
  sendJson(ctx.res, 200, { faults: ctx.sim.faults.list() });
}

export function handleAddFault(ctx: RequestContext): void {
  const body = objectBody(ctx);
  if (!body) return;
  try {
    const id = ctx.sim.faults.add(body);
    sendJson(ctx.res, 201, { id });
  } catch (err) {
    if (!(err instanceof FaultSpecError)) throw err;
    badInput(ctx, err.field, err.message.slice(err.field.length + 2));
  }
}

export function handleClearFaults(ctx: RequestContext): void {
  ctx.sim.faults.clear();
  sendJson(ctx.res, 200, { faults: [] });
}

export function handleRemoveFault(ctx: RequestContext, id: string): void {
  if (!ctx.sim.faults.remove(id)) {
    sendJson(ctx.res, 404, { error: `id: no fault "${id}"`, field: 'id' });
    return;
  }
  sendJson(ctx.res, 200, { removed: id });
}

export function handleRestart(ctx: RequestContext): void {
  const body = objectBody(ctx);
  if (!body) return;
  const down = body['down_ms'];
  if (down !== undefined && (typeof down !== 'number' || !Number.isFinite(down) || down < 0)) {
    badInput(ctx, 'down_ms', 'must be a number >= 0');
    return;
  }
  const extra = Object.keys(body).find((k) => k !== 'down_ms');
  if (extra) {
    badInput(ctx, extra, 'unknown; allowed: down_ms');
    return;
  }
  ctx.sim.restart(down as number | undefined);
  sendJson(ctx.res, 200, { restarted: true });
}

export function handleReset(ctx: RequestContext): void {
  ctx.sim.reset();
  sendJson(ctx.res, 200, { reset: true });
}

/** GET /__sim/requests[?path=/api/chat]: the last bodies received, oldest first. */
export function handleListRequests(ctx: RequestContext): void {
  const path = ctx.url.searchParams.get('path') ?? undefined;
  sendJson(ctx.res, 200, { requests: ctx.sim.requests.list(path) });
}

export function handleClearRequests(ctx: RequestContext): void {
  ctx.sim.requests.clear();
  sendJson(ctx.res, 200, { cleared: true });
}
