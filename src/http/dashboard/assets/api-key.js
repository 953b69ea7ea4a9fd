// The API key (RMM_API_KEY) the page sends with the status stream. sessionStorage, not localStorage: the
// key is kept in this tab only and is gone when it closes.
const KEY_STORAGE = 'rmm-api-key';

export function readApiKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function saveApiKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetApiKey() {
  sessionStorage.removeItem(KEY_STORAGE);
}

/** Accepts a key given as `/#token=<key>`; the fragment never reaches the server or its logs. */
export function takeKeyFromUrl() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  saveApiKey(decodeURIComponent(match[1]));
  // Keep the key out of the address bar, history and screenshots.
  history.replaceState(null, '', location.pathname + location.search);
}
