// triage-tui connector — service worker.
// Decides which tabs are attached (mode active / all / manual), attaches chrome.debugger to them,
// gives each its own TabSession (one WebSocket), routes CDP events to capture.js and server commands
// to actions.js, and answers the popup. Listeners are registered synchronously (MV3 requirement);
// work waits for `ready`, the restore of settings after a service-worker restart.

import * as cdp from './lib/cdp.js';
import { clearLogs, browserAction, screenshot, normalizeNavigationUrl } from './lib/actions.js';
import { enableDomains, handleEvent, noteAttach } from './lib/capture.js';
import { handleBinding, startPicker, stopPicker } from './lib/picker.js';
import { TabSession } from './lib/session.js';
import { DEFAULTS, MODES, loadSettings, sanitize } from './lib/settings.js';
import { isAttachableUrl } from './lib/util.js';

const VERSION = chrome.runtime.getManifest().version;
const ALARM = 'triage-keepalive';

let settings = sanitize({});
/** tabId → TabSession, for every attached tab. */
const sessions = new Map();
/** tabId → Promise, attaches in flight. */
const attaching = new Map();
/** tabId → {error, at}: why a tab we wanted could not be attached. */
const attachErrors = new Map();
/** Tabs the user detached: automatic modes leave them alone until the mode changes. */
let excluded = new Set();
/** Tabs the user attached by hand: kept attached in every mode. */
let manualTabs = new Set();
let lastSelection = null;

const ctx = {
  getSettings: () => settings,
  version: VERSION,
  onServerMessage: (session, msg) => {
    handleServerMessage(session, msg).catch((err) => console.error('[triage] command failed:', err));
  },
  onBinding: (session, p) => {
    if (handleBinding(session, p) && session.lastSelection) lastSelection = { tabId: session.tabId, ...session.lastSelection };
  },
  changed: () => scheduleBadges(),
  // The server's reload_on_attach: a tab that had loaded before we attached is reloaded once.
  reloadOnAttach: (session) => {
    if (!session.alreadyLoaded || reloadedTabs.has(session.tabId)) return;
    reloadedTabs.add(session.tabId);
    cdp.send(session.tabId, 'Page.reload', {}).catch((err) => console.warn(`[triage] reload on attach: ${err.message}`));
  },
};
/** Tabs reload_on_attach reloaded already (once per tab). */
const reloadedTabs = new Set();

const ready = init();

// For debugging from the service worker's DevTools console (chrome://extensions → "service worker").
globalThis.triage = { sessions, attachErrors, get settings() { return settings; }, applyMode };

async function init() {
  try {
    settings = await loadSettings();
  } catch (err) {
    console.warn('[triage] stored settings invalid, using defaults:', err.message);
    settings = sanitize({});
  }
  try {
    const stored = await chrome.storage.session.get(['excluded', 'manualTabs']);
    excluded = new Set(stored.excluded || []);
    manualTabs = new Set(stored.manualTabs || []);
  } catch {
    /* storage.session unavailable */
  }
  await chrome.alarms.create(ALARM, { periodInMinutes: 0.5 });
  await applyMode();
}

function persistTabSets() {
  chrome.storage.session.set({ excluded: [...excluded], manualTabs: [...manualTabs] }).catch(() => {});
}

// ---- which tabs are attached --------------------------------------------------------------------

let modeChain = Promise.resolve();

/** Serialised: attach what the mode wants, detach the rest. */
function applyMode() {
  modeChain = modeChain.then(applyModeNow).catch((err) => console.error('[triage] applyMode:', err));
  return modeChain;
}

async function applyModeNow() {
  const tabs = await chrome.tabs.query({});
  const want = new Set();
  for (const t of tabs) {
    const url = t.url || t.pendingUrl || '';
    if (!isAttachableUrl(url)) continue;
    if (manualTabs.has(t.id)) want.add(t.id);
    if (excluded.has(t.id)) continue;
    if (settings.mode === 'all' || (settings.mode === 'active' && t.active)) want.add(t.id);
  }
  for (const tabId of [...sessions.keys()]) {
    if (!want.has(tabId)) await detachTab(tabId, `not wanted in mode ${settings.mode}`);
  }
  await Promise.all([...want].filter((id) => !sessions.has(id)).map((id) => attachTab(id).catch((err) => {
    attachErrors.set(id, { error: err.message, at: Date.now() });
    console.warn(`[triage] tab ${id}: ${err.message}`);
  })));
}

