import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Manager } from '../../src/manager/manager.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { createFakeManager, type FakeBehaviour, type FakeManager } from './fake-manager.ts';

/**
 * Builds the app for a test. The contract tests (clients, seed curl+jq, fuzz, validation, security) take
 * their manager from a factory, so the same suite can run against the real manager:
 *   RMM_HTTP_MANAGER_FACTORY=test/some/real-factory.ts npx vitest run test/http
 * where that module's default export is a ManagerFactory. Tests that need fault injection build the fake
 * directly with `startFakeApp`.
 */
export type ManagerFactory = (
  config: Readonly<Config>,
) => Promise<{ manager: Manager; close(): Promise<void> }>;

/** The default factory: the fake without chunk delays, so contract tests and the fuzzer run fast. */
export const fakeManagerFactory: ManagerFactory = async (config) => ({
  manager: createFakeManager(config, { chunkDelayMs: 0 }),
  close: async () => {},
});

let chosen: Promise<ManagerFactory> | undefined;
function managerFactory(): Promise<ManagerFactory> {
  const path = process.env['RMM_HTTP_MANAGER_FACTORY'];
  chosen ??= path
    ? import(pathToFileURL(resolve(path)).href).then((m: { default: ManagerFactory }) => m.default)
    : Promise.resolve(fakeManagerFactory);
  return chosen;
}

/** True when the contract suites run over the fake (no RMM_HTTP_MANAGER_FACTORY given). */
export function usingFakeManager(): boolean {
  return !process.env['RMM_HTTP_MANAGER_FACTORY'];
}

export type ConfigPatch = Parameters<typeof scaledConfig>[1];

export interface TestApp<M extends Manager = Manager> {
  app: FastifyInstance;
  config: Readonly<Config>;
  manager: M;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface StartOptions {
  patch?: ConfigPatch;
  logger?: Logger | false;
  now?: () => number;
}

/** The app over the factory's manager (the fake unless RMM_HTTP_MANAGER_FACTORY says otherwise). */
export async function startApp(options: StartOptions = {}): Promise<TestApp> {
  const config = scaledConfig(0.001, options.patch);
  const made = await (await managerFactory())(config);
  return assemble(config, made.manager, made.close, options);
}

/** The app over the fake manager, for tests that inject faults or look at what the manager was asked. */
export async function startFakeApp(
  options: StartOptions & { behaviour?: Partial<FakeBehaviour> } = {},
): Promise<TestApp<FakeManager>> {
  const config = scaledConfig(0.001, options.patch);
  return assemble(config, createFakeManager(config, options.behaviour), async () => {}, options);
}

async function assemble<M extends Manager>(
  config: Readonly<Config>,
  manager: M,
  closeManager: () => Promise<void>,
  options: StartOptions,
): Promise<TestApp<M>> {
  const metrics = createMetrics();
  const buildOptions: Parameters<typeof buildApp>[0] = {
    manager,
    config,
    metrics,
    backend: 'simulated',
    logger: options.logger ?? false,
  };
  if (options.now) buildOptions.now = options.now;
  const app = await buildApp(buildOptions);
  return {
    app,
    config,
    manager,
    metrics,
    async close() {
      await app.close();
      await closeManager();
    },
  };
}

/** Parses an NDJSON body into its records. */
export function ndjson(body: string): Array<Record<string, unknown>> {
  return body
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Parses an SSE body into its `data:` payloads (raw strings, `[DONE]` included). */
export function sseData(body: string): string[] {
  return body
    .split('\n\n')
    .map((event) => event.trim())
    .filter(Boolean)
    .map((event) => event.replace(/^data: /, ''));
}
