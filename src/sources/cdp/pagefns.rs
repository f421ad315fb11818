//! JavaScript run in the page by the CDP source: the same page functions the extension uses
//! (assets/extension/lib/actions.js, capture.js), and the element details of seed 000.

/// Finds an element by CSS selector, or XPath when it starts with "/" or "(".
const FIND: &str = r#"
  const find = (sel) => {
    if (!sel) return null;
    if (sel.startsWith('/') || sel.startsWith('(')) {
      return document.evaluate(sel, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
    }
    return document.querySelector(sel);
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '');
"#;

const HREF: &str = r#"() => location.href"#;
const TITLE: &str = r#"() => document.title"#;
const STATE: &str = r#"() => ({
    url: location.href, title: document.title, readyState: document.readyState,
    viewport: { width: innerWidth, height: innerHeight, deviceScaleFactor: devicePixelRatio },
    scroll: { x: scrollX, y: scrollY },
    document: { width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight },
    userAgent: navigator.userAgent, language: navigator.language, online: navigator.onLine,
    focused: document.hasFocus(), visibility: document.visibilityState,
  })"#;
const VIEWPORT: &str = r#"() => new Promise((resolve) => {
    const done = () => resolve({ width: innerWidth, height: innerHeight, deviceScaleFactor: devicePixelRatio });
    const timer = setTimeout(done, 300);
    requestAnimationFrame(() => requestAnimationFrame(() => { clearTimeout(timer); done(); }));
  })"#;
const RECTOF: &str = r#"(sel) => {
    const el = find(sel); if (!el) return null;
    const r = el.getBoundingClientRect();
    return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
  }"#;
const CLICKTARGET: &str = r#"(sel) => {
    const el = find(sel); if (!el) return null;
    el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const visible = r.width > 0 && r.height > 0 && x >= 0 && y >= 0 && x <= innerWidth && y <= innerHeight;
    const hit = visible ? document.elementFromPoint(x, y) : null;
    const covered = visible && hit && hit !== el && !el.contains(hit) ? describe(hit) : null;
    return { x, y, visible, covered, description: describe(el) };
  }"#;
const DOMCLICK: &str = r#"(sel) => { const el = find(sel); if (el) el.click(); return !!el; }"#;
const FOCUS: &str = r#"(sel, clear) => {
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
  }"#;
const SETVALUE: &str = r#"(sel, value) => {
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
  }"#;
const SUBMIT: &str = r#"(sel) => {
    const el = find(sel);
    if (!el) return { error: 'no element matches selector ' + JSON.stringify(sel) };
    const form = el.tagName === 'FORM' ? el : (el.form || el.closest('form'));
    if (!form) return { error: describe(el) + ' is not a form and is not inside one' };
    const submitter = el !== form && el.type === 'submit' ? el : undefined;
    if (typeof form.requestSubmit === 'function') form.requestSubmit(submitter); else form.submit();
    return { form: describe(form), action: form.action, method: form.method };
  }"#;
const SCROLLTO: &str = r#"(sel, x, y) => {
    if (sel) {
      const el = find(sel); if (!el) return null;
      el.scrollIntoView({ block: 'start', behavior: 'instant' });
    } else {
      window.scrollTo({ left: x, top: y, behavior: 'instant' });
    }
    return { x: scrollX, y: scrollY };
  }"#;
const SCROLLBY: &str = r#"(sel, x, y) => {
    const target = sel ? find(sel) : window;
    if (!target) throw new Error('no element matches selector ' + JSON.stringify(sel));
    target.scrollBy({ left: x, top: y, behavior: 'instant' });
    return sel ? { x: target.scrollLeft, y: target.scrollTop } : { x: scrollX, y: scrollY };
  }"#;