async function attachTab(tabId) {
  if (sessions.has(tabId)) return sessions.get(tabId);
  if (attaching.has(tabId)) return attaching.get(tabId);
  const job = (async () => {
    const tab = await chrome.tabs.get(tabId);
    const url = tab.url || tab.pendingUrl || '';
    if (!isAttachableUrl(url)) throw new Error(`cannot debug ${url.split('?')[0]} (browser or extension page)`);
    const session = new TabSession(tabId, ctx);
    session.url = url;
    session.title = tab.title || '';
    session.windowId = tab.windowId;
    sessions.set(tabId, session); // before attaching: events replayed by Runtime.enable must find it
    try {
      await cdp.attach(tabId);
      await enableDomains(session);
      await noteAttach(session);
    } catch (err) {
      sessions.delete(tabId);
      session.stop('attach failed');
      await cdp.detach(tabId);
      throw err;
    }
    attachErrors.delete(tabId);
    session.connect();
    console.info(`[triage] attached tab ${tabId} ${session.url}`);
    return session;
  })();
  attaching.set(tabId, job);
  try {
    return await job;
  } finally {
    attaching.delete(tabId);
    scheduleBadges();
  }
}

async function detachTab(tabId, reason) {
  const session = sessions.get(tabId);
  if (!session) return;
  sessions.delete(tabId);
  await stopPicker(session).catch(() => {});
  session.stop(reason);
  await cdp.detach(tabId);
  chrome.action.setBadgeText({ tabId, text: '' }).catch(() => {});
  console.info(`[triage] detached tab ${tabId}: ${reason}`);
}

// ---- server commands ----------------------------------------------------------------------------

async function handleServerMessage(session, msg) {
  if (!msg || typeof msg !== 'object') return;
  const data = msg.data ?? msg.payload ?? {};
  const id = msg.id;
  switch (msg.type) {
    case 'screenshot-request': {
      const result = await screenshot(session, data);
      session.reply(id, 'screenshot-response', result, { exactSize: true });
      break;
    }
    case 'clear-logs': {
      session.reply(id, 'command-result', await clearLogs(session));
      break;
    }
    case 'browser-action': {
      let result;
      if (data.action === 'pick_element') {
        const started = Date.now();
        try {
          result = { success: true, data: await startPicker(session), error: null };
        } catch (err) {
          result = { success: false, data: null, error: err.message };
        }
        result.duration = Date.now() - started;
        result.action = data.action;
      } else if (data.action === 'create_browser' || data.action === 'close_browser') {
        result = await tabAction(session, data);
      } else {
        result = await browserAction(session, data);
      }
      session.reply(id, 'command-result', result);
      break;
    }
    case 'heartbeat':
    case 'heartbeat-response':
      session.lastServerHeartbeat = Date.now();
      break;
    case 'connection-close':
      session.lastError = `server is closing: ${data.reason || ''} ${data.message || ''}`.trim();
      scheduleBadges();
      break;
    default:
      console.debug(`[triage] ignoring server message type ${msg.type}`);
  }
}

// ---- tabs opened and closed by the server (seed 002's create_browser / close_browser) ----------

/** create_browser: a new tab, kept attached like one attached by hand (its session connects on its
 *  own; the reply carries its tabId). close_browser: this tab, once the reply has gone. */
async function tabAction(session, data) {
  const started = Date.now();
  const p = data.params && typeof data.params === 'object' ? data.params : {};
  const done = (success, value, error) => ({ success, data: value, error, duration: Date.now() - started, action: data.action });
  try {
    if (data.action === 'close_browser') {
      setTimeout(() => chrome.tabs.remove(session.tabId).catch(() => {}), 100);
      return done(true, { closing: true, tabId: String(session.tabId) }, null);
    }
    const url = typeof p.url === 'string' && p.url.trim() ? normalizeNavigationUrl(p.url) : 'about:blank';
    const opts = { url, active: p.active === true };
    if (p.windowId != null && Number.isInteger(Number(p.windowId))) opts.windowId = Number(p.windowId);
    const tab = await chrome.tabs.create(opts);
    excluded.delete(tab.id);
    manualTabs.add(tab.id);
    persistTabSets();
    attachTab(tab.id).catch((err) => attachErrors.set(tab.id, { error: err.message, at: Date.now() }));
    return done(true, { tabId: String(tab.id), windowId: tab.windowId, url }, null);
  } catch (err) {
    return done(false, null, err.message);
  }
}

