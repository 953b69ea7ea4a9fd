/** The dashboard's Server-Sent Events stream of `manager.status()`. Behind the normal bearer check. */
export const DASHBOARD_EVENTS_PATH = '/api/echo/resilient/events';

/**
 * True for the dashboard page and its static assets (`/`, `/dashboard/...`). They hold no data (the page
 * fetches everything from the event stream with the caller's key), so an auth hook should let them
 * through: a browser cannot add an `Authorization` header to a page navigation or an `<img>`.
 */
export function isDashboardPublicPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === '/' || path.startsWith('/dashboard/');
}
