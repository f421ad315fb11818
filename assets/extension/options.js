// Settings form, plus the scripted override: options.html?server=&token=&mode=&bodyCap=&networkTypes=&urlFilter=&next=
// stores what is given (validated), then optionally navigates this tab to `next`.
// Web pages cannot open this page (it is not web-accessible), so only the user or a local script can.

import { DEFAULTS, loadSettings, sanitize } from './lib/settings.js';

const $ = (id) => document.getElementById(id);
const FIELDS = ['serverUrl', 'token', 'mode', 'bodyCap', 'networkTypes', 'urlFilter'];
const PARAMS = { server: 'serverUrl', token: 'token', mode: 'mode', bodyCap: 'bodyCap', networkTypes: 'networkTypes', urlFilter: 'urlFilter' };

function status(text, ok) {
  $('status').textContent = text;
  $('status').className = ok ? 'ok' : 'bad';
  document.title = `${ok ? 'applied' : 'error'} — triage-tui connector`;
}

function fill(s) {
  for (const k of FIELDS) $(k).value = Array.isArray(s[k]) ? s[k].join(', ') : s[k];
}

function readForm() {
  const out = {};
  for (const k of FIELDS) out[k] = $(k).value;
  return out;
}

async function save(partial) {
  const current = await loadSettings().catch(() => ({ ...DEFAULTS }));
  const next = sanitize({ ...current, ...partial });
  await chrome.storage.local.set(next);
  return next;
}

async function applyQuery() {
  const q = new URLSearchParams(location.search);
  const partial = {};
  for (const [param, key] of Object.entries(PARAMS)) if (q.has(param)) partial[key] = q.get(param);
  const reset = q.get('reset') === '1';
  const next = q.get('next');
  if (!reset && !Object.keys(partial).length && !next) return false;
  try {
    if (reset) await chrome.storage.local.set({ ...DEFAULTS });
    const saved = await save(partial);
    fill(saved);
    status(`Applied from the URL: ${saved.serverUrl}${saved.token ? ' (token set)' : ''}, mode ${saved.mode}.`, true);
  } catch (err) {
    status(`Not applied: ${err.message}`, false);
    return true;
  }
  // Keep the token out of history.
  history.replaceState(null, '', location.pathname);
  if (next) {
    if (!/^(https?:|file:|about:blank)/i.test(next)) {
      status(`Applied, but next=${next} is not an http(s)/file URL; staying here.`, false);
    } else {
      location.replace(next);
    }
  }
  return true;
}

$('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const saved = await save(readForm());
    fill(saved);
    status('Saved. Attached tabs reconnect with these settings.', true);
  } catch (err) {
    status(err.message, false);
  }
});

$('reset').addEventListener('click', async () => {
  await chrome.storage.local.set({ ...DEFAULTS });
  fill({ ...DEFAULTS });
  status('Defaults restored.', true);
});

(async () => {
  fill(await loadSettings().catch(() => ({ ...DEFAULTS })));
  await applyQuery();
})();
