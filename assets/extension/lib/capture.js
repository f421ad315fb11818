// CDP events of one tab → protocol messages: console-log/-error, network-request/-error,
// websocket-frame, browser-event. Also enables the domains when a tab is attached.

import * as cdp from './cdp.js';
import {
  argsToJson, formatMessage, remoteArgs, formatStack, MAX_MESSAGE, shortName, topLocation,
} from './serialize.js';
import {
  base64ByteLength, capBase64, reasonPhrase, textToBase64, truncate,
} from './util.js';

const MAX_TRACKED_REQUESTS = 2000;
const MAX_FRAME_BYTES = 256 * 1024;
const MAX_URL = 8 * 1024;
const MAX_HEADER_VALUE = 8 * 1024;
/**
 * Chrome sends no Network.loadingFinished for a fetch() whose body the page never reads. A request
 * with a response and no data for this long is reported as it is, marked incomplete.
 */
const STALL_MS = 3000;
/** How long a finished request waits for a late responseReceivedExtraInfo. */
const EXTRA_WAIT_MS = 1500;

/** Enable every domain we listen to. Events emitted while enabling (console replay) are queued. */
export async function enableDomains(session) {
  const { tabId } = session;
  const settings = session.ctx.getSettings();
  await cdp.send(tabId, 'Page.enable');
  try {
    const { frameTree } = await cdp.send(tabId, 'Page.getFrameTree');
    session.mainFrameId = frameTree.frame.id;
    session.url = frameTree.frame.url + (frameTree.frame.urlFragment || '');
  } catch {
    /* keep the tab URL */
  }
  await cdp.send(tabId, 'Network.enable', {
    maxTotalBufferSize: 64 * 1024 * 1024,
    maxResourceBufferSize: 8 * 1024 * 1024,
    maxPostDataSize: Math.max(settings.bodyCap, 0),
  });
  await cdp.send(tabId, 'Log.enable');
  await cdp.send(tabId, 'Runtime.enable');
}

/**
 * Capture begins: say whether the page had loaded already (what it requested before is then not
 * captured, and the panes say so). Queued before the socket connects, so it goes first.
 */
export async function noteAttach(session) {
  let readyState = null;
  try {
    const r = await cdp.send(session.tabId, 'Runtime.evaluate', { expression: 'document.readyState', returnByValue: true });
    readyState = r && r.result && typeof r.result.value === 'string' ? r.result.value : null;
  } catch {
    /* no document: nothing was missed */
  }
  session.alreadyLoaded = readyState !== null && session.url !== 'about:blank';
  session.emit('browser-event', {
    event: 'attached', url: session.url, attachedAt: session.attachedAt, alreadyLoaded: session.alreadyLoaded,
    readyState, timestamp: session.attachedAt,
  }, session.attachedAt);
}

/** Dispatch one CDP event of this tab. */
export function handleEvent(session, method, params) {
  const handler = HANDLERS[method];
  if (!handler) return;
  try {
    const pending = handler(session, params);
    if (pending && typeof pending.catch === 'function') {
      pending.catch((err) => console.error(`[triage] error handling ${method}:`, err));
    }
  } catch (err) {
    console.error(`[triage] error handling ${method}:`, err);
  }
}

// ---- console ------------------------------------------------------------------------------------

const LEVELS = {
  log: 'log', debug: 'debug', info: 'info', error: 'error', warning: 'warn', dir: 'log', dirxml: 'log',
  table: 'log', trace: 'trace', clear: 'info', startGroup: 'log', startGroupCollapsed: 'log',
  endGroup: 'log', assert: 'error', profile: 'debug', profileEnd: 'debug', count: 'log', timeEnd: 'log',
};
const STACK_LEVELS = new Set(['error', 'warn', 'trace']);

/** Objects worth a deeper look than the one-level preview CDP gives (plain objects, arrays, maps...). */
function isDeepCandidate(ro) {
  return ro && ro.type === 'object' && ro.objectId
    && !['null', 'error', 'node', 'regexp', 'date', 'promise', 'proxy', 'wasmvalue'].includes(ro.subtype);
}

/**
 * Console arguments as JSON. Objects are serialized in the page (depth 5, 100 keys, no getters run,
 * cycles marked) in one Runtime.callFunctionOn; the preview is the fallback.
 */
