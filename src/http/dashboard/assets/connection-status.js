// The connection indicator (top right) and the feed-error banner. The state is mirrored on
// <body data-connection> so that styles and browser tests can see it, and it is read back from there.
import { $ } from './dom.js';

export function setConnection(kind, text) {
  const node = $('conn');
  node.className = `conn conn-${kind}`;
  node.textContent = text;
  document.body.dataset.connection = kind;
}

export function connectionKind() {
  return document.body.dataset.connection;
}

export function showFeedError(message) {
  const node = $('feed-error');
  node.hidden = !message;
  node.textContent = message ? `Status unavailable: ${message}` : '';
}
