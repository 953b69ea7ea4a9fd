import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { type CompletionInput, completeOnce, completeStreaming } from '../completion.ts';
import type { AppDeps } from '../deps.ts';
import { virtualModelNames } from '../model-names.ts';
import {
  chatCompletion,
  completionIds,
  openAiEncoder,
  toChatMessages,
  toFormat,
  toOptions,
} from '../openai-format.ts';
import { routingFor } from '../routing.ts';
import { RoutingHeadersSchema } from '../schemas/common.ts';
import { ChatCompletionBody, ChatCompletionResponse, ModelsListResponse } from '../schemas/openai.ts';

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
      const ids = completionIds(request.id);
      if (b.stream) {
        const encoder = openAiEncoder(ids, b.stream_options?.include_usage === true);
        return completeStreaming(deps, request, reply, input, encoder);
      }
      return chatCompletion(ids, await completeOnce(deps, request, reply, input));
    },
  );

  app.get(
    '/v1/models',
    {
      schema: { summary: 'Models we can route to, plus the virtual auto and auto:<task> (OpenAI)', tags },
      config: { flavour, responses: { 200: { description: 'models', schema: ModelsListResponse } } },
    },
    async () => {
      const created = Math.floor(deps.startedAt.getTime() / 1000);
      const entry = (id: string, owned_by: string) => ({ id, object: 'model', created, owned_by });
      return {
        object: 'list',
        data: [
          ...manager.catalog().map((id) => entry(id, 'library')),
          ...virtualModelNames().map((id) => entry(id, 'rmm')),
        ],
      };
    },
  );
}
