// The live status: one Server-Sent Events stream read with fetch(), each frame rendered, reconnecting with
// a growing delay when it fails or goes quiet.
import { forgetApiKey, readApiKey } from './api-key.js';
import { connectionKind, setConnection, showFeedError } from './connection-status.js';
import { $ } from './dom.js';
import { renderStatus } from './render-status.js';

const EVENTS_URL = '/api/echo/resilient/events';
// The server sends a heartbeat every 15 s; three missed ones mean the stream is dead even if TCP says not.
const STALE_AFTER_MS = 45_000;

const conn = { controller: null, lastActivity: 0, retryMs: 1000, retryTimer: 0 };

function handleFrame(frame) {
  let event = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return;
  const payload = JSON.parse(data.join('\n'));
  if (event === 'feed-error') {
    showFeedError(payload.message ?? 'unknown error');
    return;
  }
  showFeedError('');
  renderStatus(payload);
}

function scheduleReconnect() {
  clearTimeout(conn.retryTimer);
  const wait = conn.retryMs;
  conn.retryMs = Math.min(conn.retryMs * 2, 15_000);
  setConnection('reconnecting', `Reconnecting in ${Math.round(wait / 1000)} s…`);
  conn.retryTimer = setTimeout(connect, wait);
}

export async function connect() {
  conn.controller?.abort();
  const controller = new AbortController();
  conn.controller = controller;
  const headers = { accept: 'text/event-stream' };
  const key = readApiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (connectionKind() !== 'reconnecting') setConnection('connecting', 'Connecting…');
  try {
    // fetch, not EventSource: EventSource cannot send the Authorization header.
    const res = await fetch(EVENTS_URL, { headers, signal: controller.signal, cache: 'no-store' });
    if (res.status === 401 || res.status === 403) {
      forgetApiKey();
      $('auth').hidden = false;
      setConnection('auth', 'API key needed');
      return;
    }
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    $('auth').hidden = true;
    conn.retryMs = 1000;
    conn.lastActivity = Date.now();
    setConnection('live', 'Live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      conn.lastActivity = Date.now();
      buffer += value.replace(/\r\n?/g, '\n');
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        handleFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (err) {
    if (controller !== conn.controller) return; // replaced by a newer connection on purpose
    console.warn('dashboard stream failed', err);
  }
  if (controller === conn.controller) scheduleReconnect();
}

/** Run by the page's ticker: a live stream that has said nothing for too long is dropped and reopened. */
export function dropIfStale(now) {
  if (connectionKind() === 'live' && now - conn.lastActivity > STALE_AFTER_MS) {
    conn.controller?.abort();
    conn.controller = null;
    scheduleReconnect();
  }
}
