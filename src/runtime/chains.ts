import type { HostState } from '../../machines/supervisor/types.ts';
import { DEFAULT_CHAINS } from '../config/defaults.ts';
import type { ChainEntry, Config } from '../config/schema.ts';
import { TASK_TYPES } from '../config/schema.ts';
import { type BuiltChain, buildChain, type CatalogModel } from '../policy/chains.ts';

export interface ChainView {
  task: string;
  /** config: the config's chain (its own, or the seed's default); built: made from the models there are. */
  source: 'config' | 'built';
  rule: string;
  chain: ChainEntry[];
}

/**
 * The chains in effect. A chain the config sets itself is used as written ("config chains replace them").
 * The seed's default chain is kept while any of its models is on some host; a task whose default chain
 * names only models no host has gets a chain built from the models there are (src/policy/chains.ts), so a
 * user who points the service at their own Ollama gets working chains without writing any.
 */
export class Chains {
  private views = new Map<string, ChainView>();
  private fingerprint = '';

  constructor(private readonly config: Readonly<Config>) {
    this.rebuild([], () => true);
  }

  get(task: string): ChainEntry[] | undefined {
    return this.views.get(task)?.chain;
  }

  tasks(): string[] {
    return [...this.views.keys()];
  }

  all(): ChainView[] {
    return [...this.views.values()];
  }

  /** Recomputes from the hosts' catalogs when they changed; returns true when any chain changed. */
  update(hosts: Readonly<Record<string, HostState>>): boolean {
    const catalog = new Map<string, CatalogModel>();
    for (const h of Object.values(hosts)) {
      for (const m of Object.values(h.catalog)) {
        catalog.set(m.name, {
          name: m.name,
          sizeGb: m.sizeBytes / 1e9,
          parameterSize: m.parameterSize,
          family: m.family,
          capabilities: m.capabilities,
        });
      }
    }
    const discovered = [...catalog.keys()].sort().join('\n');
    if (discovered === this.fingerprint) return false;
    this.fingerprint = discovered;
    // Before any host described itself, every configured model is taken to be there.
    const present =
      catalog.size === 0 ? () => true : (m: string) => catalog.has(m) || catalog.has(`${m}:latest`);
    const models = [...catalog.values()];
    for (const [name, spec] of Object.entries(this.config.models)) {
      if (!catalog.has(name) && present(name))
        models.push({ name, sizeGb: spec.size_gb, parameterSize: spec.parameter_size, family: spec.family });
    }
    this.rebuild(models, present);
    return true;
  }

  private rebuild(models: CatalogModel[], present: (m: string) => boolean) {
    const tasks = new Set<string>([...TASK_TYPES, 'embed', ...Object.keys(this.config.chains)]);
    const next = new Map<string, ChainView>();
    for (const task of tasks) {
      const configured = this.config.chains[task];
      const isDefault = configured !== undefined && sameChain(configured, DEFAULT_CHAINS[task]);
      if (configured && (!isDefault || configured.some((e) => present(e.model)))) {
        next.set(task, {
          task,
          source: 'config',
          rule: isDefault ? "the seed's default chain" : 'from the config',
          chain: configured,
        });
        continue;
      }
      const built: BuiltChain = buildChain(task, models);
      if (built.chain.length > 0) next.set(task, { task, source: 'built', ...built });
    }
    this.views = next;
  }
}

function sameChain(a: readonly ChainEntry[], b: readonly ChainEntry[] | undefined): boolean {
  return (
    b !== undefined &&
    a.length === b.length &&
    a.every((e, i) => e.model === b[i]!.model && e.quality === b[i]!.quality)
  );
}
