/**
 * Free text (model names, selection reasons) in a response header. A value that is already legal header
 * text (printable ASCII, no leading or trailing space) goes as is, so `x-rmm-model-used: llama3.2:3b` reads
 * as written. Anything else (non-ASCII such as "→" or "×", control characters, line breaks) is sent as an
 * RFC 8187 ext-value: `UTF-8''` followed by the percent-encoded UTF-8 bytes; its prefix tells a client to
 * decode it (`decodeHeaderText`). Overlong text is cut: the JSON body always has the whole of it.
 */
export function headerText(value: string, maxChars = 2000): string {
  const text = value.length > maxChars ? `${value.slice(0, maxChars - 1)}…` : value;
  if (PLAIN.test(text) && !text.startsWith(EXT_PREFIX)) return text;
  return EXT_PREFIX + encodeExtValue(text);
}

/** The inverse of `headerText`, for clients and tests. */
export function decodeHeaderText(value: string): string {
  return value.startsWith(EXT_PREFIX) ? decodeURIComponent(value.slice(EXT_PREFIX.length)) : value;
}

const EXT_PREFIX = "UTF-8''";
// Printable ASCII, not starting or ending with a space (servers and proxies may trim those).
const PLAIN = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;
// RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~".
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

function encodeExtValue(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && ATTR_CHAR.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
