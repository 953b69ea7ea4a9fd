import type { RequestContext } from './context.ts';
import {
  handleAddFault,
  handleClearFaults,
  handleClearRequests,
  handleListFaults,
  handleListRequests,
  handleRemoveFault,
  handleReset,
  handleRestart,
  handleState,
} from './routes/admin.ts';
import { handleEmbed, handleEmbeddings } from './routes/embed.ts';
import {
  handleDelete,
  handlePs,
  handlePull,
  handleRoot,
  handleShow,
  handleTags,
  handleVersion,
} from './routes/models.ts';
import { handleChat, handleGenerate } from './routes/native.ts';
import { handleOpenAiChat, handleOpenAiModels } from './routes/openai.ts';

export type Handler = (ctx: RequestContext) => void | Promise<void>;

type Methods = Partial<Record<string, Handler>>;

/** Ollama's routes (GET also answers HEAD where Ollama registers both). */
const OLLAMA: Record<string, Methods> = {
  '/': { GET: handleRoot, HEAD: handleRoot },
  '/api/version': { GET: handleVersion, HEAD: handleVersion },
  '/api/tags': { GET: handleTags, HEAD: handleTags },
  '/api/ps': { GET: handlePs },
  '/api/show': { POST: handleShow },
  '/api/generate': { POST: handleGenerate },
  '/api/chat': { POST: handleChat },
  '/api/pull': { POST: handlePull },
  '/api/delete': { DELETE: handleDelete },
  '/api/embed': { POST: handleEmbed },
  '/api/embeddings': { POST: handleEmbeddings },
  '/v1/chat/completions': { POST: handleOpenAiChat },
  '/v1/models': { GET: handleOpenAiModels },
};

const ADMIN: Record<string, Methods> = {
  '/__sim/state': { GET: handleState },
  '/__sim/faults': { GET: handleListFaults, POST: handleAddFault, DELETE: handleClearFaults },
  '/__sim/requests': { GET: handleListRequests, DELETE: handleClearRequests },
  '/__sim/restart': { POST: handleRestart },
  '/__sim/reset': { POST: handleReset },
};

export type RouteMatch =
  | { kind: 'ollama'; handler: Handler }
  | { kind: 'admin'; handler: Handler }
  | { kind: 'not_found' }
  | { kind: 'method_not_allowed' };

export function matchRoute(method: string, path: string): RouteMatch {
  const faultId = /^\/__sim\/faults\/([^/]+)$/.exec(path);
  if (faultId) {
    const id = decodeURIComponent(faultId[1]!);
    return method === 'DELETE'
      ? { kind: 'admin', handler: (ctx) => handleRemoveFault(ctx, id) }
      : { kind: 'method_not_allowed' };
  }
  for (const [table, kind] of [
    [OLLAMA, 'ollama'],
    [ADMIN, 'admin'],
  ] as const) {
    const methods = table[path];
    if (!methods) continue;
    const handler = methods[method];
    return handler ? { kind, handler } : { kind: 'method_not_allowed' };
  }
  return { kind: 'not_found' };
}
