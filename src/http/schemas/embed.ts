import { Type } from 'typebox';
import { OpenObject } from './common.ts';

/** Embedding request bodies: Ollama's /api/embed and legacy /api/embeddings, OpenAI's /v1/embeddings. */

const Input = Type.Union([Type.String(), Type.Array(Type.String())], {
  description: 'a text, or a list of texts (one vector each)',
});
const Model = Type.String({ maxLength: 200, description: 'an embedding model, or "auto" (the embed chain)' });

export const EmbedBody = Type.Object(
  {
    model: Model,
    input: Type.Optional(Input),
    truncate: Type.Optional(Type.Boolean({ description: 'default true, as in Ollama' })),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    keep_alive: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  },
  { additionalProperties: true },
);

export const LegacyEmbeddingsBody = Type.Object(
  {
    model: Model,
    prompt: Type.Optional(Type.String()),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    keep_alive: Type.Optional(Type.Union([Type.Number(), Type.String()])),
  },
  { additionalProperties: true },
);

export const OpenAIEmbeddingsBody = Type.Object(
  {
    model: Model,
    input: Input,
    encoding_format: Type.Optional(Type.Enum(['float', 'base64'])),
    dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
    user: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const EmbedResponse = OpenObject(
  'model, embeddings (one vector per input), total_duration, load_duration, prompt_eval_count',
);
export const LegacyEmbeddingsResponse = OpenObject('embedding: one vector');
export const OpenAIEmbeddingsResponse = OpenObject(
  'object "list", data [{object "embedding", embedding, index}], model, usage',
);
