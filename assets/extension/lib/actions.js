// Commands from the server, run against one tab: screenshot-request, clear-logs, browser-action.
// Each returns the `data` of the reply; the service worker wraps it with the command's id.

import * as cdp from './cdp.js';
import { resolveNavWaiters } from './capture.js';
import { base64ByteLength, base64ToBytes, truncate } from './util.js';

const NAV_WAIT_MS = 10000;
const MAX_RESULT_CHARS = 512 * 1024;
const MAX_FULL_PAGE_HEIGHT = 16384;

// ---- screenshot ---------------------------------------------------------------------------------

export async function screenshot(session, opts = {}) {
  const started = Date.now();
  try {
    const shot = await captureFitting(session, opts);
    return { success: true, ...shot, duration: Date.now() - started };
  } catch (err) {
    return { success: false, error: err.message, duration: Date.now() - started };
  }
}

async function captureFitting(session, opts) {
  const { tabId } = session;
  // Chrome does not paint background tabs: a capture there never completes. Bring it forward
  // (only possible in "all"/"manual" modes; in "active" mode attached tabs are the active ones).
  let activated = false;
  const tab = await chrome.tabs.get(tabId).catch(() => null);
  if (tab && !tab.active && opts.activate !== false) {
    await cdp.send(tabId, 'Page.bringToFront');
    activated = true;
  }
  // Answer before the server's command timeout (30 s by default) gives up on us.
  const deadline = Date.now() + 25000;
  let format = String(opts.format || 'png').toLowerCase();
  if (format === 'jpg') format = 'jpeg';
  if (!['png', 'jpeg', 'webp'].includes(format)) throw new Error(`unsupported format "${opts.format}" (png, jpeg, webp)`);
  let quality = opts.quality === undefined || opts.quality === null ? 90 : Number(opts.quality);
  if (!Number.isFinite(quality)) quality = 90;
  quality = Math.max(1, Math.min(100, Math.round(quality)));

  let clip = null;
  let captureBeyondViewport = false;
  if (opts.selector) {
    const rect = await evalInPage(tabId, PAGE_FNS.rectOf, [opts.selector]);
    if (!rect) throw new Error(`no element matches selector ${JSON.stringify(opts.selector)}`);
    if (rect.width < 1 || rect.height < 1) throw new Error(`element ${JSON.stringify(opts.selector)} has no visible size`);
    clip = { ...rect, scale: 1 };
    captureBeyondViewport = true;
  } else if (opts.fullPage) {
    const m = await cdp.send(tabId, 'Page.getLayoutMetrics');
    const size = m.cssContentSize || m.contentSize;
    clip = {
      x: 0,
      y: 0,
      width: Math.ceil(size.width),
      height: Math.min(Math.ceil(size.height), MAX_FULL_PAGE_HEIGHT),
      scale: 1,
    };
    captureBeyondViewport = true;
  }

  // Fit under the server's message limit: PNG first as asked, then JPEG at falling quality, then downscale.
  const budget = session.messageBudget() - 4096;
  const attempts = [{ format, quality, scale: 1 }];
  for (const q of [85, 70, 50, 35]) attempts.push({ format: 'jpeg', quality: Math.min(q, quality), scale: 1 });
  for (const s of [0.5, 0.25]) attempts.push({ format: 'jpeg', quality: 60, scale: s });
  let last = null;
  for (const a of attempts) {
    const params = { format: a.format, captureBeyondViewport, fromSurface: true };
    if (a.format !== 'png') params.quality = a.quality;
    if (clip || a.scale !== 1) {
      params.clip = clip ? { ...clip, scale: a.scale } : await viewportClip(tabId, a.scale);
    }
    const left = deadline - Date.now();
    if (left < 1000) throw new Error(`screenshot took longer than 25 s${last ? ` (last attempt ${last.bytes} bytes, over the ${session.maxMessageSize}-byte limit)` : ''}`);
    const r = await cdp.send(tabId, 'Page.captureScreenshot', params, Math.min(15000, left)).catch((err) => {
      if (/did not answer/.test(err.message)) {
        throw new Error(`Chrome produced no frame within ${Math.round(Math.min(15000, left) / 1000)} s (is the tab visible? ${err.message})`);
      }
      throw err;
    });
    const dataUrl = `data:image/${a.format};base64,${r.data}`;
    last = { dataUrl, a, bytes: base64ByteLength(r.data), b64: r.data };
    if (dataUrl.length <= budget) break;
    last.tooBig = true;
  }
  if (last.tooBig) {
    throw new Error(`screenshot is ${last.bytes} bytes even as JPEG at 25 % scale; the server accepts messages up to ${session.maxMessageSize} bytes (raise its limit or use a selector)`);
  }
  const dims = imageSize(last.b64, last.a.format);
  const result = {
    base64: last.dataUrl,
    format: last.a.format,
    size: last.bytes,
    dimensions: dims,
    fullPage: !!opts.fullPage,
  };
  if (opts.selector) result.selector = opts.selector;
  if (activated) result.activated = true;
  if (last.a.format !== format || last.a.scale !== 1) {
    result.fallback = `requested ${format}; sent ${last.a.format}${last.a.format !== 'png' ? ` q${last.a.quality}` : ''}${last.a.scale !== 1 ? ` at ${last.a.scale * 100} % scale` : ''} to stay under the ${session.maxMessageSize}-byte message limit`;
  }
  if (opts.fullPage && clip && clip.height === MAX_FULL_PAGE_HEIGHT) result.clippedHeight = MAX_FULL_PAGE_HEIGHT;
  return result;
}

