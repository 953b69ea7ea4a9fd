import Fastify from 'fastify';
import { Pool } from 'undici';
import { profilerHandlers } from './profiler.ts';
import { payload, serveParent } from './protocol.ts';

/**
 * The floor: a bare Fastify + undici proxy. It parses the JSON body (any gateway must, to route) and
 * pipes the upstream answer back as it comes (so streams stay streams); no logging, no validation.
 */
const { upstream } = payload<{ upstream: string }>();
const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 30_000 });
const app = Fastify({ logger: false });
for (const path of ['/api/generate', '/api/chat', '/v1/chat/completions']) {
  app.post(path, async (request, reply) => {
    const res = await pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request.body),
    });
    reply.code(res.statusCode);
    const type = res.headers['content-type'];
    if (typeof type === 'string') reply.type(type);
    return reply.send(res.body);
  });
}
const url = await app.listen({ host: '127.0.0.1', port: 0 });
serveParent(url, profilerHandlers(), async () => {
  await app.close();
  await pool.close();
});