async function consoleArgs(session, args) {
  const list = argsToJson(args);
  const deep = (args || []).slice(0, list.length).map((a, i) => [a, i]).filter(([a]) => isDeepCandidate(a));
  if (!deep.length) return list;
  try {
    const r = await cdp.send(session.tabId, 'Runtime.callFunctionOn', {
      objectId: deep[0][0].objectId,
      functionDeclaration: SERIALIZE_IN_PAGE,
      arguments: deep.map(([a]) => ({ objectId: a.objectId })),
      returnByValue: true,
      silent: true,
    }, 2000);
    if (!r.exceptionDetails && Array.isArray(r.result.value)) {
      deep.forEach(([, i], k) => { list[i] = r.result.value[k]; });
    }
  } catch {
    /* context gone (page navigated): keep the previews */
  }
  return list;
}

const SERIALIZE_IN_PAGE = `function (...vals) {
  const MAX_DEPTH = 5, MAX_KEYS = 100, MAX_STR = 16384;
  let budget = 256 * 1024;
  const path = new Set();
  const ser = (v, d) => {
    if (budget <= 0) return '…';
    switch (typeof v) {
      case 'string': budget -= v.length; return v.length > MAX_STR ? v.slice(0, MAX_STR) + '…' : v;
      case 'number': budget -= 8; return Number.isFinite(v) && !Object.is(v, -0) ? v : String(v);
      case 'boolean': return v;
      case 'undefined': return 'undefined';
      case 'bigint': return v + 'n';
      case 'symbol': return v.toString();
      case 'function': return 'ƒ ' + (v.name || 'anonymous') + '()';
    }
    if (v === null) return null;
    if (path.has(v)) return '[Circular]';
    if (v instanceof Error) return String(v.stack || v);
    if (typeof Node !== 'undefined' && v instanceof Node) return v.nodeName.toLowerCase() + (v.id ? '#' + v.id : '');
    if (v instanceof Date) return isNaN(v) ? 'Invalid Date' : v.toISOString();
    if (v instanceof RegExp) return String(v);
    const name = (v.constructor && v.constructor.name) || 'Object';
    if (d >= MAX_DEPTH) return Array.isArray(v) ? 'Array(' + v.length + ')' : name;
    path.add(v);
    try {
      if (Array.isArray(v) || ArrayBuffer.isView(v)) {
        const out = [], n = Math.min(v.length, MAX_KEYS);
        for (let i = 0; i < n; i++) out.push(ser(v[i], d + 1));
        if (v.length > n) out.push('… ' + (v.length - n) + ' more');
        return out;
      }
      if (v instanceof Map) return { '[[Map]]': [...v.entries()].slice(0, MAX_KEYS).map(([k, x]) => [ser(k, d + 1), ser(x, d + 1)]) };
      if (v instanceof Set) return { '[[Set]]': [...v].slice(0, MAX_KEYS).map((x) => ser(x, d + 1)) };
      const out = {}, keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        if (i >= MAX_KEYS) { out['…'] = (keys.length - MAX_KEYS) + ' more'; break; }
        const desc = Object.getOwnPropertyDescriptor(v, keys[i]);
        budget -= keys[i].length;
        out[keys[i]] = desc && 'value' in desc ? ser(desc.value, d + 1) : '[getter]';
      }
      return out;
    } finally { path.delete(v); }
  };
  return vals.map((v) => ser(v, 0));
}`;

/** Console-ish events go through one chain per tab so their order survives the async serialization. */
function inOrder(session, job) {
  session.consoleChain = (session.consoleChain || Promise.resolve())
    .then(job)
    .catch((err) => console.error('[triage] console capture:', err));
}

function onConsoleApiCalled(session, p) {
  if (p.type === 'endGroup') return;
  inOrder(session, async () => {
    const level = LEVELS[p.type] || 'log';
    let message = formatMessage(p.args);
    if (p.type === 'assert') message = `Assertion failed${message ? `: ${message}` : ''}`;
    if (p.type === 'clear') message = 'console.clear()';
    const loc = topLocation(p.stackTrace);
    const data = {
      level,
      message,
      args: await consoleArgs(session, p.args),
      remoteArgs: remoteArgs(p.args),
      source: loc.source,
      url: loc.url,
      line: loc.line,
      column: loc.column,
      stack: STACK_LEVELS.has(level) ? formatStack(p.stackTrace) : null,
      consoleType: p.type,
    };
    if (p.context) data.context = p.context;
    session.emit(level === 'error' ? 'console-error' : 'console-log', data, p.timestamp);
  });
}

