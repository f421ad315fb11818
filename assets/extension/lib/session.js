// One attached tab = one TabSession = one WebSocket to the server (its own server-side session).
// Owns the socket lifecycle: connect, connection-init/ack, heartbeat, bounded queue while disconnected,
// exponential-backoff reconnect (1 s → 30 s cap), and a readable reason when the server refuses us.

import { PROTOCOL, socketUrl } from './settings.js';
import { newId, shrinkStrings, utf8Length } from './util.js';

const BACKOFF_START_MS = 1000;
const BACKOFF_CAP_MS = 30000;
const HEARTBEAT_MS = 25000;
const ACK_WAIT_MS = 3000;
const QUEUE_MAX = 1000;
const QUEUE_MAX_BYTES = 8 * 1024 * 1024;
const BUFFERED_MAX = 16 * 1024 * 1024;
const DEFAULT_MAX_MESSAGE = 1024 * 1024;
/** Room left for the envelope around `data` and for multi-byte characters. */
const SIZE_MARGIN = 8 * 1024;

export const CAPABILITIES = [
  'console-capture', 'network-capture', 'screenshot-capture', 'element-selection',
  'websocket-capture', 'browser-actions',
];

export class TabSession {
  /**
   * @param {number} tabId
   * @param {object} ctx  { getSettings(), version, onServerMessage(session, msg), changed() }
   */
  constructor(tabId, ctx) {
    this.tabId = tabId;
    this.ctx = ctx;
    this.url = '';
    this.title = '';
    this.attachedAt = Date.now();
    this.closed = false;

    this.ws = null;
    this.state = 'idle'; // idle | connecting | handshaking | connected | retrying | refused | stopped
    this.sessionId = null;
    this.serverId = null;
    this.maxMessageSize = DEFAULT_MAX_MESSAGE;
    this.heartbeatMs = HEARTBEAT_MS;
    this.attempt = 0;
    this.retryAt = null;
    this.retryTimer = null;
    this.heartbeatTimer = null;
    this.ackTimer = null;
    this.flushAllowed = false;
    this.lastError = null;
    this.lastServerError = null;
    this.connectedAt = null;

    this.queue = [];
    this.queueBytes = 0;
    this.dropped = 0;
    this.sent = 0;
    this.received = 0;

    // Capture state, owned by capture.js.
    this.mainFrameId = null;
    this.requests = new Map();
    this.pendingExtra = new Map();
    this.sockets = new Map();
    this.navWaiters = new Set();
    this.pickerBinding = null;
  }

  metadata() {
    const meta = {
      tabId: String(this.tabId),
      url: this.url,
      source: 'chrome-extension',
      version: this.ctx.version,
    };
    if (this.sessionId) meta.sessionId = this.sessionId;
    return meta;
  }

  envelope(type, data, id, timestamp) {
    return {
      id: id || newId(),
      type,
      timestamp: Math.round(timestamp || Date.now()),
      data,
      metadata: this.metadata(),
    };
  }

  // ---- outgoing -------------------------------------------------------------------------------

  /** A captured event: sent now when connected, queued (bounded) otherwise. */
  emit(type, data, timestamp) {
    if (this.closed) return;
    const json = this.serialize(this.envelope(type, data, null, timestamp));
    if (json === null) return;
    if (this.isOpen() && this.flushAllowed) {
      this.sendJson(json);
    } else {
      this.enqueue(json);
    }
  }

  /** A reply to a server command (same id). Not queued: the server has given up if we are offline. */
  reply(id, type, data, { exactSize = false } = {}) {
    if (!this.isOpen()) return false;
    const json = this.serialize(this.envelope(type, data, id), exactSize);
    if (json === null) return false;
    this.sendJson(json, true);
    return true;
  }

  /** Largest serialized envelope the server accepts, with a margin. */
  messageBudget() {
    return Math.max(64 * 1024, this.maxMessageSize - SIZE_MARGIN);
  }

