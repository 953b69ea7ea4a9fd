import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import type { Backend } from '../../src/backend/backend.ts';
import { OllamaBackend } from '../../src/backend/ollama-backend.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { createManager } from '../../src/runtime/manager.ts';
import type { RunningManager } from '../../src/runtime/manager-options.ts';

type Patch = Parameters<typeof scaledConfig>[1];

/** Loads each replica sent to Ollama, by model: what "loaded at most once" is checked against. */
export class CountingBackend extends OllamaBackend {
  readonly loads: string[] = [];
  override load(...args: Parameters<OllamaBackend['load']>): ReturnType<OllamaBackend['load']> {
    this.loads.push(args[0]);
    return super.load(...args);
  }
}

export interface Replica {
  id: string;
  manager: RunningManager;
  backend: CountingBackend;
  config: Readonly<Config>;
}

let namespaces = 0;

/**
 * `n` replicas in this process (the catalog and the rest of the config from `patch`, timings × 0.05) sharing one simulated host through one Redis (each its own manager, actors,
 * loader and Redis connections, as separate processes would have; a fresh namespace per call).
 */
export async function startReplicas(
  n: number,
  redisUrl: string,
  simUrl: string,
  patch: Patch = {},
  /** Give each replica a state folder (journal and snapshots) under this one. */
  stateRoot?: string,
): Promise<Replica[]> {
  const base = scaledConfig(0.05, patch);
  const namespace = `rmm-test-${process.pid}-${++namespaces}`;
  const replicas: Replica[] = [];
  for (let i = 0; i < n; i++) {
    const id = `replica-${String.fromCharCode(97 + i)}`;
    const config = validateConfig({
      ...structuredClone(base),
      hosts: base.hosts.map((h) => ({ ...h, url: simUrl })),
      shared_state: { ...base.shared_state, redis_url: redisUrl, replica_id: id, namespace },
    });
    const backend = new CountingBackend(simUrl);
    const manager = await createManager(config, {
      logger: pino({ level: 'silent' }),
      random: () => 0.5,
      backends: new Map<string, Backend>([[config.hosts[0]!.name, backend]]),
      ...(stateRoot && { stateDir: join(stateRoot, id) }),
    });
    replicas.push({ id, manager, backend, config });
  }
  await Promise.all(replicas.map((r) => r.manager.started));
  return replicas;
}

export async function closeReplicas(replicas: Replica[]): Promise<void> {
  await Promise.all(replicas.map((r) => r.manager.close()));
  await Promise.all(replicas.map((r) => r.backend.close()));
}

const ROOT = join(import.meta.dirname, '../..');

export interface ReplicaProcess {
  id: string;
  child: ChildProcess;
  url: string;
}

/** `rmm serve` as its own process (a replica, as a user runs it), ready once it logs that it listens. */
export function serveReplica(id: string, configFile: string, redisUrl: string): Promise<ReplicaProcess> {
  const child = spawn(
    process.execPath,
    ['bin/rmm.js', 'serve', '--config', configFile, '--state-dir', mkdtempSync(join(tmpdir(), `rmm-${id}-`))],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RMM_LOG_LEVEL: 'info', RMM_REDIS_URL: redisUrl, RMM_REPLICA_ID: id },
    },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id} did not start`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const rec = JSON.parse(line) as { msg?: string; url?: string };
      if (rec.msg === 'resilient model manager listening') {
        clearTimeout(timer);
        resolve({ id, child, url: rec.url! });
      }
    });
    child.once('exit', (code) => reject(new Error(`${id} exited with ${code}`)));
  });
}