function onExceptionThrown(session, p) {
  inOrder(session, () => emitException(session, p));
}

function emitException(session, p) {
  const d = p.exceptionDetails || {};
  const ex = d.exception;
  const inPromise = /in promise/i.test(d.text || '');
  let description = '';
  if (ex) {
    description = ex.description
      ?? (ex.type === 'string' ? ex.value : ex.value !== undefined ? JSON.stringify(ex.value) : ex.unserializableValue || '');
  }
  const firstLine = String(description).split('\n')[0];
  const prefix = d.text || 'Uncaught';
  const message = firstLine ? `${prefix} ${firstLine}` : prefix;
  // V8's description of an Error already is "Name: message\n    at ..." — the most faithful stack.
  let stack = null;
  if (ex && ex.subtype === 'error' && String(description).includes('\n    at ')) {
    stack = description;
  } else {
    const frames = formatStack(d.stackTrace);
    stack = frames ? `${firstLine || prefix}\n${frames}` : null;
  }
  const loc = topLocation(d.stackTrace, { url: d.url, lineNumber: d.lineNumber, columnNumber: d.columnNumber });
  session.emit('console-error', {
    level: 'error',
    message: truncate(message, MAX_MESSAGE),
    args: ex ? [truncate(String(description), MAX_MESSAGE)] : [],
    source: loc.source,
    url: loc.url,
    line: loc.line,
    column: loc.column,
    stack: stack ? truncate(stack, MAX_MESSAGE) : null,
    exception: true,
    kind: inPromise ? 'unhandledrejection' : 'uncaught',
  }, p.timestamp);
}

const LOG_LEVELS = { verbose: 'debug', info: 'info', warning: 'warn', error: 'error' };

function onLogEntry(session, p) {
  inOrder(session, () => emitLogEntry(session, p));
}

function emitLogEntry(session, p) {
  const e = p.entry || {};
  const level = LOG_LEVELS[e.level] || 'info';
  const url = e.url || null;
  const line = e.lineNumber !== undefined ? e.lineNumber + 1 : null;
  const loc = e.stackTrace ? topLocation(e.stackTrace) : null;
  session.emit(level === 'error' ? 'console-error' : 'console-log', {
    level,
    message: truncate(e.text || '', MAX_MESSAGE),
    args: [],
    source: loc?.source || (url ? (line !== null ? `${shortName(url)}:${line}` : shortName(url)) : null),
    url: loc?.url || url,
    line: loc?.line ?? line,
    column: loc?.column ?? null,
    stack: e.stackTrace ? formatStack(e.stackTrace) : null,
    logSource: e.source || 'other',
    networkRequestId: e.networkRequestId,
  }, e.timestamp);
}

// ---- network ------------------------------------------------------------------------------------

function passesFilter(session, req) {
  const s = session.ctx.getSettings();
  if (s.networkTypes.length && !s.networkTypes.includes(req.resourceType)) return false;
  if (s.urlFilter && !req.url.includes(s.urlFilter)) return false;
  return true;
}

function headerMap(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers || {})) out[k] = truncate(String(v), MAX_HEADER_VALUE);
  return out;
}

function headersSize(headers) {
  let n = 0;
  for (const [k, v] of Object.entries(headers || {})) n += k.length + String(v).length + 4;
  return n;
}

function isMainFrameDocument(session, req) {
  return req.resourceType === 'Document' && (!session.mainFrameId || req.frameId === session.mainFrameId);
}

