import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readBody, sendError, sendText } from '../../../src/simulator/http-io.ts';
import { Engine, type EngineOptions } from './engine.ts';
import {
  handleGate,
  handlePs,
  handleRoot,
  handleShow,
  handleState,
  handleTags,
  handleVersion,
} from './info.ts';
import { handleChat, handleGenerate } from './native.ts';
import type { EngineRequest } from './request.ts';

/** An Ollama-compatible HTTP server over real llama.cpp inference, for tests. */

type Handler = (ctx: EngineRequest) => void | Promise<void>;

const ROUTES: Record<string, Partial<Record<string, Handler>>> = {
  '/': { GET: handleRoot, HEAD: handleRoot },
  '/api/version': { GET: handleVersion, HEAD: handleVersion },
  '/api/tags': { GET: handleTags, HEAD: handleTags },
  '/api/ps': { GET: handlePs },
  '/api/show': { POST: handleShow },
  '/api/generate': { POST: handleGenerate },
  '/api/chat': { POST: handleChat },
  '/__engine/state': { GET: handleState },
  '/__engine/gate': { POST: handleGate },
};

export interface StartEngineOptions extends EngineOptions {
  /** Default 0: any free port (read it from the returned url). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningEngine {
  url: string;
  port: number;
  engine: Engine;
  /** Cuts open requests, unloads every model and frees llama.cpp. */
  close(): Promise<void>;
}

/** Starts the engine in this process. Throws (with the install command) when node-llama-cpp is absent. */
export async function startEngine(options: StartEngineOptions): Promise<RunningEngine> {
  const engine = await Engine.create(options);
  const sockets = new Set<Socket>();
  const server = createServer({ requestTimeout: 0, noDelay: true }, (req, res) => {
    handle(engine, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, (err as Error).message ?? String(err));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    engine,
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        await closed;
        await engine.close();
      })();
      return closing;
    },
  };
}

async function handle(engine: Engine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://engine');
  const method = req.method ?? 'GET';
  const methods = ROUTES[url.pathname];
  if (!methods) return sendText(res, 404, '404 page not found');
  const handler = methods[method];
  if (!handler) return sendText(res, 405, '405 method not allowed');
  const startedAt = performance.now();
  const body = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  await handler({ req, res, body, signal: abort.signal, startedAt, engine });
}
