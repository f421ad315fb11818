// Settings live in chrome.storage.local; this module owns their defaults, validation and the socket URL.

export const PROTOCOL = 'rapidtriage-extension-v1';

export const DEFAULTS = Object.freeze({
  serverUrl: 'ws://127.0.0.1:3025/extension-ws',
  token: '',
  /** 'active' (active tab of each window, follows switches) | 'all' | 'manual' */
  mode: 'active',
  /** Response/request bodies are sent up to this many bytes (0 = never fetch bodies). */
  bodyCap: 64 * 1024,
  /** CDP resource types to report (Document, XHR, Fetch, Script, ...); empty = all. */
  networkTypes: [],
  /** Only report requests whose URL contains this text; empty = all. */
  urlFilter: '',
});

export const MODES = ['active', 'all', 'manual'];

/** Upper bound for bodyCap: two bodies plus headers must stay well under the 1 MiB message limit. */
export const MAX_BODY_CAP = 384 * 1024;

export const RESOURCE_TYPES = [
  'Document', 'Stylesheet', 'Image', 'Media', 'Font', 'Script', 'TextTrack', 'XHR', 'Fetch', 'Prefetch',
  'EventSource', 'WebSocket', 'Manifest', 'SignedExchange', 'Ping', 'CSPViolationReport', 'Preflight', 'Other',
];

export async function loadSettings() {
  const stored = await chrome.storage.local.get(Object.keys(DEFAULTS));
  return sanitize({ ...DEFAULTS, ...stored });
}

/** Validates and normalises a (partial) settings object; throws Error with a user-facing message. */
export function sanitize(input) {
  const out = { ...DEFAULTS, ...input };
  out.serverUrl = normalizeServerUrl(String(out.serverUrl || DEFAULTS.serverUrl));
  out.token = String(out.token ?? '').trim();
  if (!MODES.includes(out.mode)) throw new Error(`mode must be one of ${MODES.join(', ')}`);
  const cap = Number(out.bodyCap);
  if (!Number.isFinite(cap) || cap < 0) throw new Error('body cap must be a number of bytes ≥ 0');
  out.bodyCap = Math.min(Math.floor(cap), MAX_BODY_CAP);
  if (typeof out.networkTypes === 'string') {
    out.networkTypes = out.networkTypes.split(',').map((t) => t.trim()).filter(Boolean);
  }
  if (!Array.isArray(out.networkTypes)) out.networkTypes = [];
  const known = new Map(RESOURCE_TYPES.map((t) => [t.toLowerCase(), t]));
  out.networkTypes = out.networkTypes.map((t) => {
    const canonical = known.get(String(t).toLowerCase());
    if (!canonical) throw new Error(`unknown resource type "${t}" (known: ${RESOURCE_TYPES.join(', ')})`);
    return canonical;
  });
  out.urlFilter = String(out.urlFilter ?? '');
  return out;
}

/** Accepts ws://, wss://, http://, https:// or a bare host:port; returns a ws(s) URL. */
export function normalizeServerUrl(raw) {
  let text = raw.trim();
  if (!/^[a-z]+:\/\//i.test(text)) text = `ws://${text}`;
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`server URL "${raw}" is not a valid URL`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`server URL must start with ws:// or wss:// (got ${url.protocol})`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/extension-ws';
  url.searchParams.delete('token');
  return url.toString();
}

/** The URL actually dialled: the server URL plus ?token= when a token is set. */
export function socketUrl(settings) {
  const url = new URL(settings.serverUrl);
  if (settings.token) url.searchParams.set('token', settings.token);
  return url.toString();
}

/** The same URL with the token hidden, for display. */
export function displayUrl(settings) {
  return settings.serverUrl + (settings.token ? ' (token set)' : '');
}