async function viewportClip(tabId, scale) {
  const m = await cdp.send(tabId, 'Page.getLayoutMetrics');
  const v = m.cssVisualViewport || m.visualViewport;
  return { x: v.pageX, y: v.pageY, width: v.clientWidth, height: v.clientHeight, scale };
}

/** Pixel size from the PNG IHDR or the JPEG SOF marker (no decoding). */
function imageSize(b64, format) {
  const bytes = base64ToBytes(b64.slice(0, format === 'png' ? 64 : b64.length));
  if (format === 'png' && bytes.length >= 24) {
    const dv = new DataView(bytes.buffer);
    return { width: dv.getUint32(16), height: dv.getUint32(20) };
  }
  if (format === 'jpeg') {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) {
        i++;
        continue;
      }
      const marker = bytes[i + 1];
      const len = (bytes[i + 2] << 8) | bytes[i + 3];
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { height: (bytes[i + 5] << 8) | bytes[i + 6], width: (bytes[i + 7] << 8) | bytes[i + 8] };
      }
      i += 2 + len;
    }
  }
  return { width: null, height: null };
}

// ---- clear-logs ---------------------------------------------------------------------------------

export async function clearLogs(session) {
  const started = Date.now();
  const droppedQueued = session.queue.length;
  session.queue = [];
  session.queueBytes = 0;
  session.requests.clear();
  session.pendingExtra.clear();
  const errors = [];
  for (const method of ['Runtime.discardConsoleEntries', 'Log.clear']) {
    try {
      await cdp.send(session.tabId, method);
    } catch (err) {
      errors.push(err.message);
    }
  }
  return {
    success: errors.length === 0,
    data: { cleared: true, droppedQueued },
    error: errors.length ? errors.join('; ') : null,
    duration: Date.now() - started,
  };
}

// ---- browser actions ----------------------------------------------------------------------------

