import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EmbedRequest, EmbedResult } from '../../manager/embedding.ts';
import { clientSignal } from '../client-gone.ts';
import type { AppDeps } from '../deps.ts';
import { badRequest, type Flavour, unknownModel } from '../errors.ts';
import { modelChoices, resolveModelName } from '../model-names.ts';
import {
  EmbedBody,
  EmbedResponse,
  LegacyEmbeddingsBody,
  LegacyEmbeddingsResponse,
  OpenAIEmbeddingsBody,
  OpenAIEmbeddingsResponse,
} from '../schemas/embed.ts';

/**
 * Embeddings through the manager, with the same resilience as completions (the `embed` chain of embedding
 * models): Ollama's /api/embed and its legacy /api/embeddings, and OpenAI's /v1/embeddings.
 */
export function registerEmbedRoutes(root: FastifyInstance, deps: AppDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/embed',
    {
      schema: { summary: 'Embeddings (Ollama)', tags: ['ollama'], body: EmbedBody },
      config: {
        flavour: 'ollama',
        responses: { 200: { description: 'one vector per input', schema: EmbedResponse } },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input =
        b.input === undefined
          ? []
          : typeof b.input === 'string'
            ? b.input === ''
              ? []
              : [b.input]
            : b.input;
      const r = await run(deps, request, reply, 'ollama', b.model, input, {
        ...(b.truncate !== undefined && { truncate: b.truncate }),
        ...(b.dimensions !== undefined && { dimensions: b.dimensions }),
        ...(b.options && { options: b.options }),
      });
      const out: Record<string, unknown> = { model: r.model_used, embeddings: r.embeddings };
      if (r.total_duration !== undefined) out['total_duration'] = r.total_duration;
      if (r.load_duration !== undefined) out['load_duration'] = r.load_duration;
      if (r.prompt_eval_count !== undefined) out['prompt_eval_count'] = r.prompt_eval_count;
      return out;
    },
  );

  app.post(
    '/api/embeddings',
    {
      schema: { summary: 'One embedding (Ollama, legacy)', tags: ['ollama'], body: LegacyEmbeddingsBody },
      config: {
        flavour: 'ollama',
        responses: { 200: { description: 'one vector', schema: LegacyEmbeddingsResponse } },
      },
    },
    async (request, reply) => {
      const b = request.body;
      // The legacy API answers an empty prompt with an empty vector, without a model call.
      if (!b.prompt) return { embedding: [] };
      const r = await run(
        deps,
        request,
        reply,
        'ollama',
        b.model,
        [b.prompt],
        b.options ? { options: b.options } : {},
      );
      return { embedding: r.embeddings[0] ?? [] };
    },
  );

  app.post(
    '/v1/embeddings',
    {
      schema: { summary: 'Embeddings (OpenAI)', tags: ['openai'], body: OpenAIEmbeddingsBody },
      config: {
        flavour: 'openai',
        responses: { 200: { description: 'one vector per input', schema: OpenAIEmbeddingsResponse } },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input = typeof b.input === 'string' ? [b.input] : b.input;
      if (input.length === 0) throw badRequest('body/input must not be empty', 'body/input');
      const r = await run(deps, request, reply, 'openai', b.model, input, {
        ...(b.dimensions !== undefined && { dimensions: b.dimensions }),
      });
      const base64 = b.encoding_format === 'base64';
      return {
        object: 'list',
        data: r.embeddings.map((v, index) => ({
          object: 'embedding',
          embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
          index,
        })),
        model: r.model_used,
        usage: { prompt_tokens: r.prompt_eval_count ?? 0, total_tokens: r.prompt_eval_count ?? 0 },
      };
    },
  );
}

async function run(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  flavour: Flavour,
  model: string,
  input: string[],
  fields: Omit<EmbedRequest, 'input' | 'model'>,
): Promise<EmbedResult> {
  const catalog = deps.manager.catalog();
  const resolved = resolveModelName(model, catalog);
  if (!resolved) throw unknownModel(model, modelChoices(catalog), flavour);
  const result = await deps.manager.embed({
    ...fields,
    model: resolved.virtual ? 'auto' : resolved.model,
    input,
    requestId: request.id,
    signal: clientSignal(request, reply),
  });
  reply.header('x-rmm-model-used', result.model_used);
  reply.header('x-rmm-attempts', String(result.attempts));
  return result;
}
