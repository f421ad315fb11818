// Small helpers shared by the service worker modules: ids, base64, truncation, timeouts.

let counter = 0;

/** A unique message id: time + counter + randomness, e.g. `ext_lq2x8c_17_k3j9a`. */
export function newId(prefix = 'ext') {
  counter = (counter + 1) % 1e9;
  return `${prefix}_${Date.now().toString(36)}_${counter}_${Math.random().toString(36).slice(2, 7)}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with `message` when `promise` takes longer than `ms`. */
export function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message || `timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const encoder = new TextEncoder();

export function utf8Length(str) {
  return encoder.encode(str).length;
}

export function bytesToBase64(bytes) {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

export function base64ToBytes(b64) {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decoded size of a base64 string, without decoding it. */
export function base64ByteLength(b64) {
  if (!b64) return 0;
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

/** UTF-8 text → base64, at most `maxBytes` bytes of it. */
export function textToBase64(text, maxBytes = Infinity) {
  let bytes = encoder.encode(text);
  const length = bytes.length;
  const truncated = bytes.length > maxBytes;
  if (truncated) bytes = bytes.subarray(0, maxBytes);
  return { data: bytesToBase64(bytes), length, truncated };
}

/** base64 payload → at most `maxBytes` bytes of it, still base64. */
export function capBase64(b64, maxBytes = Infinity) {
  const length = base64ByteLength(b64);
  if (length <= maxBytes) return { data: b64, length, truncated: false };
  return { data: bytesToBase64(base64ToBytes(b64).subarray(0, maxBytes)), length, truncated: true };
}

/** Cut a string to `max` UTF-16 units, marking the cut. */
export function truncate(str, max) {
  if (typeof str !== 'string') return str;
  if (str.length <= max) return str;
  return `${str.slice(0, max)}… [truncated, ${str.length} chars]`;
}

/**
 * Returns a copy of `value` where every string longer than `max` is cut.
 * Used as the last guard that keeps an envelope under the server's message limit.
 */
export function shrinkStrings(value, max, depth = 0) {
  if (typeof value === 'string') return truncate(value, max);
  if (value === null || typeof value !== 'object' || depth > 12) return value;
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => shrinkStrings(v, max, depth + 1));
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = shrinkStrings(v, max, depth + 1);
  return out;
}

const REASONS = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted',
  203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content', 206: 'Partial Content',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
  402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout', 409: 'Conflict',
  410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable',
  417: 'Expectation Failed', 418: "I'm a teapot", 421: 'Misdirected Request', 422: 'Unprocessable Content',
  425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** HTTP/2 and HTTP/3 carry no reason phrase; fill in the standard one. */
export function reasonPhrase(status, given) {
  if (given) return given;
  return REASONS[status] || '';
}

/** Pages we cannot (or must not) debug: browser UI, other extensions, DevTools. */
export function isAttachableUrl(url) {
  if (!url) return true; // a fresh tab with no URL yet: try, CDP will refuse if it must
  if (/^(chrome|chrome-extension|chrome-search|chrome-untrusted|devtools|edge|brave|view-source):/i.test(url)) return false;
  if (/^about:/i.test(url) && !/^about:blank/i.test(url)) return false;
  return true;
}