export const ACTIONS = {
  navigate: async (s, p) => {
    const url = normalizeNavigationUrl(p.url);
    const wait = waitForNavigation(s);
    const r = await cdp.send(s.tabId, 'Page.navigate', { url });
    if (r.errorText) {
      wait.cancel();
      throw new Error(`navigation to ${url} failed: ${r.errorText}`);
    }
    const loaded = r.loaderId ? await wait.promise : (wait.cancel(), { loaded: true, sameDocument: true });
    if (loaded.error) throw new Error(`navigation to ${url} failed: ${loaded.error}`);
    return { url, frameId: r.frameId, loaderId: r.loaderId || null, ...loaded };
  },
  go_back: (s) => historyStep(s, -1),
  go_forward: (s) => historyStep(s, +1),
  reload: async (s, p) => {
    const wait = waitForNavigation(s);
    await cdp.send(s.tabId, 'Page.reload', { ignoreCache: !!p.ignoreCache });
    return { url: s.url, ...(await wait.promise) };
  },
  stop: async (s) => {
    await cdp.send(s.tabId, 'Page.stopLoading');
    resolveNavWaiters(s, { loaded: false, stopped: true });
    return { stopped: true };
  },
  get_url: async (s) => (await evalInPage(s.tabId, PAGE_FNS.href, [])) || s.url,
  get_title: async (s) => evalInPage(s.tabId, PAGE_FNS.title, []),
  get_browser_state: async (s) => {
    const [page, history, tab, zoom] = await Promise.all([
      evalInPage(s.tabId, PAGE_FNS.state, []),
      cdp.send(s.tabId, 'Page.getNavigationHistory').catch(() => null),
      chrome.tabs.get(s.tabId).catch(() => null),
      chrome.tabs.getZoom(s.tabId).catch(() => null),
    ]);
    return {
      ...page,
      tabId: s.tabId,
      windowId: tab ? tab.windowId : null,
      active: tab ? tab.active : null,
      loading: tab ? tab.status === 'loading' : null,
      canGoBack: history ? history.currentIndex > 0 : null,
      canGoForward: history ? history.currentIndex < history.entries.length - 1 : null,
      zoom,
      sessionId: s.sessionId,
    };
  },
  execute_js: async (s, p) => {
    const script = p.script ?? p.code ?? p.expression;
    if (typeof script !== 'string' || !script.trim()) throw new Error('execute_js needs params.script (a JavaScript expression or statements)');
    return evaluateScript(s.tabId, script, Number(p.timeout) > 0 ? Number(p.timeout) : 20000);
  },
  click: async (s, p) => {
    const info = await evalInPage(s.tabId, PAGE_FNS.clickTarget, [requireSelector(p, 'click')]);
    if (!info) throw new Error(`no element matches selector ${JSON.stringify(p.selector)}`);
    if (info.visible) {
      const base = { x: info.x, y: info.y, button: 'left', clickCount: 1 };
      await cdp.send(s.tabId, 'Input.dispatchMouseEvent', { ...base, type: 'mouseMoved', button: 'none', clickCount: 0 });
      await cdp.send(s.tabId, 'Input.dispatchMouseEvent', { ...base, type: 'mousePressed', buttons: 1 });
      await cdp.send(s.tabId, 'Input.dispatchMouseEvent', { ...base, type: 'mouseReleased', buttons: 0 });
    } else {
      await evalInPage(s.tabId, PAGE_FNS.domClick, [p.selector]);
    }
    return { clicked: info.description, x: Math.round(info.x), y: Math.round(info.y), via: info.visible ? 'mouse' : 'element.click()', covered: info.covered || undefined };
  },
  type_text: async (s, p) => {
    const text = String(p.text ?? '');
    const focused = await evalInPage(s.tabId, PAGE_FNS.focus, [p.selector || null, !!p.clear]);
    if (!focused) throw new Error(`no element matches selector ${JSON.stringify(p.selector)}`);
    const parts = text.split(/(\n)/);
    for (const part of parts) {
      if (part === '\n') {
        const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
        await cdp.send(s.tabId, 'Input.dispatchKeyEvent', { type: 'keyDown', text: '\r', unmodifiedText: '\r', ...key });
        await cdp.send(s.tabId, 'Input.dispatchKeyEvent', { type: 'keyUp', ...key });
      } else if (part) {
        await cdp.send(s.tabId, 'Input.insertText', { text: part });
      }
    }
    return { typed: text.length, into: focused };
  },
  set_value: async (s, p) => {
    const r = await evalInPage(s.tabId, PAGE_FNS.setValue, [requireSelector(p, 'set_value'), p.value ?? '']);
    if (!r) throw new Error(`no element matches selector ${JSON.stringify(p.selector)}`);
    return r;
  },
  clear_input: async (s, p) => {
    const r = await evalInPage(s.tabId, PAGE_FNS.setValue, [requireSelector(p, 'clear_input'), '']);
    if (!r) throw new Error(`no element matches selector ${JSON.stringify(p.selector)}`);
    return r;
  },
  submit_form: async (s, p) => {
    const r = await evalInPage(s.tabId, PAGE_FNS.submit, [requireSelector(p, 'submit_form')]);
    if (r && r.error) throw new Error(r.error);
    return r;
  },
  scroll_to: async (s, p) => {
    const r = await evalInPage(s.tabId, PAGE_FNS.scrollTo, [p.selector || null, Number(p.x) || 0, Number(p.y) || 0]);
    if (!r) throw new Error(`no element matches selector ${JSON.stringify(p.selector)}`);
    return r;
  },
  scroll_by: async (s, p) => evalInPage(s.tabId, PAGE_FNS.scrollBy, [p.selector || null, Number(p.x) || 0, Number(p.y) || 0]),
  set_viewport: async (s, p) => {
    const width = Math.round(Number(p.width) || 0);
    const height = Math.round(Number(p.height) || 0);
    if (p.reset || (width === 0 && height === 0)) {
      await cdp.send(s.tabId, 'Emulation.clearDeviceMetricsOverride');
    } else {
      if (width < 1 || height < 1 || width > 10000 || height > 10000) throw new Error('set_viewport needs width and height between 1 and 10000 (both 0 to reset)');
      await cdp.send(s.tabId, 'Emulation.setDeviceMetricsOverride', {
        width,
        height,
        deviceScaleFactor: Number(p.deviceScaleFactor) || 0,
        mobile: !!p.mobile,
      });
    }
    return evalInPage(s.tabId, PAGE_FNS.viewport, []);
  },
  set_user_agent: async (s, p) => {
    const userAgent = String(p.userAgent ?? p.user_agent ?? '');
    await cdp.send(s.tabId, 'Emulation.setUserAgentOverride', { userAgent });
    return { userAgent: userAgent || navigator.userAgent, reset: !userAgent };
  },
  set_zoom: async (s, p) => {
    let zoom = Number(p.zoom ?? p.factor ?? p.level);
    if (!Number.isFinite(zoom) || zoom <= 0) throw new Error('set_zoom needs params.zoom (a factor like 1.25, or a percentage like 125)');
    if (zoom > 10) zoom /= 100;
    if (zoom < 0.25 || zoom > 5) throw new Error(`zoom ${zoom} is outside Chrome's range 0.25–5`);
    await chrome.tabs.setZoom(s.tabId, zoom);
    return { zoom: await chrome.tabs.getZoom(s.tabId) };
  },
  set_cookie: async (s, p) => {
    if (!p.name) throw new Error('set_cookie needs params.name');
    const cookie = { name: String(p.name), value: String(p.value ?? '') };
    for (const k of ['url', 'domain', 'path', 'secure', 'httpOnly', 'sameSite', 'expires']) {
      if (p[k] !== undefined && p[k] !== null) cookie[k] = p[k];
    }
    if (!cookie.url && !cookie.domain) cookie.url = httpUrlOf(s);
    const r = await cdp.send(s.tabId, 'Network.setCookie', cookie);
    if (r && r.success === false) throw new Error('Chrome rejected the cookie (check domain, path, secure and sameSite)');
    return cookie;
  },
  get_cookie: async (s, p) => {
    const url = p.url || httpUrlOf(s);
    const { cookies } = await cdp.send(s.tabId, 'Network.getCookies', { urls: [url] });
    if (p.name) return cookies.find((c) => c.name === p.name) || null;
    return cookies;
  },
  clear_cookies: async (s, p) => {
    if (p.all) {
      await cdp.send(s.tabId, 'Network.clearBrowserCookies');
      return { cleared: 'all' };
    }
    const url = p.url || httpUrlOf(s);
    const { cookies } = await cdp.send(s.tabId, 'Network.getCookies', { urls: [url] });
    for (const c of cookies) {
      await cdp.send(s.tabId, 'Network.deleteCookies', { name: c.name, domain: c.domain, path: c.path });
    }
    return { cleared: cookies.length, url };
  },
  take_screenshot: async (s, p) => {
    const r = await screenshot(s, p);
    if (!r.success) throw new Error(r.error);
    const { success, duration, ...rest } = r;
    return rest;
  },
};

