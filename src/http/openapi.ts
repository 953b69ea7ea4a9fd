import type { RouteOptions } from 'fastify';
import type { TSchema } from 'typebox';
import type { ResponseDocs } from './route-config.ts';
import { OllamaErrorSchema, OpenAIErrorSchema, RmmErrorSchema } from './schemas/common.ts';

/**
 * Builds the OpenAPI 3.1 document from the very schemas the routes validate with: every route registered
 * on the app passes through `onRoute`, so a route cannot exist undocumented.
 */
export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  /** A bearer token is configured: every route but the public ones needs it. */
  auth: boolean;
}

export function createOpenApi(info: OpenApiInfo) {
  const routes: RouteOptions[] = [];
  let cached: unknown;

  function onRoute(route: RouteOptions): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Fastify adds a HEAD twin for every GET; documenting it twice adds nothing.
    if (methods.every((m) => m === 'HEAD')) return;
    routes.push(route);
    cached = undefined;
  }

  function document(): unknown {
    cached ??= build(info, routes);
    return cached;
  }

  return { onRoute, document };
}

const ERROR_SCHEMAS = { rmm: RmmErrorSchema, ollama: OllamaErrorSchema, openai: OpenAIErrorSchema };

function build({ auth, ...info }: OpenApiInfo, routes: RouteOptions[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    for (const method of methods) {
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = operation(route, auth);
    }
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}

function operation(route: RouteOptions, auth: boolean) {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const config = (route.config ?? {}) as {
    flavour?: 'rmm' | 'ollama' | 'openai';
    public?: boolean;
    responses?: ResponseDocs;
  };
  const op: Record<string, unknown> = {
    summary: schema['summary'],
    description: schema['description'],
    tags: schema['tags'],
    parameters: [...parameters(schema['headers'], 'header'), ...parameters(schema['querystring'], 'query')],
    responses: responses(config.responses ?? {}, config.flavour ?? 'rmm'),
  };
  if (schema['body']) {
    op['requestBody'] = {
      required: true,
      content: { 'application/json': { schema: plain(schema['body']) } },
    };
  }
  op['security'] = auth && !config.public ? [{ bearer: [] }] : [];
  return op;
}

function parameters(schema: unknown, where: 'header' | 'query') {
  const s = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  if (!s?.properties) return [];
  return Object.entries(s.properties).map(([name, p]) => ({
    name,
    in: where,
    required: s.required?.includes(name) ?? false,
    schema: plain(p),
    description: (p as { description?: string }).description,
  }));
}

function responses(docs: ResponseDocs, flavour: 'rmm' | 'ollama' | 'openai') {
  const out: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(docs)) {
    out[status] = {
      description: doc.description,
      content: doc.schema
        ? { [doc.contentType ?? 'application/json']: { schema: plain(doc.schema) } }
        : undefined,
    };
  }
  out['4XX'] = {
    description: 'bad request, unknown model, missing token or rate limited',
    content: { 'application/json': { schema: plain(ERROR_SCHEMAS[flavour]) } },
  };
  out['5XX'] = {
    description: 'no model could answer (each attempt is listed where the API shape allows)',
    content: { 'application/json': { schema: plain(ERROR_SCHEMAS[flavour]) } },
  };
  return out;
}

/** TypeBox schemas are JSON Schema; a JSON round trip drops TypeBox's non-enumerable bookkeeping. */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema as TSchema));
}
