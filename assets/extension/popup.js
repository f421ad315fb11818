// Popup: a view of the service worker's state, refreshed every second (for the retry countdown).

const $ = (id) => document.getElementById(id);
let state = null;

async function call(cmd, extra = {}) {
  const res = await chrome.runtime.sendMessage({ cmd, ...extra });
  if (!res || !res.ok) throw new Error(res ? res.error : 'no answer from the service worker');
  return res;
}

/** "connected", "retrying in 7 s — closed by server: …", "refused: HTTP 401 … — retrying in 3 s". */
export function describeState(s, now) {
  const inS = s.retryAt ? Math.max(0, Math.ceil((s.retryAt - now) / 1000)) : null;
  const retry = inS !== null ? `retrying in ${inS} s` : '';
  switch (s.state) {
    case 'connected':
      return { cls: 'connected', text: `connected${s.sessionId ? ` · session ${String(s.sessionId).slice(0, 12)}` : ''}` };
    case 'connecting':
      return { cls: 'connecting', text: 'connecting…' };
    case 'handshaking':
      return { cls: 'handshaking', text: 'connected, waiting for connection-ack…' };
    case 'retrying':
      return { cls: 'retrying', text: retry || 'reconnecting…', why: s.lastError };
    case 'refused':
      return { cls: 'refused', text: `refused${retry ? ` — ${retry}` : ''}`, why: s.lastError };
    default:
      return { cls: 'error', text: s.state, why: s.lastError };
  }
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function render() {
  if (!state) return;
  const now = Date.now();
  $('server').textContent = state.settings.serverUrl + (state.settings.tokenSet ? ' · token' : '');
  $('server').title = $('server').textContent;
  $('mode').value = state.settings.mode;

  const active = state.activeTab;
  const current = active ? state.sessions.find((s) => s.tabId === active.id) : null;
  const cs = $('current-state');
  if (!active) {
    cs.textContent = 'no active tab';
    cs.className = 'state';
  } else if (!active.attachable) {
    cs.textContent = 'browser/extension page: cannot be debugged';
    cs.className = 'state error';
  } else if (current) {
    const d = describeState(current, now);
    cs.textContent = d.text + (current.picking ? ' · picking…' : '');
    cs.className = `state ${d.cls}`;
  } else {
    const err = state.attachErrors[active.id];
    cs.textContent = err ? `not attached: ${err.error}` : 'not attached';
    cs.className = `state ${err ? 'error' : ''}`;
  }
  $('attach').disabled = !active || !active.attachable || !!current;
  $('detach').disabled = !current;
  $('pick').disabled = !active || !active.attachable;
  const sel = state.lastSelection;
  $('selection').textContent = sel ? `last picked: ${sel.summary} (${new Date(sel.at).toLocaleTimeString()})` : '';

  const list = $('tabs');
  list.replaceChildren();
  $('count').textContent = `${state.sessions.length}`;
  for (const s of state.sessions) {
    const d = describeState(s, now);
    const detach = el('button', { textContent: 'Detach', title: 'Detach and stop capturing this tab' });
    detach.addEventListener('click', () => call('detach', { tabId: s.tabId }).then(refresh, showError));
    const item = el('li', {},
      el('span', { className: 'title', textContent: s.title || s.url || `tab ${s.tabId}`, title: s.url }),
      el('span', { className: 'line' },
        el('span', { className: `state ${d.cls}`, textContent: d.text }),
        el('span', { className: 'muted', textContent: `sent ${s.sent}${s.queued ? ` · queued ${s.queued}` : ''}${s.dropped ? ` · dropped ${s.dropped}` : ''}` }),
        detach),
      d.why ? el('span', { className: 'why', textContent: d.why }) : null,
      s.lastServerError ? el('span', {
        className: 'server-error',
        textContent: `server error ${s.lastServerError.code}: ${s.lastServerError.message}${s.lastServerError.details ? ` (${typeof s.lastServerError.details === 'string' ? s.lastServerError.details : JSON.stringify(s.lastServerError.details)})` : ''}`,
      }) : null);
    list.append(item);
  }
  if (!state.sessions.length) list.append(el('li', { className: 'muted', textContent: 'none' }));
}

function showError(err) {
  $('errors').replaceChildren(el('span', { className: 'server-error', textContent: err.message }));
}

async function refresh() {
  try {
    const res = await call('state');
    state = res.state;
    render();
  } catch (err) {
    showError(err);
  }
}

$('mode').addEventListener('change', (e) => call('set-mode', { mode: e.target.value }).then(refresh, showError));
$('attach').addEventListener('click', () => call('attach', { tabId: state.activeTab.id }).then(refresh, showError));
$('detach').addEventListener('click', () => call('detach', { tabId: state.activeTab.id }).then(refresh, showError));
$('pick').addEventListener('click', () => call('pick', { tabId: state.activeTab.id }).then(() => window.close(), showError));
$('reconnect').addEventListener('click', () => call('reconnect').then(refresh, showError));
$('detach-all').addEventListener('click', () => call('detach-all').then(refresh, showError));

refresh();
setInterval(refresh, 1000);