export const ACTION_NAMES = Object.keys(ACTIONS);

/** Runs one browser-action; always resolves to {success, data, error, duration}. */
export async function browserAction(session, data = {}) {
  const started = Date.now();
  const action = data.action;
  const params = data.params && typeof data.params === 'object' ? data.params : {};
  const fn = Object.prototype.hasOwnProperty.call(ACTIONS, action) ? ACTIONS[action] : null;
  if (!fn) {
    return {
      success: false,
      data: null,
      error: `unknown action ${JSON.stringify(action)}; supported: ${ACTION_NAMES.join(', ')}`,
      duration: Date.now() - started,
      action,
    };
  }
  try {
    let result = await fn(session, params);
    if (result === undefined) result = null;
    return { success: true, data: capResult(result), error: null, duration: Date.now() - started, action };
  } catch (err) {
    return { success: false, data: null, error: err.message, duration: Date.now() - started, action };
  }
}

function capResult(value) {
  const json = JSON.stringify(value);
  if (json === undefined || json.length <= MAX_RESULT_CHARS) return value;
  return { truncated: true, length: json.length, preview: truncate(json, MAX_RESULT_CHARS) };
}

function requireSelector(p, action) {
  if (typeof p.selector !== 'string' || !p.selector.trim()) throw new Error(`${action} needs params.selector (CSS, or XPath starting with /)`);
  return p.selector;
}

