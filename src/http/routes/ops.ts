import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { RmmError } from '../../manager/errors.ts';
import type { AppDeps } from '../deps.ts';

const tags = ['ops'];

/** Probes, metrics and the API description. Probes and scrapes are not rate limited. */
export function registerOpsRoutes(app: FastifyInstance, deps: AppDeps, openapi: () => unknown): void {
  const { manager, metrics } = deps;

  app.get(
    '/healthz',
    {
      schema: { summary: 'Alive (no token needed)', tags },
      config: {
        public: true,
        rateLimit: false,
        responses: {
          200: { description: 'the process answers', schema: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: { summary: 'Ready: at least one model can take traffic', tags },
      config: {
        rateLimit: false,
        responses: {
          200: {
            description: 'ready',
            schema: Type.Object({ ready: Type.Literal(true), backend: Type.String() }),
          },
          503: { description: 'not ready (RMM_NOT_READY)' },
        },
      },
    },
    async () => {
      if (!manager.ready()) throw new RmmError('RMM_NOT_READY', 'no model can take traffic yet');
      return { ready: true, backend: deps.backend };
    },
  );

  app.get(
    '/metrics',
    {
      schema: { summary: 'Prometheus metrics', tags },
      config: {
        rateLimit: false,
        responses: {
          200: {
            description: 'text exposition format 0.0.4',
            contentType: 'text/plain',
            schema: Type.String(),
          },
        },
      },
    },
    async (_request, reply) => {
      metrics.observeStatus(manager.status());
      reply.type(metrics.contentType);
      return metrics.render();
    },
  );

  app.get(
    '/openapi.json',
    {
      schema: { summary: 'This document', tags },
      config: { responses: { 200: { description: 'OpenAPI 3.1 document of every route' } } },
    },
    async () => openapi(),
  );
}
