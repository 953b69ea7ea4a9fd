import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../../package-root.ts';

export interface StaticAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

export interface DashboardAssets {
  page: StaticAsset;
  /** Script file name (one of `DASHBOARD_SCRIPTS`) → content, in the list's order: `app.js` first. */
  scripts: ReadonlyMap<DashboardScript, StaticAsset>;
  style: StaticAsset;
  icon: StaticAsset;
  /** Diagram file name (e.g. `model.machine.svg`) → content: the fixed allow-list read at start-up. */
  diagrams: ReadonlyMap<string, StaticAsset>;
}

/**
 * The dashboard's browser modules, served at `/dashboard/<name>`: `app.js`, the entry the page loads (its
 * name kept so existing links work), then every module it imports. A fixed list rather than a folder
 * listing: the server answers for exactly these names, never for a path a request makes up, and a stray
 * file in the assets folder is not published. A module left out of the list is a 404 for the browser and
 * a blank page; test/dashboard/routes.test.ts checks that every import resolves to a listed name.
 */
export const DASHBOARD_SCRIPTS = [
  'app.js',
  'api-key.js',
  'connection-status.js',
  'dom.js',
  'format.js',
  'relative-time.js',
  'render-decisions.js',
  'render-header.js',
  'render-hosts.js',
  'render-in-flight.js',
  'render-models.js',
  'render-status.js',
  'state-badge.js',
  'status-stream.js',
] as const;
export type DashboardScript = (typeof DASHBOARD_SCRIPTS)[number];

/** `<repo>/visualizations`, where `npm run visualize` writes. */
export const DEFAULT_VISUALIZATIONS_DIR = join(PACKAGE_ROOT, 'visualizations');

// Static files tsc does not emit: read from the sources, also when the service runs from dist/.
const ASSETS_DIR = pathToFileURL(join(PACKAGE_ROOT, 'src/http/dashboard/assets/'));
const DIAGRAMS_MARKER = '<!-- diagrams -->';
// Only plain names: nothing that could mean a path, even if the allow-list were ever bypassed.
const DIAGRAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.svg$/;
const MAX_DIAGRAM_BYTES = 5 * 1024 * 1024;

/**
 * Reads the page, its scripts and style, and every diagram once. Nothing is read from disk per request,
 * so no request can ever name a file.
 */
export async function loadDashboardAssets(visualizationsDir: string): Promise<DashboardAssets> {
  const [template, scripts, style, icon, diagrams] = await Promise.all([
    readFile(new URL('index.html', ASSETS_DIR), 'utf8'),
    Promise.all(DASHBOARD_SCRIPTS.map((name) => readFile(new URL(name, ASSETS_DIR)))),
    readFile(new URL('style.css', ASSETS_DIR)),
    readFile(new URL('favicon.svg', ASSETS_DIR)),
    loadDiagrams(visualizationsDir),
  ]);
  const page = template.replace(DIAGRAMS_MARKER, renderDiagrams([...diagrams.keys()]));
  return {
    page: asset(Buffer.from(page), 'text/html; charset=utf-8'),
    scripts: new Map(
      DASHBOARD_SCRIPTS.map(
        (name, i) => [name, asset(scripts[i]!, 'text/javascript; charset=utf-8')] as const,
      ),
    ),
    style: asset(style, 'text/css; charset=utf-8'),
    icon: asset(icon, 'image/svg+xml'),
    diagrams,
  };
}

async function loadDiagrams(dir: string): Promise<Map<string, StaticAsset>> {
  const found = new Map<string, StaticAsset>();
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    // No folder yet (diagrams not generated): the page says how to make them.
    return found;
  }
  // Regular files only: a symlink could point anywhere.
  const names = entries
    .filter((e) => e.isFile() && DIAGRAM_NAME.test(e.name))
    .map((e) => e.name)
    .sort();
  for (const name of names) {
    const path = join(dir, name);
    if ((await stat(path)).size > MAX_DIAGRAM_BYTES) continue;
    found.set(name, asset(await readFile(path), 'image/svg+xml'));
  }
  return found;
}

function renderDiagrams(names: string[]): string {
  if (names.length === 0) {
    return '<p class="empty" id="no-diagrams">No machine diagrams yet: run <code>npm run visualize</code>, then restart.</p>';
  }
  const figures = names.map((name) => {
    const url = `/dashboard/diagrams/${encodeURIComponent(name)}`;
    const title = escapeHtml(name.replace(/\.svg$/, ''));
    // The model machine is thousands of pixels wide: the page shows an overview, the link the real size.
    return (
      `<figure class="diagram"><a href="${url}" target="_blank" rel="noopener" title="Open ${title} full size">` +
      `<img src="${url}" alt="State diagram: ${title}" loading="lazy"></a>` +
      `<figcaption>${title} · <a class="full-size" href="${url}" target="_blank" rel="noopener">` +
      'open full size (SVG)</a></figcaption></figure>'
    );
  });
  return `<div class="diagrams">${figures.join('')}</div>`;
}

function asset(body: Buffer, contentType: string): StaticAsset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, contentType, etag };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