function httpUrlOf(s) {
  if (!/^https?:/i.test(s.url)) throw new Error(`the page (${s.url || 'no URL'}) is not http(s); pass params.url`);
  return s.url;
}

/** "localhost:3000" → "http://localhost:3000"; "example.com" → "https://example.com"; refuses javascript:. */
export function normalizeNavigationUrl(raw) {
  if (typeof raw !== 'string' || !raw.trim()) throw new Error('navigate needs params.url');
  let url = raw.trim();
  if (/^javascript:/i.test(url)) throw new Error('javascript: URLs are not navigations; use execute_js');
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url) || /^(localhost|[\d.]+|\[[\da-f:]+\]):\d+/i.test(url)) {
    const local = /^(localhost|127\.|0\.0\.0\.0|\[::1\]|10\.|192\.168\.)/i.test(url);
    url = `${local ? 'http' : 'https'}://${url}`;
  }
  try {
    return new URL(url).toString();
  } catch {
    throw new Error(`"${raw}" is not a valid URL`);
  }
}

function waitForNavigation(session, ms = NAV_WAIT_MS) {
  let resolver;
  const promise = new Promise((resolve) => {
    resolver = resolve;
    session.navWaiters.add(resolve);
  });
  const timer = setTimeout(() => {
    session.navWaiters.delete(resolver);
    resolver({ loaded: false, note: `page did not fire load within ${ms} ms` });
  }, ms);
  return {
    promise: promise.finally(() => clearTimeout(timer)),
    cancel: () => {
      clearTimeout(timer);
      session.navWaiters.delete(resolver);
    },
  };
}

async function historyStep(session, delta) {
  const { currentIndex, entries } = await cdp.send(session.tabId, 'Page.getNavigationHistory');
  const target = entries[currentIndex + delta];
  if (!target) throw new Error(delta < 0 ? 'no previous page in this tab\'s history' : 'no next page in this tab\'s history');
  const wait = waitForNavigation(session);
  await cdp.send(session.tabId, 'Page.navigateToHistoryEntry', { entryId: target.id });
  return { url: target.url, title: target.title, ...(await wait.promise) };
}