// ---- badge --------------------------------------------------------------------------------------

let badgeTimer = null;

function scheduleBadges() {
  if (badgeTimer) return;
  badgeTimer = setTimeout(() => {
    badgeTimer = null;
    for (const s of sessions.values()) {
      const [text, color] = s.state === 'connected' ? ['on', '#1a7f37']
        : s.state === 'refused' ? ['!', '#cf222e']
          : ['…', '#9a6700'];
      chrome.action.setBadgeText({ tabId: s.tabId, text }).catch(() => {});
      chrome.action.setBadgeBackgroundColor({ tabId: s.tabId, color }).catch(() => {});
    }
  }, 200);
}

// ---- listeners (registered synchronously) -------------------------------------------------------

chrome.debugger.onEvent.addListener((source, method, params) => {
  if (source.sessionId) return; // child targets are not auto-attached; ignore anything else
  const session = sessions.get(source.tabId);
  if (session && !session.closed) handleEvent(session, method, params || {});
});

chrome.debugger.onDetach.addListener((source, reason) => {
  const tabId = source.tabId;
  const session = sessions.get(tabId);
  if (!session) return;
  sessions.delete(tabId);
  session.stop(`debugger detached (${reason})`);
  if (reason === 'canceled_by_user') {
    // The user dismissed Chrome's "started debugging this browser" bar: respect it.
    excluded.add(tabId);
    manualTabs.delete(tabId);
    persistTabSets();
  }
  attachErrors.set(tabId, { error: `debugger detached: ${reason}`, at: Date.now() });
  scheduleBadges();
});

chrome.tabs.onActivated.addListener(() => {
  ready.then(() => {
    if (settings.mode === 'active') applyMode();
  });
});

chrome.tabs.onCreated.addListener(() => {
  ready.then(() => {
    if (settings.mode === 'all') applyMode();
  });
});

chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  ready.then(() => {
    const session = sessions.get(tabId);
    if (session) {
      if (change.url) session.url = change.url;
      if (change.title !== undefined && change.title !== session.title) {
        session.title = change.title;
        session.emit('browser-event', {
          event: 'title_changed', title: change.title, url: tab.url || session.url, timestamp: Date.now(),
        });
      }
      scheduleBadges();
      return;
    }
    // A tab we want may just have left a page we cannot debug (chrome://, extension pages).
    if (change.url || change.status === 'loading') applyMode();
  });
});

chrome.tabs.onRemoved.addListener((tabId) => {
  ready.then(async () => {
    await detachTab(tabId, 'tab closed');
    excluded.delete(tabId);
    manualTabs.delete(tabId);
    attachErrors.delete(tabId);
    persistTabSets();
    if (settings.mode === 'active') applyMode();
  });
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name !== ALARM) return;
  ready.then(async () => {
    await applyMode();
    for (const s of sessions.values()) s.ensureConnecting();
  });
});

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== 'local') return;
  const keys = Object.keys(changes).filter((k) => k in DEFAULTS);
  if (!keys.length) return;
  ready.then(async () => {
    const before = settings;
    try {
      settings = await loadSettings();
    } catch (err) {
      console.warn('[triage] invalid settings ignored:', err.message);
      return;
    }
    if (before.serverUrl !== settings.serverUrl || before.token !== settings.token) {
      for (const s of sessions.values()) {
        s.lastError = null;
        s.reconnectNow();
      }
    }
    if (before.mode !== settings.mode) {
      // A mode change starts afresh; switching to manual keeps what is attached now
      // ("stop following, keep these").
      excluded.clear();
      manualTabs = settings.mode === 'manual' ? new Set(sessions.keys()) : new Set();
      persistTabSets();
      await applyMode();
    }
  });
});

chrome.commands.onCommand.addListener((command, tab) => {
  if (command !== 'pick-element') return;
  ready.then(async () => {
    const target = tab || (await chrome.tabs.query({ active: true, currentWindow: true }))[0];
    if (target) await pickOn(target.id).catch((err) => console.warn('[triage] picker:', err.message));
  });
});

async function pickOn(tabId) {
  let session = sessions.get(tabId);
  if (!session) {
    excluded.delete(tabId);
    manualTabs.add(tabId);
    persistTabSets();
    session = await attachTab(tabId);
  }
  return startPicker(session);
}