/// A page function by name, wrapped with `find` and `describe`: `function (...args) {…}`.
pub fn page_fn(name: &str) -> Option<String> {
    let body = match name {
        "href" => HREF,
        "title" => TITLE,
        "state" => STATE,
        "viewport" => VIEWPORT,
        "rectOf" => RECTOF,
        "clickTarget" => CLICKTARGET,
        "domClick" => DOMCLICK,
        "focus" => FOCUS,
        "setValue" => SETVALUE,
        "submit" => SUBMIT,
        "scrollTo" => SCROLLTO,
        "scrollBy" => SCROLLBY,
        _ => return None,
    };
    Some(format!("function (...args) {{ {FIND} return ({body})(...args); }}"))
}

/// Serializes console arguments in the page (depth 5, 100 keys, no getters run, cycles marked).
pub const SERIALIZE: &str = r#"function (...vals) {
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
}"#;

/// Seed 000's element-selected fields for `this` (called on the node the inspector picked).
pub const ELEMENT_DETAILS: &str = r#"function (maxHtml) {
  const el = this.nodeType === 1 ? this : this.parentElement;
  if (!el) return null;
  const xpathOf = (e) => {
    const parts = [];
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
      const tag = n.tagName.toLowerCase();
      const same = n.parentElement ? [...n.parentElement.children].filter((c) => c.tagName === n.tagName) : [n];
      parts.unshift(same.length > 1 ? `${tag}[${same.indexOf(n) + 1}]` : tag);
    }
    return `/${parts.join('/')}`;
  };
  const cssSelectorOf = (e) => {
    const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/[^\w-]/g, '\\$&'));
    if (e.id && document.querySelectorAll(`#${esc(e.id)}`).length === 1) return `#${esc(e.id)}`;
    const parts = [];
    for (let n = e; n && n.nodeType === 1 && n !== document.documentElement; n = n.parentElement) {
      if (n.id && document.querySelectorAll(`#${esc(n.id)}`).length === 1) { parts.unshift(`#${esc(n.id)}`); break; }
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
    try { if (document.querySelector(sel) === e) return sel; } catch (x) { /* fall through */ }
    return xpathOf(e);
  };
  const STYLES = ['display', 'position', 'top', 'right', 'bottom', 'left', 'width', 'height', 'margin', 'padding',
    'border', 'boxSizing', 'color', 'backgroundColor', 'backgroundImage', 'fontFamily', 'fontSize', 'fontWeight',
    'lineHeight', 'textAlign', 'opacity', 'visibility', 'overflow', 'zIndex', 'flexDirection', 'justifyContent',
    'alignItems', 'gap', 'gridTemplateColumns', 'transform', 'cursor', 'pointerEvents'];
  const cap = (s, n) => (s.length > n ? `${s.slice(0, n)}… [truncated, ${s.length} chars]` : s);
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  const styles = {};
  for (const k of STYLES) styles[k] = cs[k];
  const attributes = {};
  for (const a of [...el.attributes].slice(0, 100)) attributes[a.name] = cap(a.value, 1024);
  return {
    url: location.href,
    element: {
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
      innerHTML: cap(el.innerHTML || '', maxHtml),
      textContent: cap((el.textContent || '').trim(), maxHtml),
      xpath: xpathOf(el),
      cssSelector: cssSelectorOf(el),
      role: el.getAttribute('role') || null,
      childElementCount: el.childElementCount,
    },
  };
}"#;

/// The Runtime binding the title watcher reports through.
pub const TITLE_BINDING: &str = "__triageTitleChanged";

/// Reports `document.title` whenever it changes (watching `<head>` only, so a busy page pays
/// nothing for its other DOM mutations). Chrome's `Target.targetInfoChanged` does not follow
/// titles set after load.
pub const TITLE_WATCH: &str = r#"(() => {
  const send = globalThis.__triageTitleChanged;
  // Only the top document's title is the page's (in-process iframes run this script too).
  if (typeof send !== 'function' || window.__triageTitleWatch || window.top !== window) return;
  let last = null;
  const report = () => { if (document.title !== last) { last = document.title; send(last); } };
  const start = () => {
    report();
    window.__triageTitleWatch = new MutationObserver(report);
    window.__triageTitleWatch.observe(document.head || document.documentElement, { subtree: true, childList: true, characterData: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
})()"#;
