import { Type } from 'typebox';
import { TaskTypeSchema, UrgencySchema } from './common.ts';

/**
 * OpenAI's chat completion request. Unknown fields are allowed (the official client and its users send
 * many we do not use); the ones we map are typed. `urgency` and `task_type` are our extensions.
 */

const ContentPart = Type.Object(
  {
    type: Type.String(),
    text: Type.Optional(Type.String()),
    image_url: Type.Optional(
      Type.Union([Type.String(), Type.Object({ url: Type.String() }, { additionalProperties: true })]),
    ),
  },
  { additionalProperties: true },
);

export const OpenAIMessageSchema = Type.Object(
  {
    role: Type.Enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: Type.Optional(Type.Union([Type.String(), Type.Null(), Type.Array(ContentPart)])),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.Optional(Type.String()),
            type: Type.Optional(Type.String()),
            function: Type.Object(
              { name: Type.String(), arguments: Type.Optional(Type.String()) },
              { additionalProperties: true },
            ),
          },
          { additionalProperties: true },
        ),
      ),
    ),
    tool_call_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const NullableNumber = Type.Optional(Type.Union([Type.Number(), Type.Null()]));
const NullableInteger = Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]));

export const ChatCompletionBody = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'a catalog model, "auto" or "auto:<task_type>"',
    }),
    messages: Type.Array(OpenAIMessageSchema, { minItems: 1 }),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()], { description: 'default false' })),
    stream_options: Type.Optional(
      Type.Union([
        Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }),
        Type.Null(),
      ]),
    ),
    temperature: NullableNumber,
    top_p: NullableNumber,
    frequency_penalty: NullableNumber,
    presence_penalty: NullableNumber,
    max_tokens: NullableInteger,
    max_completion_tokens: NullableInteger,
    seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String()), Type.Null()])),
    response_format: Type.Optional(
      Type.Object(
        { type: Type.String(), json_schema: Type.Optional(Type.Object({}, { additionalProperties: true })) },
        { additionalProperties: true },
      ),
    ),
    tools: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    tool_choice: Type.Optional(
      Type.Union([Type.String(), Type.Object({}, { additionalProperties: true }), Type.Null()]),
    ),
    urgency: Type.Optional(UrgencySchema),
    task_type: Type.Optional(TaskTypeSchema),
  },
  { additionalProperties: true },
);

/** OpenAI's legacy text completion request. */
export const CompletionBody = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: 200 }),
    prompt: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 1 })], {
      description: 'one prompt (a list of one is accepted; several prompts at once are not)',
    }),
    suffix: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    stream_options: Type.Optional(
      Type.Union([
        Type.Object({ include_usage: Type.Optional(Type.Boolean()) }, { additionalProperties: true }),
        Type.Null(),
      ]),
    ),
    temperature: NullableNumber,
    top_p: NullableNumber,
    frequency_penalty: NullableNumber,
    presence_penalty: NullableNumber,
    max_tokens: NullableInteger,
    seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String()), Type.Null()])),
    urgency: Type.Optional(UrgencySchema),
    task_type: Type.Optional(TaskTypeSchema),
  },
  { additionalProperties: true },
);

const Usage = Type.Object({
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
});

export const ChatCompletionResponse = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion'),
  created: Type.Integer(),
  model: Type.String(),
  system_fingerprint: Type.String(),
  choices: Type.Array(
    Type.Object({
      index: Type.Integer(),
      message: Type.Object(
        { role: Type.Literal('assistant'), content: Type.Union([Type.String(), Type.Null()]) },
        { additionalProperties: true, description: 'tool_calls and reasoning when there are' },
      ),
      finish_reason: Type.String(),
    }),
  ),
  usage: Usage,
});

export const ModelsListResponse = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      object: Type.Literal('model'),
      created: Type.Integer(),
      owned_by: Type.String(),
    }),
  ),
});
