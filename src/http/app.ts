import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { type Logger, pino } from 'pino';
import type { Config } from '../config/schema.ts';
import { RmmError } from '../manager/errors.ts';
import type { Manager } from '../manager/manager.ts';
import type { Metrics } from '../observability/metrics.ts';
import { PACKAGE_VERSION as VERSION } from '../package-root.ts';
import { createAuthHook } from './auth.ts';
import { bodyGuard } from './body-guard.ts';
import type { AppDeps } from './deps.ts';
import { errorBody, flavourOf, flavourOfUrl, toRmmError } from './errors.ts';
import { parseRequestBody } from './json-body.ts';
import { createOpenApi } from './openapi.ts';
import { createRateLimitHook, TokenBucketLimiter } from './rate-limit.ts';
import { validatorCompiler } from './validator.ts';
import './route-config.ts';
import { registerEmbedRoutes } from './routes/embed.ts';
import { registerOllamaRoutes } from './routes/ollama.ts';
import { registerOpenAiRoutes } from './routes/openai.ts';
import { registerOpsRoutes } from './routes/ops.ts';
import { registerSeedRoutes } from './routes/seed.ts';

export interface BuildAppOptions {
  manager: Manager;
  config: Readonly<Config>;
  /** A pino logger to log through (a child with redaction is made), false for none; default: a new pino. */
  logger?: Logger | false;
  backend: 'real' | 'simulated';
  metrics: Metrics;
  /** Clock of the rate limiter (tests). */
  now?: () => number;
}

/** Secrets never reach a log line, whatever logs a request's headers. */
const REDACT = [
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
];

/** Routes declare no response schemas for Fastify (theirs are for the OpenAPI document): plain JSON. */
const buildSerializer = () => () => (data: unknown) => JSON.stringify(data);

/** A client's x-request-id is reused when it is a sane token, so their logs and ours line up. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The HTTP app over a Manager: seed, Ollama, OpenAI and ops routes. Not listening: the caller listens. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { config, manager, metrics } = opts;
  const logger = makeLogger(opts);
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: config.server.body_limit_bytes,
    genReqId: requestId,
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true },
    // Our own compilers from the start (what setValidatorCompiler would install, given at creation): left
    // unset, Fastify loads Ajv and fast-json-stringify's compiler when it is created (a tenth of its
    // start-up), and we would replace the one and never use the other.
    // (The factory's declared type is Ajv's pool; ours takes the same route definition.)
    schemaController: {
      compilersFactory: { buildValidator: (() => validatorCompiler) as never, buildSerializer },
    },
  }) as unknown as FastifyInstance;

  app.addHook(
    'preParsing',
    bodyGuard({
      limitBytes: config.server.body_limit_bytes,
      drainCapBytes: Math.max(64 * 1024 * 1024, config.server.body_limit_bytes * 16),
      timeoutMs: config.server.body_timeout_s * 1000,
    }),
  );
  // One body parser for every content type (see json-body.ts): JSON on the drop-in routes whatever the
  // type, as Ollama does; our own routes refuse non-JSON types with 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, parseRequestBody(request, body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  const deps: AppDeps = {
    manager,
    config,
    metrics,
    backend: opts.backend,
    version: VERSION,
    startedAt: new Date(),
  };
  const openapi = createOpenApi({
    title: 'Resilient Model Manager',
    version: VERSION,
    description:
      'Picks a model per request, budgets VRAM, circuit-breaks, retries and falls back, in front of Ollama. ' +
      'Seed endpoints under /api/echo, Ollama-compatible /api/*, OpenAI-compatible /v1/*.',
    auth: config.server.api_key !== undefined,
  });
  app.addHook('onRoute', openapi.onRoute);

  // Callback-style hooks on the request path: an async hook costs a promise and its resolution per request.
  const debugHeaders = (logger as Logger | undefined)?.isLevelEnabled?.('debug') === true;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-rmm-request-id', request.id);
    if (debugHeaders) request.log.debug({ headers: request.headers }, 'request headers');
    done();
  });
  if (config.server.api_key !== undefined) app.addHook('onRequest', createAuthHook(config.server.api_key));
  if (config.server.rate_limit_per_minute > 0) {
    const limiter = new TokenBucketLimiter(config.server.rate_limit_per_minute, opts.now);
    app.addHook('onRequest', createRateLimitHook(limiter));
  }
  // One line per request, carrying what was chosen (the model that answered, whether it was a fallback, how
  // many tries) from the answer's own headers; the selection's full account is in the journal and at debug.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    const line: Record<string, unknown> = {
      method: request.method,
      route,
      url: request.url.length > 200 ? `${request.url.slice(0, 200)}...` : request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    const model = reply.getHeader('x-rmm-model-used');
    if (model !== undefined) {
      line['model_used'] = model;
      line['fallback_used'] = reply.getHeader('x-rmm-fallback-used') === 'true';
      line['attempts'] = Number(reply.getHeader('x-rmm-attempts') ?? 1);
    }
    request.log.info(line, 'request');
    done();
  });

  app.setErrorHandler((err, request, reply) => {
    const e = toRmmError(err, request);
    if (e.code === 'RMM_INTERNAL') request.log.error({ err }, 'unexpected error');
    // Not ready is an answer, not a failure: every start-up says it to its health checks until a model loads.
    else if (e.code === 'RMM_NOT_READY') request.log.debug({ code: e.code }, 'not ready yet');
    else if (e.status >= 500) request.log.warn({ code: e.code, detail: e.message }, 'request failed');
    const flavour = flavourOf(request.routeOptions.config?.flavour, request.url);
    return reply.code(e.status).type('application/json; charset=utf-8').send(errorBody(flavour, e));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.slice(0, 200);
    const allowed = ['GET', 'POST'].filter((method) => routeExists(app, method, path));
    const e = allowed.length
      ? new RmmError(
          'RMM_METHOD_NOT_ALLOWED',
          `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')}`,
        )
      : new RmmError(
          'RMM_NOT_FOUND',
          `no route ${request.method} ${path}; GET /openapi.json lists every route`,
        );
    if (allowed.length) reply.header('allow', allowed.join(', '));
    return reply
      .code(e.status)
      .type('application/json; charset=utf-8')
      .send(errorBody(flavourOfUrl(path), e));
  });

  registerSeedRoutes(app, deps);
  registerOllamaRoutes(app, deps);
  registerOpenAiRoutes(app, deps);
  registerEmbedRoutes(app, deps);
  registerOpsRoutes(app, deps, openapi.document);
  // Not made ready here: the caller may still add routes (they show up in /openapi.json too).
  return app;
}

function routeExists(app: FastifyInstance, method: string, url: string): boolean {
  try {
    return app.hasRoute({ method, url });
  } catch {
    // A path the router cannot even parse is simply not a route.
    return false;
  }
}

function makeLogger(opts: BuildAppOptions): FastifyBaseLogger | undefined {
  if (opts.logger === false) return undefined;
  const base = opts.logger ?? pino({ level: opts.config.server.log_level });
  return base.child({}, { redact: { paths: REDACT, censor: '[Redacted]' } }) as unknown as FastifyBaseLogger;
}
