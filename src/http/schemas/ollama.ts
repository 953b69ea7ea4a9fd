import { Type } from 'typebox';
import { OpenObject, TaskTypeSchema, UrgencySchema } from './common.ts';

/**
 * Ollama's request bodies, field for field (api/types.go). Unknown fields are allowed: Ollama ignores
 * them and clients newer than this code send fields we have not heard of. `urgency` and `task_type` are
 * our extensions (the same as the x-rmm-urgency / x-rmm-task-type headers).
 */

const KeepAlive = Type.Union([Type.Number(), Type.String()], {
  description: 'accepted and ignored: the manager owns residency (0 with an empty prompt answers "unload")',
});
const Options = Type.Record(Type.String(), Type.Unknown(), {
  description: 'runner options (temperature, num_predict, ...)',
});
const Format = Type.Union([Type.String(), Type.Object({}, { additionalProperties: true })], {
  description: '"json" or a JSON schema',
});
const Think = Type.Union([Type.Boolean(), Type.String()]);
const Images = Type.Array(Type.String(), { description: 'base64 images' });
const Model = Type.String({ maxLength: 200, description: 'a catalog model, "auto" or "auto:<task_type>"' });

const Extensions = {
  urgency: Type.Optional(UrgencySchema),
  task_type: Type.Optional(TaskTypeSchema),
};

export const GenerateBody = Type.Object(
  {
    model: Type.Optional(Model),
    prompt: Type.Optional(Type.String()),
    suffix: Type.Optional(Type.String()),
    system: Type.Optional(Type.String()),
    template: Type.Optional(Type.String()),
    context: Type.Optional(Type.Array(Type.Integer())),
    stream: Type.Optional(Type.Boolean({ description: 'default true, as in Ollama' })),
    raw: Type.Optional(Type.Boolean()),
    format: Type.Optional(Format),
    keep_alive: Type.Optional(KeepAlive),
    images: Type.Optional(Images),
    options: Type.Optional(Options),
    think: Type.Optional(Think),
    truncate: Type.Optional(Type.Boolean()),
    ...Extensions,
  },
  { additionalProperties: true },
);

export const ChatMessageSchema = Type.Object(
  {
    role: Type.Enum(['system', 'user', 'assistant', 'tool']),
    content: Type.Optional(Type.String()),
    images: Type.Optional(Images),
    thinking: Type.Optional(Type.String()),
    tool_calls: Type.Optional(Type.Array(Type.Unknown())),
    tool_name: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const ChatBody = Type.Object(
  {
    model: Type.Optional(Model),
    messages: Type.Optional(Type.Array(ChatMessageSchema)),
    tools: Type.Optional(Type.Array(Type.Unknown())),
    format: Type.Optional(Format),
    options: Type.Optional(Options),
    stream: Type.Optional(Type.Boolean({ description: 'default true, as in Ollama' })),
    keep_alive: Type.Optional(KeepAlive),
    think: Type.Optional(Think),
    truncate: Type.Optional(Type.Boolean()),
    ...Extensions,
  },
  { additionalProperties: true },
);

export const ShowBody = Type.Object(
  {
    model: Type.Optional(Model),
    name: Type.Optional(Type.String({ maxLength: 200, description: 'older spelling of model' })),
    verbose: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const ModelDetailsSchema = Type.Object({
  parent_model: Type.String(),
  format: Type.String(),
  family: Type.String(),
  families: Type.Array(Type.String()),
  parameter_size: Type.String(),
  quantization_level: Type.String(),
});

const Chunk = {
  model: Type.String(),
  created_at: Type.String(),
  done: Type.Boolean(),
  done_reason: Type.Optional(Type.String()),
  total_duration: Type.Optional(Type.Integer()),
  load_duration: Type.Optional(Type.Integer()),
  prompt_eval_count: Type.Optional(Type.Integer()),
  prompt_eval_duration: Type.Optional(Type.Integer()),
  eval_count: Type.Optional(Type.Integer()),
  eval_duration: Type.Optional(Type.Integer()),
  rmm: Type.Optional(
    OpenObject('our metadata on the final chunk: model_used, fallback_used, attempts, selection_reason, ...'),
  ),
};

export const GenerateResponse = Type.Object({ ...Chunk, response: Type.String() });
export const ChatResponse = Type.Object({
  ...Chunk,
  message: Type.Object({ role: Type.String(), content: Type.String() }),
});

export const TagsResponse = Type.Object({
  models: Type.Array(
    Type.Object({
      name: Type.String(),
      model: Type.String(),
      modified_at: Type.String(),
      size: Type.Integer(),
      digest: Type.String(),
      details: ModelDetailsSchema,
    }),
  ),
});

export const PsResponse = Type.Object({
  models: Type.Array(
    Type.Object({
      name: Type.String(),
      model: Type.String(),
      size: Type.Integer(),
      digest: Type.String(),
      details: ModelDetailsSchema,
      expires_at: Type.String(),
      size_vram: Type.Integer(),
      context_length: Type.Integer(),
    }),
  ),
});

export const ShowResponse = Type.Object({
  license: Type.String(),
  modelfile: Type.String(),
  parameters: Type.String(),
  template: Type.String(),
  details: ModelDetailsSchema,
  model_info: OpenObject('general.architecture, general.parameter_count, <family>.context_length'),
  capabilities: Type.Array(Type.String()),
  modified_at: Type.String(),
});

export const VersionResponse = Type.Object({ version: Type.String() });
