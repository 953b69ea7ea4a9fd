import type { GoStruct } from './go-json.ts';

/** The Go request structs of Ollama's api package, as far as the simulator checks field types. */

const Message: GoStruct = {
  name: 'Message',
  fields: {
    role: 'string',
    content: 'string',
    thinking: 'string',
    images: '[]api.ImageData',
    tool_calls: '[]api.ToolCall',
    tool_name: 'string',
  },
};

export const GenerateRequest: GoStruct = {
  name: 'GenerateRequest',
  fields: {
    model: 'string',
    prompt: 'string',
    suffix: 'string',
    system: 'string',
    template: 'string',
    context: '[]int',
    stream: 'bool',
    raw: 'bool',
    images: '[]api.ImageData',
    options: 'map[string]interface {}',
    truncate: 'bool',
  },
};

export const ChatRequest: GoStruct = {
  name: 'ChatRequest',
  fields: {
    model: 'string',
    messages: { array: Message },
    stream: 'bool',
    tools: '[]api.Tool',
    options: 'map[string]interface {}',
    truncate: 'bool',
  },
};

export const EmbedRequest: GoStruct = {
  name: 'EmbedRequest',
  fields: { model: 'string', truncate: 'bool', dimensions: 'int', options: 'map[string]interface {}' },
};

export const EmbeddingRequest: GoStruct = {
  name: 'EmbeddingRequest',
  fields: { model: 'string', prompt: 'string', options: 'map[string]interface {}' },
};

export const ShowRequest: GoStruct = {
  name: 'ShowRequest',
  fields: { model: 'string', name: 'string', system: 'string', template: 'string', verbose: 'bool' },
};

export const PullRequest: GoStruct = {
  name: 'PullRequest',
  fields: {
    model: 'string',
    name: 'string',
    insecure: 'bool',
    stream: 'bool',
    username: 'string',
    password: 'string',
  },
};

export const DeleteRequest: GoStruct = {
  name: 'DeleteRequest',
  fields: { model: 'string', name: 'string' },
};

export interface ChatMessageBody {
  role?: string;
  content?: string;
  tool_name?: string;
  tool_calls?: unknown[];
}

/** The fields the simulator reads, after type checking. */
export interface ModelRequestBody {
  model?: string;
  name?: string;
  prompt?: string;
  system?: string;
  suffix?: string;
  context?: number[];
  messages?: ChatMessageBody[];
  stream?: boolean | null;
  raw?: boolean;
  keep_alive?: unknown;
  options?: Record<string, unknown> | null;
  think?: unknown;
  format?: unknown;
  tools?: unknown[] | null;
  template?: string;
  truncate?: boolean | null;
  images?: unknown[];
  input?: unknown;
  dimensions?: number;
  insecure?: boolean;
}