// ---- popup / options API ------------------------------------------------------------------------

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id) return false;
  ready
    .then(() => handlePopup(msg || {}))
    .then((result) => sendResponse({ ok: true, ...result }))
    .catch((err) => sendResponse({ ok: false, error: err.message }));
  return true;
});

async function handlePopup(msg) {
  switch (msg.cmd) {
    case 'state':
      return { state: await snapshot() };
    case 'set-mode':
      if (!MODES.includes(msg.mode)) throw new Error(`unknown mode ${msg.mode}`);
      await chrome.storage.local.set({ mode: msg.mode });
      return {};
    case 'attach':
      excluded.delete(msg.tabId);
      manualTabs.add(msg.tabId);
      persistTabSets();
      try {
        await attachTab(msg.tabId);
      } catch (err) {
        attachErrors.set(msg.tabId, { error: err.message, at: Date.now() });
        throw err;
      }
      return {};
    case 'detach':
      excluded.add(msg.tabId);
      manualTabs.delete(msg.tabId);
      persistTabSets();
      await detachTab(msg.tabId, 'detached from the popup');
      return {};
    case 'detach-all':
      for (const tabId of [...sessions.keys()]) {
        excluded.add(tabId);
        manualTabs.delete(tabId);
        await detachTab(tabId, 'detached from the popup');
      }
      persistTabSets();
      return {};
    case 'pick':
      await pickOn(msg.tabId);
      return {};
    case 'reconnect':
      for (const s of sessions.values()) s.reconnectNow();
      await applyMode();
      return {};
    default:
      throw new Error(`unknown popup command ${msg.cmd}`);
  }
}

async function snapshot() {
  const [active] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
  return {
    version: VERSION,
    extensionId: chrome.runtime.id,
    settings: {
      serverUrl: settings.serverUrl,
      tokenSet: !!settings.token,
      mode: settings.mode,
      bodyCap: settings.bodyCap,
      networkTypes: settings.networkTypes,
      urlFilter: settings.urlFilter,
    },
    sessions: [...sessions.values()].map((s) => ({ ...s.describe(), picking: !!s.pickerBinding })),
    attaching: [...attaching.keys()],
    attachErrors: Object.fromEntries(attachErrors),
    excluded: [...excluded],
    manualTabs: [...manualTabs],
    lastSelection,
    activeTab: active ? {
      id: active.id, url: active.url || active.pendingUrl || '', title: active.title || '',
      attachable: isAttachableUrl(active.url || active.pendingUrl || ''),
    } : null,
    now: Date.now(),
  };
}

// ---- seed 002's browser events: zoom, audio, downloads (registered synchronously) -------------
// Sent as browser-event like the navigation ones; the connector stores them and its /ws dialect
// pushes them as browser_event with these same field names.

chrome.tabs.onZoomChange.addListener(({ tabId, newZoomFactor, oldZoomFactor }) => {
  ready.then(() => {
    const session = sessions.get(tabId);
    if (!session || newZoomFactor === oldZoomFactor) return;
    session.emit('browser-event', {
      event: 'zoom_changed', zoom_factor: newZoomFactor, zoom_percent: Math.round(newZoomFactor * 100), timestamp: Date.now(),
    });
  });
});

chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
  if (change.audible === undefined && change.mutedInfo === undefined) return;
  ready.then(() => {
    const session = sessions.get(tabId);
    if (!session) return;
    session.emit('browser-event', {
      event: 'audio_state_changed',
      is_playing_audio: !!tab.audible,
      is_muted: !!(tab.mutedInfo && tab.mutedInfo.muted),
      url: tab.url || session.url,
      timestamp: Date.now(),
    });
  });
});

chrome.downloads.onCreated.addListener((item) => {
  ready.then(async () => {
    // A download names no tab: the tab whose page it came from, else the active attached one.
    const all = [...sessions.values()];
    let session = all.find((s) => item.referrer && s.url === item.referrer);
    if (!session) {
      const [active] = await chrome.tabs.query({ active: true, lastFocusedWindow: true }).catch(() => []);
      session = (active && sessions.get(active.id)) || all[0];
    }
    if (!session) return;
    const url = item.finalUrl || item.url || '';
    const filename = item.filename || decodeURIComponent(url.split(/[?#]/)[0].split('/').pop() || '');
    session.emit('browser-event', {
      event: 'download_starting', url, filename, profile: item.incognito ? 'incognito' : 'default', timestamp: Date.now(),
    });
  });
});
