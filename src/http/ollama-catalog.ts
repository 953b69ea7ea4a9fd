import { createHash } from 'node:crypto';
import type { Config, ModelSpec } from '../config/schema.ts';
import type { StatusView } from '../manager/status-view.ts';
import { virtualModelNames } from './model-names.ts';

/** Catalog entries in Ollama's shapes (/api/tags, /api/ps, /api/show), built from the config's model specs. */

const GIB = 1024 ** 3;
/** Ollama shows a model kept forever as expiring ~292 years ahead (Go's largest duration). */
const FOREVER_MS = 292 * 365.25 * 24 * 3600 * 1000;
const DEFAULT_CONTEXT = 4096;

export function digestOf(name: string): string {
  return createHash('sha256').update(`rmm:${name}`).digest('hex');
}

export function detailsOf(spec: ModelSpec | undefined) {
  const family = spec?.family ?? 'rmm';
  return {
    parent_model: '',
    format: spec ? 'gguf' : 'virtual',
    family,
    families: [family],
    parameter_size: spec?.parameter_size ?? '',
    quantization_level: spec?.quantization_level ?? '',
  };
}

export function tagsList(config: Readonly<Config>, catalog: readonly string[], modifiedAt: Date) {
  const modified_at = modifiedAt.toISOString();
  const entry = (name: string) => {
    const spec = config.models[name];
    return {
      name,
      model: name,
      modified_at,
      size: spec ? Math.round(spec.size_gb * GIB) : 0,
      digest: digestOf(name),
      details: detailsOf(spec),
    };
  };
  return { models: [...catalog.map(entry), ...virtualModelNames().map(entry)] };
}

/** Loaded and loading models (Ollama lists a loading model too), once per name. */
export function psList(config: Readonly<Config>, status: StatusView, now: number) {
  const expires_at = new Date(now + FOREVER_MS).toISOString();
  const seen = new Set<string>();
  const models = [];
  for (const host of status.hosts) {
    for (const name of [...host.loaded, ...host.loading]) {
      if (seen.has(name)) continue;
      seen.add(name);
      const spec = config.models[name];
      const size = Math.round((spec?.size_gb ?? 0) * GIB);
      models.push({
        name,
        model: name,
        size,
        digest: digestOf(name),
        details: detailsOf(spec),
        expires_at,
        // Bigger than the card: Ollama offloads part of it to the CPU.
        size_vram: Math.min(size, Math.round(host.vram_budget_gb * GIB)),
        context_length: spec?.context_length ?? DEFAULT_CONTEXT,
      });
    }
  }
  return { models };
}

export function showModel(config: Readonly<Config>, name: string, modifiedAt: Date) {
  const spec = config.models[name];
  const details = detailsOf(spec);
  const virtual = spec === undefined;
  return {
    license: '',
    modelfile: virtual
      ? `# ${name} is a virtual model of the Resilient Model Manager: each request is routed to a model of the task's chain.`
      : `# Served through the Resilient Model Manager.\nFROM ${name}\n`,
    parameters: '',
    template: '{{ .Prompt }}',
    system: '',
    details,
    model_info: {
      'general.architecture': details.family,
      'general.parameter_count': parameterCount(spec?.parameter_size),
      [`${details.family}.context_length`]: spec?.context_length ?? DEFAULT_CONTEXT,
    },
    capabilities: ['completion'],
    modified_at: modifiedAt.toISOString(),
  };
}

function parameterCount(size: string | undefined): number {
  const m = /^([\d.]+)\s*([KMB])?$/i.exec(size ?? '');
  if (!m) return 0;
  const scale = { K: 1e3, M: 1e6, B: 1e9 }[(m[2] ?? '').toUpperCase() as 'K' | 'M' | 'B'] ?? 1;
  return Math.round(Number(m[1]) * scale);
}
