import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RmmError } from '../../manager/errors.ts';
import type { Manager } from '../../manager/manager.ts';
import { DEFAULT_VISUALIZATIONS_DIR, loadDashboardAssets, type StaticAsset } from './dashboard-assets.ts';
import { DASHBOARD_EVENTS_PATH } from './dashboard-paths.ts';
import { openSseSink } from './sse-sink.ts';
import { StatusFeed } from './status-feed.ts';

export interface DashboardOptions {
  manager: Manager;
  /** Folder of `*.svg` machine diagrams, listed once at start-up. Default `<repo>/visualizations`. */
  visualizationsDir?: string;
  /** How often the status is read while a page listens. Default 500 ms. */
  pollMs?: number;
  /** Keep-alive comment interval on the event stream. Default 15 000 ms. */
  heartbeatMs?: number;
  /** Concurrent event streams allowed; more get 429. Default 64. */
  maxStreams?: number;
}

export interface DashboardHandle {
  /** The shared status feed (its `clients` and `running` show what is open). */
  feed: StatusFeed;
}

// The page runs no inline code and loads nothing from elsewhere; diagrams are <img>, so their SVG cannot run.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
// A diagram opened on its own is a document: forbid scripts in it (generated SVG only needs inline styles).
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

/**
 * The live dashboard: `GET /` (page), `/dashboard/*` (its script modules, style and the machine diagrams)
 * and `GET /api/echo/resilient/events` (the status as Server-Sent Events). Register it without a prefix.
 *
 * Authentication: the page and its assets hold no data; their routes say `public: true` (and
 * `isDashboardPublicPath` tells the same for any URL). The event stream carries the data and stays behind
 * the normal bearer check:
 * the page reads it with fetch() (which can send `Authorization`) rather than EventSource (which cannot),
 * so the key never has to travel in a URL or land in an access log.
 */
export async function registerDashboard(
  app: FastifyInstance,
  opts: DashboardOptions,
): Promise<DashboardHandle> {
  const assets = await loadDashboardAssets(opts.visualizationsDir ?? DEFAULT_VISUALIZATIONS_DIR);
  const maxStreams = opts.maxStreams ?? 64;
  const feed = new StatusFeed({
    read: () => opts.manager.status(),
    pollMs: opts.pollMs ?? 500,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    onError: (err) => app.log.error({ err }, 'dashboard: manager.status() failed'),
  });
  // preClose, not onClose: open streams would otherwise keep server.close() waiting for ever.
  app.addHook('preClose', async () => feed.close());

  const page = { ...assets.page, headers: { 'content-security-policy': PAGE_CSP } };
  // The page and its assets hold no data and a browser cannot send a key for them: public, and not
  // rate-limited (one page view is several requests). The event stream below keeps the normal rules.
  const asset = (summary: string) => ({
    schema: { summary, tags: ['dashboard'] },
    config: { flavour: 'rmm', public: true, rateLimit: false, responses: { 200: { description: summary } } },
  });
  app.get('/', asset('The live dashboard page'), (req, reply) => sendAsset(req, reply, page));
  // One static route per listed module, no `:name` parameter: the router matches fixed strings, so no part
  // of a request's path is ever used to pick a file.
  for (const [name, script] of assets.scripts) {
    const summary =
      name === 'app.js' ? "The dashboard's script (its entry module)" : "A module of the dashboard's script";
    app.get(`/dashboard/${name}`, asset(summary), (req, reply) => sendAsset(req, reply, script));
  }
  app.get('/dashboard/style.css', asset("The dashboard's style sheet"), (req, reply) =>
    sendAsset(req, reply, assets.style),
  );
  app.get('/dashboard/favicon.svg', asset("The dashboard's icon"), (req, reply) =>
    sendAsset(req, reply, assets.icon),
  );
  app.get<{ Params: { name: string } }>(
    '/dashboard/diagrams/:name',
    asset('A machine diagram (SVG) from the visualizations folder, as listed at start-up'),
    (req, reply) => {
      // A lookup in the start-up allow-list: the request's text never reaches the filesystem.
      const diagram = assets.diagrams.get(req.params.name);
      if (!diagram) return reply.callNotFound();
      return sendAsset(req, reply, { ...diagram, headers: { 'content-security-policy': SVG_CSP } });
    },
  );

  // No automatic HEAD twin: a HEAD would open a stream that can never carry a body.
  const eventsSummary = 'The status as Server-Sent Events: at connect, then on every change';
  const eventsRoute = {
    exposeHeadRoute: false,
    schema: { summary: eventsSummary, tags: ['dashboard'] },
    config: {
      flavour: 'rmm',
      responses: { 200: { description: `${eventsSummary}; a comment line every 15 s keeps it alive` } },
    },
  };
  app.get(DASHBOARD_EVENTS_PATH, eventsRoute, (req, reply) => {
    if (feed.clients >= maxStreams) {
      const err = new RmmError('RMM_RATE_LIMITED', `too many open dashboard streams (limit ${maxStreams})`);
      return reply.code(err.status).header('retry-after', '5').send(err.toJSON());
    }
    reply.hijack();
    // Liveness comes from the heartbeat; a server-wide idle timeout must not cut a quiet stream.
    req.raw.socket?.setTimeout(0);
    const unsubscribe = feed.subscribe(openSseSink(reply.raw, reply.getHeaders()));
    reply.raw.on('close', unsubscribe);
    // A client that left while the request was being routed has already fired 'close'.
    if (reply.raw.destroyed || !req.raw.socket || req.raw.socket.destroyed) unsubscribe();
  });

  return { feed };
}

function sendAsset(
  req: FastifyRequest,
  reply: FastifyReply,
  asset: StaticAsset & { headers?: Record<string, string> },
): FastifyReply {
  reply
    .header('content-type', asset.contentType)
    .header('etag', asset.etag)
    // Revalidate every time: assets change only on restart and the check costs one 304.
    .header('cache-control', 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  for (const [name, value] of Object.entries(asset.headers ?? {})) reply.header(name, value);
  if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.send(asset.body);
}
