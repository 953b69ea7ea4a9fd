import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import { Ticker } from './ticker.ts';

/** One Ollama host that can tell its version (GET /api/version); the backend adapter is one. */
export interface VersionSource {
  host: string;
  version(signal?: AbortSignal): Promise<string>;
}

export interface UpstreamVersionOptions {
  clock: Clock;
  /** How often each host is asked again (an upgraded Ollama restarts with a new version). */
  intervalMs: number;
  /** One question's timeout. */
  timeoutMs: number;
  logger?: Pick<Logger, 'debug'>;
}

export interface UpstreamVersions {
  /** The lowest version across the hosts that have answered (ever), or undefined before any has. */
  lowest(): string | undefined;
  /** Asks every host now; resolves when all have answered or failed. */
  refresh(): Promise<void>;
  /** The first round, asked at creation. */
  readonly first: Promise<void>;
  stop(): void;
}

/**
 * What `/api/version` should say. Clients read it as Ollama's version to decide which features to use, so
 * it must be the upstream's, and with several hosts the lowest: a feature is safe only if every host that
 * may serve the request has it. A host's last answer is kept while it is unreachable (it did not downgrade
 * by going away). Hosts are asked at start and every `intervalMs`.
 */
export function watchUpstreamVersions(
  sources: readonly VersionSource[],
  opts: UpstreamVersionOptions,
): UpstreamVersions {
  const known = new Map<string, string>();
  const refresh = async () => {
    await Promise.all(
      sources.map(async (s) => {
        try {
          const v = await s.version(AbortSignal.timeout(opts.timeoutMs));
          if (typeof v === 'string' && v.length > 0 && v.length <= 64) known.set(s.host, v);
        } catch (err) {
          opts.logger?.debug({ host: s.host, err }, 'upstream version: no answer');
        }
      }),
    );
  };
  const first = refresh();
  const ticker = new Ticker(opts.clock, opts.intervalMs, refresh);
  return {
    lowest: () => lowestVersion([...known.values()]),
    refresh,
    first,
    stop: () => ticker.stop(),
  };
}

/** The lowest of some version strings by semantic-version order; undefined for none. */
export function lowestVersion(versions: readonly string[]): string | undefined {
  let lowest: string | undefined;
  for (const v of versions) if (lowest === undefined || compareVersions(v, lowest) < 0) lowest = v;
  return lowest;
}

/**
 * Semantic-version order, tolerant of what Ollama builds report ("0.12.0", "0.33.0-rc2", "0.0.0"): numeric
 * parts compared as numbers, a pre-release below its release, pre-release parts compared numerically when
 * both are numbers and as text otherwise. A leading "v" is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = splitVersion(a);
  const [coreB = '', preB] = splitVersion(b);
  const na = coreA.split('.');
  const nb = coreB.split('.');
  for (let i = 0; i < Math.max(na.length, nb.length, 3); i++) {
    const d = comparePart(na[i] ?? '0', nb[i] ?? '0');
    if (d !== 0) return d;
  }
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const pa = preA.split('.');
  const pb = preB.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const d = comparePart(pa[i]!, pb[i]!);
    if (d !== 0) return d;
  }
  return 0;
}

function splitVersion(v: string): [string, string | undefined] {
  const plain = v.trim().replace(/^v/i, '').split('+', 1)[0]!;
  const dash = plain.indexOf('-');
  return dash < 0 ? [plain, undefined] : [plain.slice(0, dash), plain.slice(dash + 1)];
}

function comparePart(a: string, b: string): number {
  const x = /^\d+$/.test(a) ? Number(a) : Number.NaN;
  const y = /^\d+$/.test(b) ? Number(b) : Number.NaN;
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  // rc2 vs rc10: compare the digits inside as numbers when the text around them matches.
  const ma = /^(\D*)(\d+)$/.exec(a);
  const mb = /^(\D*)(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  if (!Number.isNaN(x)) return -1; // numeric identifiers sort before text ones
  if (!Number.isNaN(y)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
