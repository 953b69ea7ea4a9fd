import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RmmError } from '../../manager/errors.ts';
import { withFields } from '../../with-fields.ts';
import { type CompletionInput, completeOnce, completeStreaming } from '../completion.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest } from '../errors.ts';
import { headerText } from '../header-text.ts';
import { psList, showModel, tagsList } from '../ollama-catalog.ts';
import {
  isKeepAliveZero,
  loadAnswer,
  type OllamaKind,
  ollamaEncoder,
  ollamaFinal,
  splitOptions,
} from '../ollama-format.ts';
import { chatInput, generateInput } from '../ollama-request.ts';
import { concreteModel, type Routing, type RoutingFields, routingFor } from '../routing.ts';
import { RoutingHeadersSchema } from '../schemas/common.ts';
import {
  ChatBody,
  ChatResponse,
  GenerateBody,
  GenerateResponse,
  PsResponse,
  ShowBody,
  ShowResponse,
  TagsResponse,
  VersionResponse,
} from '../schemas/ollama.ts';

const tags = ['ollama'];
const flavour = 'ollama' as const;

/**
 * Ollama's API, so Ollama clients work unchanged. Differences, on purpose:
 * - `keep_alive` is ignored: the manager decides what stays in VRAM. keep_alive 0 with an empty prompt
 *   answers done_reason "unload" like Ollama but unloads nothing (another client may need the model).
 * - every other field reaches Ollama as sent (tools, think, images, suffix, raw, template, context,
 *   format, options, and fields this code does not know), and everything Ollama answers comes back
 *   (thinking, tool_calls, context).
 */
export function registerOllamaRoutes(root: FastifyInstance, deps: AppDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { manager, config } = deps;

  app.post(
    '/api/generate',
    {
      schema: {
        summary: 'Generate a completion (Ollama)',
        tags,
        body: GenerateBody,
        headers: RoutingHeadersSchema,
      },
      config: {
        flavour,
        responses: {
          200: {
            description: 'NDJSON chunks when streaming (default), else one object',
            schema: GenerateResponse,
          },
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const split = splitOptions(b.options);
      const routing = route(request, b.model, withFields(split, pick(b)));
      if (!b.prompt) return loadOnly(request, reply, 'generate', routing, b.keep_alive);
      const input = generateInput(b as Record<string, unknown>, routing, split.options);
      return answer(request, reply, 'generate', input, b.stream ?? true);
    },
  );

  app.post(
    '/api/chat',
    {
      schema: { summary: 'Chat completion (Ollama)', tags, body: ChatBody, headers: RoutingHeadersSchema },
      config: {
        flavour,
        responses: {
          200: {
            description: 'NDJSON chunks when streaming (default), else one object',
            schema: ChatResponse,
          },
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const split = splitOptions(b.options);
      const routing = route(request, b.model, withFields(split, pick(b)));
      if (!b.messages?.length) return loadOnly(request, reply, 'chat', routing, b.keep_alive);
      const input = chatInput(b as Record<string, unknown>, routing, split.options);
      return answer(request, reply, 'chat', input, b.stream ?? true);
    },
  );

  app.get(
    '/api/tags',
    {
      schema: { summary: 'Models we can route to, plus the virtual auto and auto:<task>', tags },
      config: { flavour, responses: { 200: { description: 'models', schema: TagsResponse } } },
    },
    async () => tagsList(config, manager.catalog(), deps.startedAt),
  );

  app.get(
    '/api/ps',
    {
      schema: { summary: 'Models loaded or loading now', tags },
      config: { flavour, responses: { 200: { description: 'running models', schema: PsResponse } } },
    },
    async () => psList(config, manager.status(), Date.now()),
  );

  app.post(
    '/api/show',
    {
      schema: { summary: 'Details of one model', tags, body: ShowBody },
      config: { flavour, responses: { 200: { description: 'model details', schema: ShowResponse } } },
    },
    async (request) => {
      const name = request.body.model || request.body.name;
      if (!name) throw badRequest('model is required', 'body/model');
      const resolved = routingFor(request, manager, { model: name }, flavour).model!;
      return showModel(config, resolved, deps.startedAt);
    },
  );

  app.get(
    '/api/version',
    {
      schema: {
        summary: "Ollama's version: the lowest across the hosts (ours is in the x-rmm-version header)",
        tags,
      },
      config: {
        flavour,
        responses: {
          200: { description: 'version', schema: VersionResponse },
          503: { description: 'no Ollama host has answered yet (RMM_NOT_READY)' },
        },
      },
    },
    async (_request, reply) => {
      // Clients read this as Ollama's version to decide which features they may use: answer the upstream's.
      reply.header('x-rmm-version', deps.version);
      const version = manager.upstreamVersion();
      if (version === undefined) {
        throw new RmmError(
          'RMM_NOT_READY',
          'no Ollama host has told its version yet; check that the hosts are up (rmm status), then retry',
        );
      }
      return { version };
    },
  );

  function route(
    request: FastifyRequest,
    model: string | undefined,
    hints: Omit<RoutingFields, 'model'>,
  ): Routing {
    if (!model) throw badRequest('model is required', 'body/model');
    return routingFor(request, manager, { model, ...hints }, flavour);
  }

  async function loadOnly(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: OllamaKind,
    routing: Routing,
    keepAlive: unknown,
  ) {
    const model = routing.model!;
    reply.type('application/json');
    if (isKeepAliveZero(keepAlive)) return loadAnswer(kind, model, 'unload');
    // A virtual model is resolved per request: there is nothing to load ahead of time.
    if (!model.startsWith('auto')) {
      const name = concreteModel(manager, model, flavour);
      const result = await manager.preloadModel(name);
      reply.header('x-rmm-model-used', headerText(result.model_name));
      request.log.debug({ model: name, status: result.status }, 'load-only request');
    }
    return loadAnswer(kind, model, 'load');
  }

  async function answer(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: OllamaKind,
    input: CompletionInput,
    stream: boolean,
  ) {
    if (stream) return completeStreaming(deps, request, reply, input, ollamaEncoder(kind));
    const result = await completeOnce(deps, request, reply, input);
    return ollamaFinal(kind, result, result.response);
  }
}

/** The body's own routing fields (they win over options.* and the headers). */
function pick(b: Omit<RoutingFields, 'model'>): Omit<RoutingFields, 'model'> {
  const out: Omit<RoutingFields, 'model'> = {};
  if (b.urgency) out.urgency = b.urgency;
  if (b.task_type) out.task_type = b.task_type;
  return out;
}