  serialize(env, exact = false) {
    let json = JSON.stringify(env);
    const budget = this.messageBudget();
    if (json.length * 3 <= budget || utf8Length(json) <= budget) return json;
    if (exact) {
      // Screenshots and the like: the caller already fitted them; never cut base64 in the middle.
      return JSON.stringify(this.envelope(env.type, {
        success: false,
        error: `reply of ${utf8Length(json)} bytes exceeds the server's message limit (${this.maxMessageSize} bytes)`,
      }, env.id));
    }
    for (const max of [16 * 1024, 2 * 1024, 256]) {
      const data = shrinkStrings(env.data, max);
      if (data && typeof data === 'object' && !Array.isArray(data)) data.truncatedForSize = true;
      json = JSON.stringify({ ...env, data });
      if (utf8Length(json) <= budget) return json;
    }
    this.dropped++;
    return null;
  }

  sendJson(json, force = false) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      this.enqueue(json);
      return;
    }
    if (!force && ws.bufferedAmount > BUFFERED_MAX) {
      this.dropped++;
      return;
    }
    try {
      ws.send(json);
      this.sent++;
    } catch (err) {
      this.enqueue(json);
    }
  }

  enqueue(json) {
    this.queue.push(json);
    this.queueBytes += json.length;
    while (this.queue.length > QUEUE_MAX || this.queueBytes > QUEUE_MAX_BYTES) {
      const old = this.queue.shift();
      this.queueBytes -= old.length;
      this.dropped++;
    }
  }

  flush() {
    this.flushAllowed = true;
    clearTimeout(this.ackTimer);
    while (this.queue.length && this.isOpen()) {
      const json = this.queue.shift();
      this.queueBytes -= json.length;
      this.sendJson(json);
    }
  }

  isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  // ---- connection lifecycle --------------------------------------------------------------------

  connect() {
    if (this.closed || this.ws) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
    const settings = this.ctx.getSettings();
    let url;
    let ws;
    try {
      url = socketUrl(settings);
      ws = new WebSocket(url, PROTOCOL);
    } catch (err) {
      this.state = 'refused';
      this.lastError = `invalid server URL: ${err.message}`;
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.state = 'connecting';
    this.flushAllowed = false;
    this.ctx.changed();
    let opened = false;
    let acked = false;

    ws.onopen = () => {
      if (this.ws !== ws) return;
      opened = true;
      this.state = 'handshaking';
      this.connectedAt = Date.now();
      this.sendJson(JSON.stringify(this.envelope('connection-init', {
        clientType: 'chrome-extension',
        version: this.ctx.version,
        capabilities: CAPABILITIES,
        userAgent: navigator.userAgent,
        tabId: String(this.tabId),
        windowId: this.windowId,
        url: this.url,
        title: this.title,
      })), true);
      // A server that never acks still gets our events, a little later.
      this.ackTimer = setTimeout(() => this.flush(), ACK_WAIT_MS);
      this.startHeartbeat();
      this.ctx.changed();
    };

    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.received++;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.warn('[triage] non-JSON message from server ignored');
        return;
      }
      if (msg && msg.type === 'connection-ack') {
        acked = true;
        this.onAck(msg.data || msg.payload || {});
        return;
      }
      if (msg && msg.type === 'error') {
        const d = msg.data || msg.payload || {};
        this.lastServerError = { code: d.code || 'ERROR', message: d.message || '', details: d.details ?? null, at: Date.now() };
        console.warn(`[triage] server error on tab ${this.tabId}: ${d.code} ${d.message}`);
        this.ctx.changed();
        return;
      }
      this.ctx.onServerMessage(this, msg);
    };

    ws.onerror = () => {
      /* onclose follows with the details we can get */
    };

    ws.onclose = async (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.sessionId = null;
      this.flushAllowed = false;
      this.stopHeartbeat();
      clearTimeout(this.ackTimer);
      if (this.closed) {
        this.state = 'stopped';
        this.ctx.changed();
        return;
      }
      let why;
      if (opened) {
        why = `closed by server: code ${ev.code}${ev.reason ? ` "${ev.reason}"` : ''}`;
        if (this.lastServerError && Date.now() - this.lastServerError.at < 5000) {
          why += ` after error ${this.lastServerError.code}: ${this.lastServerError.message}`;
        }
      } else {
        this.state = 'refused';
        this.lastError = 'handshake failed; checking why…';
        this.ctx.changed();
        why = await probeRefusal(url);
      }
      if (this.closed || this.ws) return;
      this.lastError = why;
      this.state = acked ? 'retrying' : 'refused';
      console.warn(`[triage] tab ${this.tabId}: ${why}`);
      this.scheduleRetry();
    };
  }

  onAck(data) {
    this.sessionId = data.sessionId || null;
    this.serverId = data.serverId || null;
    if (Number(data.maxMessageSize) > 0) this.maxMessageSize = Number(data.maxMessageSize);
    const hb = Number(data.heartbeatInterval);
    // Every 25 s, or faster when the server announces a shorter interval (never below 5 s).
    this.heartbeatMs = hb > 0 ? Math.max(5000, Math.min(HEARTBEAT_MS, hb)) : HEARTBEAT_MS;
    this.startHeartbeat();
    if (data.reloadOnAttach && this.ctx.reloadOnAttach) this.ctx.reloadOnAttach(this);
    this.state = 'connected';
    this.attempt = 0;
    this.lastError = null;
    this.flush();
    this.ctx.changed();
  }

  scheduleRetry() {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    const base = Math.min(BACKOFF_CAP_MS, BACKOFF_START_MS * 2 ** this.attempt);
    const delay = Math.min(BACKOFF_CAP_MS, Math.round(base * (0.8 + Math.random() * 0.4)));
    this.attempt = Math.min(this.attempt + 1, 10);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.ctx.changed();
  }

  /** Called by the alarm backstop: timers die with a suspended service worker. */
  ensureConnecting() {
    if (this.closed || this.ws) return;
    if (this.retryAt && Date.now() < this.retryAt && this.retryTimer) return;
    this.connect();
  }

  reconnectNow() {
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    if (ws) {
      try {
        ws.close(1000, 'reconnecting');
      } catch {
        /* ignore */
      }
    }
    this.connect();
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      if (!this.isOpen()) return;
      this.sendJson(JSON.stringify(this.envelope('heartbeat', {
        status: 'alive',
        uptime: Date.now() - this.attachedAt,
        queued: this.queue.length,
        dropped: this.dropped,
      })), true);
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Detached: close for good. */
  stop(reason = 'detached') {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.ackTimer);
    this.stopHeartbeat();
    for (const w of this.navWaiters) w({ loaded: false, reason: 'detached' });
    this.navWaiters.clear();
    const ws = this.ws;
    this.ws = null;
    this.state = 'stopped';
    if (ws) {
      try {
        ws.close(1000, reason.slice(0, 100));
      } catch {
        /* ignore */
      }
    }
    this.ctx.changed();
  }

  describe() {
    return {
      tabId: this.tabId,
      url: this.url,
      title: this.title,
      state: this.state,
      sessionId: this.sessionId,
      retryAt: this.retryAt,
      attempt: this.attempt,
      lastError: this.lastError,
      lastServerError: this.lastServerError,
      connectedAt: this.connectedAt,
      attachedAt: this.attachedAt,
      sent: this.sent,
      queued: this.queue.length,
      dropped: this.dropped,
    };
  }
}

/**
 * The WebSocket API hides why a handshake failed (always close 1006). Ask the same URL over plain
 * HTTP: an auth or origin refusal shows as 401/403 with a body; no answer means nothing listens.
 */
async function probeRefusal(wsUrl) {
  const httpUrl = wsUrl.replace(/^ws/i, 'http');
  const shown = new URL(httpUrl);
  shown.searchParams.delete('token');
  const where = `${shown.host}${shown.pathname}`;
  try {
    const res = await fetch(httpUrl, { cache: 'no-store', signal: AbortSignal.timeout(3000) });
    let body = '';
    try {
      body = (await res.text()).replace(/\s+/g, ' ').trim().slice(0, 160);
    } catch {
      /* ignore */
    }
    if ([400, 405, 426].includes(res.status) && /upgrade|websocket/i.test(body)) {
      return `${where} answers HTTP but refused the WebSocket handshake (subprotocol, origin or token?)`;
    }
    return `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${where}${body ? `: ${body}` : ''}`;
  } catch (err) {
    try {
      await fetch(httpUrl, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(3000) });
      return `${where} is reachable but refused the WebSocket handshake`;
    } catch {
      return `cannot reach ${shown.host} (connection refused or timed out) — is triage-tui running?`;
    }
  }
}