/**
 * Runs user script like a console line (top-level await, let redeclaration) and returns its
 * value by value; a promise result is awaited, so `fetch(u).then(r => r.status)` gives the status.
 */
async function evaluateScript(tabId, script, timeoutMs) {
  const group = 'triage-execute-js';
  try {
    const r = await cdp.send(tabId, 'Runtime.evaluate', {
      expression: script,
      objectGroup: group,
      returnByValue: false,
      awaitPromise: true,
      userGesture: true,
      replMode: true,
      allowUnsafeEvalBlockedByCSP: true,
    }, timeoutMs);
    if (r.exceptionDetails) throw new Error(exceptionText(r.exceptionDetails));
    let result = r.result;
    if (result.subtype === 'promise') {
      const a = await cdp.send(tabId, 'Runtime.awaitPromise', { promiseObjectId: result.objectId, returnByValue: false }, timeoutMs);
      if (a.exceptionDetails) throw new Error(exceptionText(a.exceptionDetails));
      result = a.result;
    }
    if (!result.objectId) return remoteValue(result);
    if (['node', 'function', 'symbol', 'error', 'regexp', 'date'].includes(result.subtype || result.type)) {
      return result.description ?? null;
    }
    try {
      const v = await cdp.send(tabId, 'Runtime.callFunctionOn', {
        objectId: result.objectId,
        functionDeclaration: 'function () { return this; }',
        returnByValue: true,
        objectGroup: group,
      }, 5000);
      if (!v.exceptionDetails) return remoteValue(v.result);
    } catch {
      /* not serializable (cycles, host objects): describe it instead */
    }
    return result.description ?? null;
  } finally {
    cdp.send(tabId, 'Runtime.releaseObjectGroup', { objectGroup: group }, 5000).catch(() => {});
  }
}

function exceptionText(d) {
  const ex = d.exception;
  if (ex) {
    if (ex.description) return ex.description;
    if (ex.value !== undefined) return `Uncaught ${typeof ex.value === 'string' ? ex.value : JSON.stringify(ex.value)}`;
  }
  return d.text || 'script threw an exception';
}

function remoteValue(ro) {
  if (!ro) return null;
  if (ro.unserializableValue !== undefined) return ro.unserializableValue;
  if (ro.type === 'undefined') return null;
  if ('value' in ro) return ro.value;
  return ro.description ?? null;
}

/** Call a self-contained page function with JSON arguments in the tab's main world. */
export async function evalInPage(tabId, fn, args, timeoutMs = 15000) {
  const expression = `(${fn})(...${JSON.stringify(args)})`;
  const r = await cdp.send(tabId, 'Runtime.evaluate', {
    expression,
    returnByValue: true,
    awaitPromise: true,
    userGesture: true,
    allowUnsafeEvalBlockedByCSP: true,
  }, timeoutMs);
  if (r.exceptionDetails) throw new Error(exceptionText(r.exceptionDetails));
  return remoteValue(r.result);
}

// Functions below run in the page (serialized with toString): no closures over this module.
// `find` accepts a CSS selector, or an XPath when the selector starts with "/" or "(".
const FIND = `
  const find = (sel) => {
    if (!sel) return null;
    if (sel.startsWith('/') || sel.startsWith('(')) {
      return document.evaluate(sel, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
    }
    return document.querySelector(sel);
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
`;

const pageFn = (body) => `function (...args) { ${FIND} return (${body})(...args); }`;