function onRequestWillBeSent(session, p) {
  const existing = session.requests.get(p.requestId);
  if (existing && p.redirectResponse) {
    // The previous hop ends here with its 3xx; report it, then track the new hop under the same id.
    existing.response = p.redirectResponse;
    existing.endTs = p.timestamp;
    existing.encodedDataLength = p.redirectResponse.encodedDataLength || 0;
    existing.redirectedTo = p.request.url;
    session.requests.delete(p.requestId);
    emitRequest(session, existing, null);
  }
  const req = {
    requestId: p.requestId,
    url: p.request.url + (p.request.urlFragment || ''),
    method: p.request.method,
    resourceType: p.type || 'Other',
    frameId: p.frameId,
    loaderId: p.loaderId,
    requestHeaders: p.request.headers || {},
    postData: p.request.postData,
    hasPostData: !!p.request.hasPostData,
    startTs: p.timestamp,
    wallTime: p.wallTime ? p.wallTime * 1000 : Date.now(),
    initiator: p.initiator ? p.initiator.type : undefined,
    response: null,
    dataLength: 0,
  };
  const extra = session.pendingExtra.get(p.requestId);
  if (extra) {
    if (extra.requestHeaders) req.rawRequestHeaders = extra.requestHeaders;
    if (extra.responseHeaders) req.rawResponseHeaders = extra.responseHeaders;
    if (extra.statusCode) req.rawStatus = extra.statusCode;
    session.pendingExtra.delete(p.requestId);
  }
  session.requests.set(p.requestId, req);
  if (session.requests.size > MAX_TRACKED_REQUESTS) {
    session.requests.delete(session.requests.keys().next().value);
  }
  if (isMainFrameDocument(session, req) && !p.redirectResponse) {
    session.emit('browser-event', { event: 'navigation_starting', url: req.url, timestamp: Date.now() });
  }
}

function onRequestExtraInfo(session, p) {
  const req = session.requests.get(p.requestId);
  if (req) req.rawRequestHeaders = p.headers;
  else stashExtra(session, p.requestId, { requestHeaders: p.headers });
}

function onResponseExtraInfo(session, p) {
  const req = session.requests.get(p.requestId);
  // The status the network saw (304 for a revalidation, which responseReceived reports as the
  // cached 200): the one DevTools shows.
  if (req) {
    req.rawResponseHeaders = p.headers;
    req.rawStatus = p.statusCode;
    if (req.finished) {
      clearTimeout(req.extraTimer);
      finishRequest(session, req);
    }
  } else stashExtra(session, p.requestId, { responseHeaders: p.headers, statusCode: p.statusCode });
}

function onServedFromCache(session, p) {
  const req = session.requests.get(p.requestId);
  if (req) req.fromMemoryCache = true;
}

function stashExtra(session, requestId, extra) {
  session.pendingExtra.set(requestId, { ...session.pendingExtra.get(requestId), ...extra });
  if (session.pendingExtra.size > 500) session.pendingExtra.delete(session.pendingExtra.keys().next().value);
}

function onResponseReceived(session, p) {
  const req = session.requests.get(p.requestId);
  if (!req) return;
  req.response = p.response;
  req.hasExtraInfo = p.hasExtraInfo === true;
  req.lastTs = p.timestamp;
  if (p.type) req.resourceType = p.type;
  armStall(session, req);
  if (req.resourceType === 'EventSource') {
    // A server-sent-event stream may never finish: report it when its headers arrive.
    req.endTs = p.timestamp;
    req.reported = true;
    emitRequest(session, req, { omitted: 'event stream (frames are not captured)' });
  }
}

function onDataReceived(session, p) {
  const req = session.requests.get(p.requestId);
  if (!req) return;
  req.dataLength += p.dataLength || 0;
  req.lastTs = p.timestamp;
  armStall(session, req);
}

function armStall(session, req) {
  clearTimeout(req.stallTimer);
  if (req.reported) return;
  req.stallTimer = setTimeout(() => onStalled(session, req), STALL_MS);
}

async function onStalled(session, req) {
  if (session.closed || req.reported || session.requests.get(req.requestId) !== req) return;
  req.reported = true; // a late loadingFinished must not report it twice
  if (!passesFilter(session, req)) return;
  req.endTs = req.lastTs; // duration: until the last byte seen so far
  let body = null;
  if (session.ctx.getSettings().bodyCap > 0) body = await fetchBody(session, req);
  const data = baseRequestData(session, req, body);
  data.incomplete = true;
  data.note = `no loadingFinished ${STALL_MS / 1000} s after the last data: the page has not read the body, or the response is still streaming`;
  session.emit('network-request', data);
}

