import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { RmmError } from '../../manager/errors.ts';
import { type CompletionInput, completeOnce, completeStreaming } from '../completion.ts';
import type { AppDeps } from '../deps.ts';
import { virtualModelNames } from '../model-names.ts';
import {
  chatCompletion,
  completionIds,
  textCompletion,
  toChatMessages,
  toFormat,
  toOptions,
  toTools,
} from '../openai-format.ts';
import { openAiEncoder, textCompletionEncoder } from '../openai-stream.ts';
import { routingFor } from '../routing.ts';
import { RoutingHeadersSchema } from '../schemas/common.ts';
import {
  ChatCompletionBody,
  ChatCompletionResponse,
  CompletionBody,
  ModelsListResponse,
} from '../schemas/openai.ts';

const tags = ['openai'];
const flavour = 'openai' as const;

/** OpenAI's chat completions and model list, so the official `openai` client works unchanged. */
export function registerOpenAiRoutes(root: FastifyInstance, deps: AppDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { manager } = deps;

  app.post(
    '/v1/chat/completions',
    {
      schema: {
        summary: 'Chat completion (OpenAI)',
        tags,
        body: ChatCompletionBody,
        headers: RoutingHeadersSchema,
      },
      config: {
        flavour,
        responses: {
          200: {
            description: 'one completion, or SSE chunks ending with data: [DONE] when stream',
            schema: ChatCompletionResponse,
          },
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input: CompletionInput = {
        kind: 'chat',
        messages: toChatMessages(b.messages),
        ...routingFor(request, manager, b, flavour),
      };
      const options = toOptions(b);
      if (options) input.options = options;
      const format = toFormat(b);
      if (format !== undefined) input.format = format;
      const tools = toTools(b);
      if (tools) input.tools = tools;
      const ids = completionIds(request.id);
      if (b.stream) {
        const encoder = openAiEncoder(ids, b.stream_options?.include_usage === true);
        return completeStreaming(deps, request, reply, input, encoder);
      }
      return chatCompletion(ids, await completeOnce(deps, request, reply, input));
    },
  );

  app.post(
    '/v1/completions',
    {
      schema: {
        summary: 'Text completion, the legacy API (OpenAI); fill-in-the-middle with suffix',
        tags,
        body: CompletionBody,
        headers: RoutingHeadersSchema,
      },
      config: { flavour },
    },
    async (request, reply) => {
      const b = request.body;
      const prompt = typeof b.prompt === 'string' ? b.prompt : b.prompt[0]!;
      const input: CompletionInput = {
        kind: 'generate',
        prompt,
        ...routingFor(request, manager, b, flavour),
      };
      if (b.suffix) input.suffix = b.suffix;
      const options = toOptions(b);
      if (options) input.options = options;
      const ids = completionIds(request.id);
      if (b.stream) {
        const encoder = textCompletionEncoder(ids, b.stream_options?.include_usage === true);
        return completeStreaming(deps, request, reply, input, encoder);
      }
      return textCompletion(ids, await completeOnce(deps, request, reply, input));
    },
  );

  const modelEntry = (id: string, owned_by: string) => ({
    id,
    object: 'model' as const,
    created: Math.floor(deps.startedAt.getTime() / 1000),
    owned_by,
  });

  app.get(
    '/v1/models/:model',
    {
      schema: { summary: 'One model we can route to (OpenAI)', tags },
      config: { flavour },
    },
    async (request) => {
      const { model } = request.params as { model: string };
      if (manager.catalog().includes(model)) return modelEntry(model, 'library');
      if (virtualModelNames().includes(model)) return modelEntry(model, 'rmm');
      throw new RmmError('RMM_UNKNOWN_MODEL', `The model '${model}' does not exist`, { model });
    },
  );

  app.get(
    '/v1/models',
    {
      schema: { summary: 'Models we can route to, plus the virtual auto and auto:<task> (OpenAI)', tags },
      config: { flavour, responses: { 200: { description: 'models', schema: ModelsListResponse } } },
    },
    async () => {
      return {
        object: 'list' as const,
        data: [
          ...manager.catalog().map((id) => modelEntry(id, 'library')),
          ...virtualModelNames().map((id) => modelEntry(id, 'rmm')),
        ],
      };
    },
  );
}