export const PAGE_FNS = {
  href: pageFn('() => location.href'),
  title: pageFn('() => document.title'),
  state: pageFn(`() => ({
    url: location.href, title: document.title, readyState: document.readyState,
    viewport: { width: innerWidth, height: innerHeight, deviceScaleFactor: devicePixelRatio },
    scroll: { x: scrollX, y: scrollY },
    document: { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight },
    userAgent: navigator.userAgent, language: navigator.language, online: navigator.onLine,
    focused: document.hasFocus(), visibility: document.visibilityState,
  })`),
  // Emulation changes apply on the next frames; wait two (or 300 ms in a tab that does not paint).
  viewport: pageFn(`() => new Promise((resolve) => {
    const done = () => resolve({ width: innerWidth, height: innerHeight, deviceScaleFactor: devicePixelRatio });
    const timer = setTimeout(done, 300);
    requestAnimationFrame(() => requestAnimationFrame(() => { clearTimeout(timer); done(); }));
  })`),
  rectOf: pageFn(`(sel) => {
    const el = find(sel); if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
  }`),
  clickTarget: pageFn(`(sel) => {
    const el = find(sel); if (!el) return null;
    el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const visible = r.width > 0 && r.height > 0 && x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight;
    const hit = visible ? document.elementFromPoint(x, y) : null;
    const covered = visible && hit && hit !== el && !el.contains(hit) ? describe(hit) : null;
    return { x, y, visible, covered, description: describe(el) };
  }`),
  domClick: pageFn('(sel) => { const el = find(sel); if (el) el.click(); return !!el; }'),
  focus: pageFn(`(sel, clear) => {
    const el = sel ? find(sel) : document.activeElement;
    if (!el) return null;
    el.focus();
    if (clear && 'value' in el) {
      el.value = '';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
    if (typeof el.setSelectionRange === 'function' && typeof el.value === 'string') {
      try { el.setSelectionRange(el.value.length, el.value.length); } catch (e) { /* type=email etc. */ }
    }
    return describe(el);
  }`),
  setValue: pageFn(`(sel, value) => {
    const el = find(sel); if (!el) return null;
    const tag = el.tagName;
    if (tag === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
      el.checked = !(value === false || value === 'false' || value === '' || value === 0 || value === '0');
    } else if (el.isContentEditable) {
      el.textContent = String(value);
    } else if ('value' in el) {
      const proto = tag === 'TEXTAREA' ? HTMLTextAreaElement.prototype
        : tag === 'SELECT' ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
      const desc = Object.getOwnPropertyDescriptor(proto, 'value');
      if (desc && desc.set && el instanceof (tag === 'TEXTAREA' ? HTMLTextAreaElement : tag === 'SELECT' ? HTMLSelectElement : HTMLInputElement)) {
        desc.set.call(el, String(value));
      } else {
        el.value = String(value);
      }
    } else {
      throw new Error(describe(el) + ' has no value to set');
    }
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    return { element: describe(el), value: 'checked' in el && (el.type === 'checkbox' || el.type === 'radio') ? el.checked : (el.value ?? el.textContent) };
  }`),
  submit: pageFn(`(sel) => {
    const el = find(sel);
    if (!el) return { error: 'no element matches selector ' + JSON.stringify(sel) };
    const form = el.tagName === 'FORM' ? el : (el.form || el.closest('form'));
    if (!form) return { error: describe(el) + ' is not a form and is not inside one' };
    const submitter = el !== form && el.type === 'submit' ? el : undefined;
    if (typeof form.requestSubmit === 'function') form.requestSubmit(submitter); else form.submit();
    return { form: describe(form), action: form.action, method: form.method };
  }`),
  scrollTo: pageFn(`(sel, x, y) => {
    if (sel) {
      const el = find(sel); if (!el) return null;
      el.scrollIntoView({ block: 'start', behavior: 'instant' });
    } else {
      window.scrollTo({ left: x, top: y, behavior: 'instant' });
    }
    return { x: scrollX, y: scrollY };
  }`),
  scrollBy: pageFn(`(sel, x, y) => {
    const target = sel ? find(sel) : window;
    if (!target) throw new Error('no element matches selector ' + JSON.stringify(sel));
    target.scrollBy({ left: x, top: y, behavior: 'instant' });
    return sel ? { x: target.scrollLeft, y: target.scrollTop } : { x: scrollX, y: scrollY };
  }`),
};

