// Element picker: an overlay injected through CDP into an isolated world of the page (the page's own
// scripts cannot see or disturb it); hover highlights, click selects, Esc cancels. The result comes
// back through a Runtime binding with a random name and becomes an `element-selected` message.

import * as cdp from './cdp.js';

const WORLD = 'triage-tui-picker';
const MAX_HTML = 10 * 1024;

export async function startPicker(session) {
  const { tabId } = session;
  await stopPicker(session);
  const name = `__triagePick_${Math.random().toString(36).slice(2, 10)}`;
  let contextId = null;
  await cdp.send(tabId, 'Runtime.addBinding', { name, executionContextName: WORLD });
  try {
    if (!session.mainFrameId) {
      const { frameTree } = await cdp.send(tabId, 'Page.getFrameTree');
      session.mainFrameId = frameTree.frame.id;
    }
    const world = await cdp.send(tabId, 'Page.createIsolatedWorld', { frameId: session.mainFrameId, worldName: WORLD });
    contextId = world.executionContextId;
  } catch (err) {
    // Fall back to the main world with a page-visible (but random) binding.
    await cdp.send(tabId, 'Runtime.removeBinding', { name }).catch(() => {});
    await cdp.send(tabId, 'Runtime.addBinding', { name });
    contextId = null;
  }
  session.pickerBinding = name;
  session.pickerContextId = contextId;
  const params = {
    expression: `(${pickerMain})(${JSON.stringify(name)}, ${MAX_HTML})`,
    returnByValue: true,
    userGesture: true,
  };
  if (contextId !== null) params.contextId = contextId;
  const r = await cdp.send(tabId, 'Runtime.evaluate', params);
  if (r.exceptionDetails) {
    throw new Error(`picker failed to start: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
  }
  session.pickerStartedAt = Date.now();
  session.ctx.changed();
  return { started: true };
}

export async function stopPicker(session) {
  const name = session.pickerBinding;
  if (!name) return;
  session.pickerBinding = null;
  session.pickerStartedAt = null;
  const params = { expression: 'window.__triagePickerStop && window.__triagePickerStop()' };
  if (session.pickerContextId !== null && session.pickerContextId !== undefined) params.contextId = session.pickerContextId;
  session.pickerContextId = null;
  try {
    await cdp.send(session.tabId, 'Runtime.evaluate', params, 3000);
  } catch {
    /* page gone */
  }
  await cdp.send(session.tabId, 'Runtime.removeBinding', { name }).catch(() => {});
}

/** Runtime.bindingCalled → element-selected (or cancel). Returns true when it was ours. */
export function handleBinding(session, p) {
  if (!session.pickerBinding || p.name !== session.pickerBinding) return false;
  let msg;
  try {
    msg = JSON.parse(p.payload);
  } catch {
    return true;
  }
  const name = session.pickerBinding;
  session.pickerBinding = null;
  session.pickerStartedAt = null;
  cdp.send(session.tabId, 'Runtime.removeBinding', { name }).catch(() => {});
  if (msg.type === 'selected' && msg.element) {
    session.lastSelection = { at: Date.now(), summary: msg.element.cssSelector, tagName: msg.element.tagName };
    session.emit('element-selected', { element: msg.element, url: msg.url });
  }
  session.ctx.changed();
  return true;
}

/* eslint-disable no-undef */
// Runs in the page. Self-contained: serialized with Function.prototype.toString.
function pickerMain(bindingName, maxHtml) {
  const send = globalThis[bindingName];
  if (typeof send !== 'function') throw new Error('picker binding missing');
  if (window.__triagePickerStop) window.__triagePickerStop();

  const Z = '2147483647';
  const box = document.createElement('div');
  const label = document.createElement('div');
  Object.assign(box.style, {
    position: 'fixed', pointerEvents: 'none', zIndex: Z, background: 'rgba(28,110,200,0.18)',
    outline: '2px solid rgb(28,110,200)', transition: 'all 40ms linear', display: 'none', boxSizing: 'border-box',
  });
  Object.assign(label.style, {
    position: 'fixed', pointerEvents: 'none', zIndex: Z, background: 'rgb(28,110,200)', color: '#fff',
    font: '12px/1.4 monospace', padding: '1px 6px', borderRadius: '3px', display: 'none', whiteSpace: 'nowrap',
  });
  const host = document.documentElement;
  host.appendChild(box);
  host.appendChild(label);
  let current = null;

  const short = (el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '')
    + (typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '');

  function highlight(el) {
    current = el;
    const r = el.getBoundingClientRect();
    Object.assign(box.style, { display: 'block', left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
    label.textContent = `${short(el)}  ${Math.round(r.width)}×${Math.round(r.height)}`;
    const top = r.top > 22 ? r.top - 22 : r.bottom + 4;
    Object.assign(label.style, { display: 'block', left: `${Math.max(0, r.left)}px`, top: `${Math.min(top, innerHeight - 20)}px` });
  }

  function xpathOf(el) {
    const parts = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const tag = n.tagName.toLowerCase();
      const same = n.parentElement ? [...n.parentElement.children].filter((c) => c.tagName === n.tagName) : [n];
      parts.unshift(same.length > 1 ? `${tag}[${same.indexOf(n) + 1}]` : tag);
    }
    return `/${parts.join('/')}`;
  }

  function cssSelectorOf(el) {
    const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/[^\w-]/g, '\\$&'));
    if (el.id && document.querySelectorAll(`#${esc(el.id)}`).length === 1) return `#${esc(el.id)}`;
    const parts = [];
    for (let n = el; n && n.nodeType === 1 && n !== document.documentElement; n = n.parentElement) {
      if (n.id && document.querySelectorAll(`#${esc(n.id)}`).length === 1) {
        parts.unshift(`#${esc(n.id)}`);
        break;
      }
      let part = n.tagName.toLowerCase();
      const parent = n.parentElement;
      if (parent) {
        const same = [...parent.children].filter((c) => c.tagName === n.tagName);
        if (same.length > 1) part += `:nth-of-type(${same.indexOf(n) + 1})`;
      }
      parts.unshift(part);
    }
    if (parts[0] && !parts[0].startsWith('#')) parts.unshift('html');
    const sel = parts.join(' > ');
    try {
      if (document.querySelector(sel) === el) return sel;
    } catch (e) { /* fall through */ }
    return xpathOf(el);
  }

  const STYLES = ['display', 'position', 'top', 'right', 'bottom', 'left', 'width', 'height', 'margin', 'padding',
    'border', 'boxSizing', 'color', 'backgroundColor', 'backgroundImage', 'fontFamily', 'fontSize', 'fontWeight',
    'lineHeight', 'textAlign', 'opacity', 'visibility', 'overflow', 'zIndex', 'flexDirection', 'justifyContent',
    'alignItems', 'gap', 'gridTemplateColumns', 'transform', 'cursor', 'pointerEvents'];

  const cap = (s, n) => (s.length > n ? `${s.slice(0, n)}… [truncated, ${s.length} chars]` : s);

  function details(el) {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    const styles = {};
    for (const k of STYLES) styles[k] = cs[k];
    const attributes = {};
    for (const a of [...el.attributes].slice(0, 100)) attributes[a.name] = cap(a.value, 1024);
    const html = el.innerHTML || '';
    const text = el.textContent || '';
    return {
      tagName: el.tagName,
      id: el.id || '',
      className: typeof el.className === 'string' ? el.className : (el.getAttribute('class') || ''),
      attributes,
      dimensions: {
        width: Math.round(r.width * 100) / 100,
        height: Math.round(r.height * 100) / 100,
        top: Math.round((r.top + scrollY) * 100) / 100,
        left: Math.round((r.left + scrollX) * 100) / 100,
      },
      styles,
      innerHTML: cap(html, maxHtml),
      textContent: cap(text.trim(), maxHtml),
      xpath: xpathOf(el),
      cssSelector: cssSelectorOf(el),
      role: el.getAttribute('role') || null,
      childElementCount: el.childElementCount,
    };
  }

  const ours = (t) => t === box || t === label;
  const onMove = (e) => {
    const t = e.target;
    if (t && t.nodeType === 1 && !ours(t) && t !== current) highlight(t);
  };
  const swallow = (e) => {
    e.preventDefault();
    e.stopPropagation();
    e.stopImmediatePropagation();
  };
  const onClick = (e) => {
    swallow(e);
    const t = (e.target && e.target.nodeType === 1 && !ours(e.target)) ? e.target : current;
    stop();
    if (t) send(JSON.stringify({ type: 'selected', url: location.href, element: details(t) }));
  };
  const onKey = (e) => {
    if (e.key === 'Escape') {
      swallow(e);
      stop();
      send(JSON.stringify({ type: 'cancelled' }));
    }
  };
  const opts = { capture: true };
  function stop() {
    window.removeEventListener('mousemove', onMove, opts);
    window.removeEventListener('click', onClick, opts);
    for (const t of ['mousedown', 'mouseup', 'pointerdown', 'pointerup']) window.removeEventListener(t, swallow, opts);
    window.removeEventListener('keydown', onKey, opts);
    box.remove();
    label.remove();
    delete window.__triagePickerStop;
  }
  window.addEventListener('mousemove', onMove, opts);
  window.addEventListener('click', onClick, opts);
  for (const t of ['mousedown', 'mouseup', 'pointerdown', 'pointerup']) window.addEventListener(t, swallow, opts);
  window.addEventListener('keydown', onKey, opts);
  window.__triagePickerStop = stop;
  return true;
}
