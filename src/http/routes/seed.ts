import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { CompletionResult, UpstreamChunk } from '../../manager/completion.ts';
import { withFields } from '../../with-fields.ts';
import { type CompletionInput, completeOnce, completeStreaming, type StreamEncoder } from '../completion.ts';
import type { AppDeps } from '../deps.ts';
import { concreteModel, routingFor } from '../routing.ts';
import { RoutingHeadersSchema } from '../schemas/common.ts';
import {
  CompletionResponse,
  HealthBody,
  HealthResponse,
  LegacyQueryBody,
  LegacyQueryResponse,
  ModelsResponse,
  PreloadBody,
  PreloadResponse,
  ResilientQueryBody,
  StatusResponse,
} from '../schemas/seed.ts';

const tags = ['seed'];
const config = { flavour: 'rmm' as const };

/** The seed's routes: same paths and field names, so the seed's curl + jq examples run as written. */
export function registerSeedRoutes(root: FastifyInstance, deps: AppDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { manager } = deps;

  app.post(
    '/api/echo/resilient/query',
    {
      schema: {
        summary: 'Resilient completion with automatic fallback',
        tags,
        body: ResilientQueryBody,
        headers: RoutingHeadersSchema,
      },
      config: {
        ...config,
        responses: {
          200: {
            description:
              'the answer and how it was obtained; with stream:true, NDJSON pieces then this object',
            schema: CompletionResponse,
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const input: CompletionInput = {
        kind: 'generate',
        prompt: body.query,
        ...routingFor(request, manager, body, 'rmm'),
      };
      if (body.stream) return completeStreaming(deps, request, reply, input, seedEncoder);
      return seedAnswer(await completeOnce(deps, request, reply, input));
    },
  );

  app.post(
    '/api/echo/query',
    {
      schema: {
        summary: 'The older plain query endpoint',
        description:
          'Answers {response, model_used, fallback_used, latency_ms, task_type, request_id}; unknown fields are ignored.',
        tags,
        body: LegacyQueryBody,
        headers: RoutingHeadersSchema,
      },
      config: { ...config, responses: { 200: { description: 'the answer', schema: LegacyQueryResponse } } },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await completeOnce(deps, request, reply, {
        kind: 'generate',
        prompt: body.query,
        ...routingFor(request, manager, body, 'rmm'),
      });
      return {
        response: result.response,
        model_used: result.model_used,
        fallback_used: result.fallback_used,
        latency_ms: result.latency_ms,
        task_type: result.task_type,
        request_id: result.request_id,
      };
    },
  );

  app.get(
    '/api/echo/resilient/status',
    {
      schema: { summary: 'Models with state, circuits, VRAM per host, backend kind', tags },
      config: { ...config, responses: { 200: { description: 'the whole picture', schema: StatusResponse } } },
    },
    async () => ({ ...manager.status(), backend: deps.backend }),
  );

  app.get(
    '/api/echo/resilient/models',
    {
      schema: { summary: 'Every configured model with its capabilities', tags },
      config: { ...config, responses: { 200: { description: 'models', schema: ModelsResponse } } },
    },
    async () => ({ models: manager.models() }),
  );

  app.post(
    '/api/echo/resilient/health',
    {
      schema: { summary: 'Check one model, by a real test prompt when force_check', tags, body: HealthBody },
      config: { ...config, responses: { 200: { description: 'health', schema: HealthResponse } } },
    },
    async (request) => {
      const name = concreteModel(manager, request.body.model_name, 'rmm');
      return manager.checkHealth(name, request.body.force_check ?? false);
    },
  );

  app.post(
    '/api/echo/resilient/preload',
    {
      schema: { summary: 'Load a model into memory now', tags, body: PreloadBody },
      config: {
        ...config,
        responses: { 200: { description: 'what was loaded or evicted', schema: PreloadResponse } },
      },
    },
    async (request) =>
      manager.preloadModel(concreteModel(manager, request.body.model_name, 'rmm'), {
        force: request.body.force === true,
      }),
  );
}

/** The CompletionResult with `final` replaced by its figures under `metrics`. */
function seedAnswer(result: CompletionResult) {
  const { final, ...rest } = result;
  return withFields(rest, { metrics: figures(final) });
}

function figures(final: UpstreamChunk) {
  const { model: _m, created_at: _c, response: _r, message: _msg, done: _d, context: _ctx, ...rest } = final;
  return rest;
}

/** NDJSON: `{response, done:false}` pieces, then the whole answer's metadata with `done:true`. */
const seedEncoder: StreamEncoder = {
  contentType: 'application/x-ndjson',
  chunk: (c) => `${JSON.stringify({ response: c.response ?? c.message?.content ?? '', done: false })}\n`,
  final: (result) => `${JSON.stringify(withFields(seedAnswer(result), { response: '', done: true }))}\n`,
  error: (err) => `${JSON.stringify(withFields(err.toJSON(), { done: true }))}\n`,
};
