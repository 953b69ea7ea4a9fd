import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  where: string;
  self_pct: number;
}

export interface ProfileSummary {
  samples: number;
  /** Self time by function (file:line name). */
  functions: HotSpot[];
  /** Self time by area: our src/ folders, each dependency, node internals, GC, idle. */
  areas: HotSpot[];
  /** Inclusive time of our own src/ files (what each file and everything it calls costs). */
  inclusive_src: HotSpot[];
  /** Inclusive time of each dependency and of Node's web streams (on the stack at all). */
  inclusive_deps: HotSpot[];
}

/** Reads a V8 .cpuprofile and ranks where the CPU went. */
export function summariseProfile(file: string, root: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTicks = new Map<number, number>();
  for (const s of profile.samples) selfTicks.set(s, (selfTicks.get(s) ?? 0) + 1);
  // Idle time is the event loop waiting: not a cost, so it is left out of every percentage.
  let busy = 0;
  for (const [id, n] of selfTicks) if (byId.get(id)?.callFrame.functionName !== '(idle)') busy += n;

  const fn = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const deps = new Map<string, number>();
  for (const [id, ticks] of selfTicks) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const key = `${label(node, root)}${node.callFrame.url ? '' : ` ← ${ourCaller(id, byId, parent, root)}`}`;
    fn.set(key, (fn.get(key) ?? 0) + ticks);
    const a = areaOf(node.callFrame.url, node.callFrame.functionName, root);
    area.set(a, (area.get(a) ?? 0) + ticks);
    // Each of our files on the stack gets the sample once (recursion is not double counted).
    const seen = new Set<string>();
    const seenDeps = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      const dep = depOf(url);
      if (dep && !seenDeps.has(dep)) {
        seenDeps.add(dep);
        deps.set(dep, (deps.get(dep) ?? 0) + ticks);
      }
      const rel = url.includes('/src/') && !url.includes('node_modules') ? shortUrl(url, root) : undefined;
      if (rel && !seen.has(rel)) {
        seen.add(rel);
        inclusive.set(rel, (inclusive.get(rel) ?? 0) + ticks);
      }
    }
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([where, t]) => ({ where, self_pct: Math.round((t / Math.max(1, busy)) * 1000) / 10 }));
  return {
    samples: busy,
    functions: rank(fn, top),
    areas: rank(area, top),
    inclusive_src: rank(inclusive, top),
    inclusive_deps: rank(deps, top),
  };
}

/** A dependency's name (undici's fetch and its dispatcher apart), or Node's web streams; else undefined. */
function depOf(url: string): string | undefined {
  if (url.includes('internal/webstreams')) return 'node web streams';
  const nm = url.lastIndexOf('node_modules/');
  if (nm < 0) return undefined;
  const rest = url.slice(nm + 'node_modules/'.length).split('/');
  const name = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  if (name === 'undici') return rest[2] === 'web' ? 'undici fetch (WHATWG)' : 'undici core';
  return name;
}

function label(node: ProfileNode, root: string): string {
  const where = node.callFrame.url
    ? `${shortUrl(node.callFrame.url, root)}:${node.callFrame.lineNumber + 1} `
    : '';
  return `${where}${node.callFrame.functionName || '(anonymous)'}`;
}

/** For a native frame: the nearest caller in our own code (else the nearest JS frame), to say who paid. */
function ourCaller(
  id: number,
  byId: Map<number, ProfileNode>,
  parent: Map<number, number>,
  root: string,
): string {
  let firstJs: ProfileNode | undefined;
  for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur)!;
    const url = node.callFrame.url;
    if (!url) continue;
    firstJs ??= node;
    if (!url.includes('node_modules') && !url.startsWith('node:')) return label(node, root);
  }
  return firstJs ? label(firstJs, root) : '?';
}

function shortUrl(url: string, root: string): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? url.slice(7) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  return path.startsWith('/') ? relative(root, path) : path;
}

function areaOf(url: string, functionName: string, root: string): string {
  if (!url) {
    if (functionName.startsWith('(garbage collector)')) return 'GC';
    if (functionName === '(program)') return '(program: native/VM)';
    return `native ${functionName}`;
  }
  const path = url.startsWith('file://') ? url.slice(7) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return `dep ${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (path.startsWith('node:')) return `node ${path.slice(5).split('/')[0]}`;
  const rel = relative(root, path);
  if (rel.startsWith('src/')) return rel.split('/').slice(0, 2).join('/');
  return rel.startsWith('..') ? path : rel;
}