async function fetchBody(session, req) {
  const mime = (req.response && req.response.mimeType) || '';
  if (!(TEXTUAL.test(mime) || mime === '')) return { omitted: `binary body not captured (${mime})` };
  try {
    const r = await cdp.send(session.tabId, 'Network.getResponseBody', { requestId: req.requestId }, 5000);
    if (r.base64Encoded) return { omitted: `binary body (${base64ByteLength(r.body)} bytes, ${mime || 'unknown type'})` };
    return { text: r.body };
  } catch (err) {
    return { omitted: `body unavailable: ${err.message}` };
  }
}

const TEXTUAL = /^(text\/|application\/(json|.*\+json|javascript|ecmascript|x-javascript|xml|.*\+xml|x-www-form-urlencoded|graphql|x-ndjson|manifest\+json)|image\/svg\+xml)/i;

function onLoadingFinished(session, p) {
  const req = session.requests.get(p.requestId);
  if (!req) return;
  clearTimeout(req.stallTimer);
  if (req.reported) {
    session.requests.delete(p.requestId);
    return;
  }
  req.endTs = p.timestamp;
  req.encodedDataLength = p.encodedDataLength;
  // Chrome may send responseReceivedExtraInfo (the wire status: 304 for a revalidation) after
  // loadingFinished: a request that expects it waits for it, at most EXTRA_WAIT_MS.
  if (req.hasExtraInfo && req.rawResponseHeaders === undefined) {
    req.finished = true;
    req.extraTimer = setTimeout(() => finishRequest(session, req), EXTRA_WAIT_MS);
    return;
  }
  finishRequest(session, req);
}

async function finishRequest(session, req) {
  if (session.closed || session.requests.get(req.requestId) !== req) return;
  session.requests.delete(req.requestId);
  if (!passesFilter(session, req)) return;
  const cap = session.ctx.getSettings().bodyCap;
  const status = req.rawStatus || (req.response && req.response.status);
  let body = null;
  if (cap > 0 && req.method !== 'OPTIONS' && req.response && status !== 204 && status !== 304) {
    body = await fetchBody(session, req);
  }
  if (req.hasPostData && req.postData === undefined && cap > 0) {
    try {
      const r = await cdp.send(session.tabId, 'Network.getRequestPostData', { requestId: req.requestId }, 5000);
      req.postData = r.postData;
    } catch {
      /* gone */
    }
  }
  emitRequest(session, req, body);
}

function onLoadingFailed(session, p) {
  const req = session.requests.get(p.requestId);
  if (!req) return;
  session.requests.delete(p.requestId);
  clearTimeout(req.stallTimer);
  req.endTs = p.timestamp;
  if (isMainFrameDocument(session, req)) {
    resolveNavWaiters(session, { loaded: false, error: p.errorText });
    session.emit('browser-event', {
      event: 'navigation_completed', url: req.url, success: false, error: p.errorText, timestamp: Date.now(),
    });
  }
  if (req.reported || !passesFilter(session, req)) return;
  const data = baseRequestData(session, req, null);
  let error = p.errorText || 'failed';
  if (p.canceled) error += ' (canceled)';
  if (p.blockedReason) error += ` (blocked: ${p.blockedReason})`;
  if (p.corsErrorStatus) error += ` (CORS: ${p.corsErrorStatus.corsError}${p.corsErrorStatus.failedParameter ? ` ${p.corsErrorStatus.failedParameter}` : ''})`;
  data.error = error;
  data.canceled = !!p.canceled;
  if (p.blockedReason) data.blockedReason = p.blockedReason;
  session.emit('network-error', data);
}

function timingOf(req) {
  const t = req.response && req.response.timing;
  const total = req.endTs !== undefined ? (req.endTs - req.startTs) * 1000 : null;
  const out = { startTime: Math.round(req.wallTime), total: total === null ? null : round(total) };
  if (!t) return out;
  const span = (a, b) => (a >= 0 && b >= 0 ? round(b - a) : -1);
  out.queued = round((t.requestTime - req.startTs) * 1000);
  out.dns = span(t.dnsStart, t.dnsEnd);
  out.connect = span(t.connectStart, t.connectEnd);
  out.ssl = span(t.sslStart, t.sslEnd);
  out.send = span(t.sendStart, t.sendEnd);
  out.wait = span(t.sendEnd, t.receiveHeadersEnd);
  out.receive = req.endTs !== undefined ? round((req.endTs - t.requestTime) * 1000 - t.receiveHeadersEnd) : -1;
  return out;
}

