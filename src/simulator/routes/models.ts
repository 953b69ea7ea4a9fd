import { detailsOf, isValidName, showPayload, tagsEntry } from '../catalog.ts';
import type { RequestContext } from '../context.ts';
import { ndjsonStream, sendEmpty, sendError, sendJson, sendText } from '../http-io.ts';
import { modelNotFound } from '../ollama-errors.ts';
import { DeleteRequest, PullRequest, ShowRequest } from '../request-shapes.ts';
import { localTimestamp } from '../time-format.ts';
import { bindBody, type Fail } from './parse.ts';

/** The informational and model-management endpoints: /, version, tags, ps, show, pull, delete. */

export function handleRoot(ctx: RequestContext): void {
  sendText(ctx.res, 200, 'Ollama is running', 'text/plain; charset=utf-8');
}

export function handleVersion(ctx: RequestContext): void {
  sendJson(ctx.res, 200, { version: ctx.sim.version });
}

export function handleTags(ctx: RequestContext): void {
  const models = ctx.sim.catalog.list().filter((m) => !ctx.sim.faults.hidesModel(m.name));
  sendJson(ctx.res, 200, { models: models.map(tagsEntry) });
}

export function handlePs(ctx: RequestContext): void {
  const models = ctx.sim
    .scheduler()
    .residents()
    .map(({ runner, expiresAtMs }) => ({
      name: runner.name,
      model: runner.name,
      size: runner.model.sizeBytes,
      digest: runner.model.digest,
      details: detailsOf(runner.model),
      expires_at: localTimestamp(expiresAtMs),
      size_vram: runner.sizeVram,
      context_length: runner.numCtx,
    }));
  sendJson(ctx.res, 200, { models });
}

export function handleShow(ctx: RequestContext): void {
  const fail: Fail = (status, message) => sendError(ctx.res, status, message);
  const body = bindBody(ctx, ShowRequest, fail);
  if (!body) return;
  const requested = body.model || body.name || '';
  if (requested === '') {
    fail(400, 'model is required');
    return;
  }
  const model = isValidName(requested) ? ctx.sim.catalog.resolve(requested) : undefined;
  if (!model || ctx.sim.faults.take('missing', model.name)) {
    fail(404, modelNotFound(requested));
    return;
  }
  sendJson(ctx.res, 200, showPayload(model));
}

export function handleDelete(ctx: RequestContext): void {
  const fail: Fail = (status, message) => sendError(ctx.res, status, message);
  const body = bindBody(ctx, DeleteRequest, fail);
  if (!body) return;
  const requested = body.model || body.name || '';
  if (!isValidName(requested)) {
    fail(400, `name "${requested}" is invalid`);
    return;
  }
  // Deleting removes the files only; a running copy stays loaded until it expires.
  if (!ctx.sim.catalog.remove(requested)) {
    fail(404, modelNotFound(requested));
    return;
  }
  sendEmpty(ctx.res);
}

/** Pull streams progress records; a model the config catalog does not know fails after the stream started. */
export async function handlePull(ctx: RequestContext): Promise<void> {
  const fail: Fail = (status, message) => sendError(ctx.res, status, message);
  const body = bindBody(ctx, PullRequest, fail);
  if (!body) return;
  const requested = body.model || body.name || '';
  if (!isValidName(requested)) {
    fail(400, 'invalid model name');
    return;
  }
  const stream = body.stream ?? true;
  const records: unknown[] = [{ status: 'pulling manifest' }];
  const model = ctx.sim.catalog.pull(requested, ctx.sim.clock.wallNow());
  if (!model) {
    const error = 'pull model manifest: file does not exist';
    if (!stream) {
      fail(500, error);
      return;
    }
    const lines = ndjsonStream(ctx.res);
    lines.write(records);
    lines.fail(500, error);
    return;
  }
  const total = model.sizeBytes;
  const layer = { status: `pulling ${model.digest.slice(0, 12)}`, digest: `sha256:${model.digest}`, total };
  for (const completed of [0, Math.floor(total / 2), total]) records.push({ ...layer, completed });
  records.push(
    { status: 'verifying sha256 digest' },
    { status: 'writing manifest' },
    { status: 'removing unused layers' },
    { status: 'success' },
  );
  if (!stream) {
    sendJson(ctx.res, 200, { status: 'success' });
    return;
  }
  const lines = ndjsonStream(ctx.res);
  for (const record of records) {
    lines.write([record]);
    // Let each progress record go out on its own, as a real download would.
    await new Promise((resolve) => setImmediate(resolve));
    if (ctx.signal.aborted) return;
  }
  lines.end();
}