const round = (n) => Math.round(n * 100) / 100;

function baseRequestData(session, req, body) {
  const cap = session.ctx.getSettings().bodyCap;
  const res = req.response;
  const requestHeaders = req.rawRequestHeaders || req.requestHeaders;
  const responseHeaders = res ? (req.rawResponseHeaders || res.headers || {}) : {};
  const duration = req.endTs !== undefined ? round((req.endTs - req.startTs) * 1000) : null;
  const requestBody = req.postData !== undefined && cap > 0 ? truncate(req.postData, cap) : null;
  let responseBody = null;
  if (body && body.text !== undefined) responseBody = truncate(body.text, cap);
  const data = {
    requestId: req.requestId,
    url: truncate(req.url, MAX_URL),
    method: req.method,
    status: res ? req.rawStatus || res.status : 0,
    statusText: res ? reasonPhrase(req.rawStatus || res.status, req.rawStatus && req.rawStatus !== res.status ? '' : res.statusText) : '',
    resourceType: req.resourceType,
    mimeType: res ? res.mimeType || '' : '',
    duration,
    size: {
      request: headersSize(requestHeaders) + (req.postData ? req.postData.length : 0),
      response: req.encodedDataLength ?? (res ? res.encodedDataLength : 0) ?? 0,
      body: req.dataLength,
    },
    headers: { request: headerMap(requestHeaders), response: headerMap(responseHeaders) },
    body: { request: requestBody, response: responseBody },
    timing: timingOf(req),
  };
  if (body && body.text !== undefined && body.text.length > cap) data.body.responseTruncated = true;
  if (body && body.omitted) data.body.responseOmitted = body.omitted;
  if (req.postData && cap > 0 && req.postData.length > cap) data.body.requestTruncated = true;
  if (res) {
    if (res.protocol) data.protocol = res.protocol;
    if (res.remoteIPAddress) data.remoteAddress = `${res.remoteIPAddress}:${res.remotePort}`;
    if (res.fromDiskCache || res.fromPrefetchCache) data.fromCache = true;
    if (res.fromServiceWorker) data.fromServiceWorker = true;
  }
  // DevTools' two numbers: bytes over the wire (headers + encoded body), decoded body bytes.
  if (req.endTs !== undefined && req.encodedDataLength !== undefined) data.size.transferred = req.encodedDataLength;
  if (req.endTs !== undefined && res) data.size.resource = req.dataLength;
  const cache = req.fromMemoryCache ? 'memory'
    : res && (res.fromDiskCache || res.fromPrefetchCache) ? 'disk'
      : res && res.fromServiceWorker ? 'service-worker' : null;
  if (cache) data.cache = cache;
  if (data.status === 304) data.revalidated = true;
  if (req.redirectedTo) data.redirectedTo = req.redirectedTo;
  if (req.initiator) data.initiator = req.initiator;
  return data;
}

function emitRequest(session, req, body) {
  if (!passesFilter(session, req)) return;
  session.emit('network-request', baseRequestData(session, req, body));
}

// ---- the page's own WebSockets ------------------------------------------------------------------

function onWebSocketCreated(session, p) {
  session.sockets.set(p.requestId, { url: p.url, createdAt: Date.now() });
  if (session.sockets.size > 500) session.sockets.delete(session.sockets.keys().next().value);
}

function onWebSocketHandshake(session, p) {
  const sock = session.sockets.get(p.requestId);
  if (!sock) return;
  const res = p.response || {};
  const req = {
    requestId: p.requestId,
    url: sock.url,
    method: 'GET',
    resourceType: 'WebSocket',
    requestHeaders: res.requestHeaders || {},
    startTs: 0,
    endTs: 0,
    wallTime: sock.createdAt,
    response: { status: res.status, statusText: res.statusText, headers: res.headers, mimeType: '' },
    dataLength: 0,
    encodedDataLength: 0,
  };
  if (!passesFilter(session, req)) return;
  const data = baseRequestData(session, req, null);
  data.duration = Date.now() - sock.createdAt;
  session.emit('network-request', data);
}

function emitFrame(session, p, direction) {
  const sock = session.sockets.get(p.requestId);
  const r = p.response || {};
  const opcode = r.opcode;
  const isBinary = opcode === 2;
  let payload;
  if (isBinary) payload = capBase64(r.payloadData || '', MAX_FRAME_BYTES);
  else payload = textToBase64(r.payloadData || '', MAX_FRAME_BYTES);
  const data = {
    trafficId: p.requestId,
    url: sock ? sock.url : null,
    timestamp: Date.now(),
    direction,
    opcode,
    data: payload.data,
    isBinary,
    length: payload.length,
  };
  if (payload.truncated) data.truncated = true;
  session.emit('websocket-frame', data);
}

function onWebSocketClosed(session, p) {
  const sock = session.sockets.get(p.requestId);
  session.sockets.delete(p.requestId);
  session.emit('websocket-frame', {
    trafficId: p.requestId,
    url: sock ? sock.url : null,
    timestamp: Date.now(),
    direction: 'server-to-client',
    opcode: 8,
    data: null,
    isBinary: false,
    length: 0,
    closed: true,
  });
}

function onWebSocketFrameError(session, p) {
  const sock = session.sockets.get(p.requestId);
  session.emit('network-error', {
    requestId: p.requestId,
    url: sock ? sock.url : null,
    method: 'GET',
    status: 0,
    statusText: '',
    resourceType: 'WebSocket',
    error: `WebSocket frame error: ${p.errorMessage}`,
  });
}

// ---- page / navigation --------------------------------------------------------------------------

export function resolveNavWaiters(session, result) {
  for (const w of session.navWaiters) w(result);
  session.navWaiters.clear();
}

function onFrameNavigated(session, p) {
  const f = p.frame;
  if (f.parentId) return;
  session.mainFrameId = f.id;
  session.url = f.url + (f.urlFragment || '');
  session.emit('browser-event', { event: 'source_changed', url: session.url, timestamp: Date.now() });
  if (p.type === 'BackForwardCacheRestore') {
    resolveNavWaiters(session, { loaded: true, fromCache: true });
    session.emit('browser-event', {
      event: 'navigation_completed', url: session.url, success: true, title: session.title, timestamp: Date.now(),
    });
  }
  session.ctx.changed();
}

function onNavigatedWithinDocument(session, p) {
  if (session.mainFrameId && p.frameId !== session.mainFrameId) return;
  session.url = p.url;
  session.emit('browser-event', { event: 'source_changed', url: p.url, sameDocument: true, timestamp: Date.now() });
  resolveNavWaiters(session, { loaded: true, sameDocument: true });
}

function onLoadEventFired(session) {
  resolveNavWaiters(session, { loaded: true });
  session.emit('browser-event', {
    event: 'navigation_completed', url: session.url, success: true, title: session.title, timestamp: Date.now(),
  });
}

function onBindingCalled(session, p) {
  session.ctx.onBinding(session, p);
}

const HANDLERS = {
  'Runtime.consoleAPICalled': onConsoleApiCalled,
  'Runtime.exceptionThrown': onExceptionThrown,
  'Runtime.bindingCalled': onBindingCalled,
  'Log.entryAdded': onLogEntry,
  'Network.requestWillBeSent': onRequestWillBeSent,
  'Network.requestWillBeSentExtraInfo': onRequestExtraInfo,
  'Network.responseReceivedExtraInfo': onResponseExtraInfo,
  'Network.responseReceived': onResponseReceived,
  'Network.dataReceived': onDataReceived,
  'Network.requestServedFromCache': onServedFromCache,
  'Network.loadingFinished': onLoadingFinished,
  'Network.loadingFailed': onLoadingFailed,
  'Network.webSocketCreated': onWebSocketCreated,
  'Network.webSocketHandshakeResponseReceived': onWebSocketHandshake,
  'Network.webSocketFrameSent': (s, p) => emitFrame(s, p, 'client-to-server'),
  'Network.webSocketFrameReceived': (s, p) => emitFrame(s, p, 'server-to-client'),
  'Network.webSocketFrameError': onWebSocketFrameError,
  'Network.webSocketClosed': onWebSocketClosed,
  'Page.frameNavigated': onFrameNavigated,
  'Page.navigatedWithinDocument': onNavigatedWithinDocument,
  'Page.loadEventFired': onLoadEventFired,
};
