// Turns CDP Runtime.RemoteObject / StackTrace values into plain JSON and text, as a console would show them.

import { truncate } from './util.js';

const MAX_ARG_TEXT = 16 * 1024;
const MAX_ARGS = 50;
export const MAX_MESSAGE = 64 * 1024;

/** A RemoteObject → a JSON value (primitives as themselves, objects from their preview). */
export function toJson(ro) {
  if (!ro) return null;
  if ('unserializableValue' in ro && ro.unserializableValue !== undefined) return ro.unserializableValue;
  switch (ro.type) {
    case 'string':
      return truncate(ro.value, MAX_ARG_TEXT);
    case 'number':
    case 'boolean':
      return ro.value;
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return ro.unserializableValue || ro.description;
    case 'symbol':
    case 'function':
      return truncate(ro.description || ro.type, 500);
    case 'object':
      if (ro.subtype === 'null') return null;
      if (ro.subtype === 'error') return truncate(ro.description || 'Error', MAX_ARG_TEXT);
      if (ro.subtype === 'node' || ro.subtype === 'regexp' || ro.subtype === 'date') return ro.description;
      if ('value' in ro) return ro.value; // returnByValue results
      if (ro.preview) return previewToJson(ro.preview);
      return ro.description || ro.className || 'Object';
    default:
      return ro.description ?? null;
  }
}

function previewValue(p) {
  if (p.valuePreview) return previewToJson(p.valuePreview);
  switch (p.type) {
    case 'number':
      return Number.isNaN(Number(p.value)) ? p.value : Number(p.value);
    case 'boolean':
      return p.value === 'true';
    case 'undefined':
      return 'undefined';
    case 'object':
      return p.subtype === 'null' ? null : p.value;
    default:
      return p.value;
  }
}

function previewToJson(preview) {
  const props = preview.properties || [];
  if (preview.subtype === 'array' || preview.subtype === 'typedarray') {
    const arr = props.filter((p) => /^\d+$/.test(p.name)).map(previewValue);
    if (preview.overflow) arr.push('…');
    return arr;
  }
  if ((preview.subtype === 'map' || preview.subtype === 'set') && preview.entries) {
    const entries = preview.entries.map((e) =>
      e.key ? [previewToJson(e.key), previewToJson(e.value)] : previewToJson(e.value));
    if (preview.overflow) entries.push('…');
    return entries;
  }
  if (preview.type !== 'object') return preview.description;
  const obj = {};
  for (const p of props) obj[p.name] = previewValue(p);
  if (preview.overflow) obj['…'] = '…';
  return obj;
}

/** A RemoteObject → the text the console prints for it. */
export function toText(ro, top = true) {
  if (!ro) return '';
  if (ro.unserializableValue !== undefined) return ro.unserializableValue;
  switch (ro.type) {
    case 'string':
      return top ? ro.value : JSON.stringify(ro.value);
    case 'number':
    case 'boolean':
      return String(ro.value);
    case 'undefined':
      return 'undefined';
    case 'object':
      if (ro.subtype === 'null') return 'null';
      if (ro.subtype === 'error') return ro.description || 'Error';
      if (ro.preview) return previewToText(ro.preview);
      return ro.description || 'Object';
    default:
      return ro.description || String(ro.value ?? ro.type);
  }
}

function previewPropText(p) {
  if (p.valuePreview) return previewToText(p.valuePreview);
  if (p.type === 'string') return JSON.stringify(p.value);
  return p.value ?? p.type;
}

function previewToText(preview) {
  const props = preview.properties || [];
  const more = preview.overflow ? ', …' : '';
  if (preview.subtype === 'array' || preview.subtype === 'typedarray') {
    return `[${props.filter((p) => /^\d+$/.test(p.name)).map(previewPropText).join(', ')}${more}]`;
  }
  if (preview.entries && (preview.subtype === 'map' || preview.subtype === 'set')) {
    const inner = preview.entries.map((e) => (e.key
      ? `${previewToText(e.key)} => ${previewToText(e.value)}`
      : previewToText(e.value)));
    return `${preview.description} {${inner.join(', ')}${more}}`;
  }
  if (preview.type !== 'object') return preview.description || '';
  const body = props.map((p) => `${p.name}: ${previewPropText(p)}`).join(', ');
  const name = preview.description && preview.description !== 'Object' ? `${preview.description} ` : '';
  return `${name}{${body}${more}}`;
}

/** Console message text with printf-style substitutions (%s %d %i %f %o %O %c) applied. */
export function formatMessage(args) {
  if (!args || args.length === 0) return '';
  let rest = args;
  let head = '';
  if (args[0].type === 'string' && /%[sdifoOc%]/.test(args[0].value)) {
    let i = 1;
    head = args[0].value.replace(/%([sdifoOc%])/g, (match, spec) => {
      if (spec === '%') return '%';
      if (i >= args.length) return match;
      const arg = args[i++];
      switch (spec) {
        case 's':
          return toText(arg);
        case 'd':
        case 'i': {
          const n = arg.type === 'number' ? arg.value : Number(arg.value ?? arg.description);
          return Number.isNaN(n) ? 'NaN' : String(Math.trunc(n));
        }
        case 'f':
          return String(arg.type === 'number' ? arg.value : Number(arg.value ?? arg.description));
        case 'c':
          return '';
        default:
          return toText(arg, false);
      }
    });
    rest = args.slice(i);
  } else {
    head = toText(args[0]);
    rest = args.slice(1);
  }
  const parts = [head, ...rest.map((a) => toText(a))];
  return truncate(parts.join(' '), MAX_MESSAGE);
}

/**
 * The call's arguments as RemoteObjects (ids dropped, long text cut) for the server, which writes
 * the message text DevTools would show from them (src/protocol/console_format.rs).
 */
export function remoteArgs(args) {
  return (args || []).slice(0, MAX_ARGS).map((ro) => {
    const out = {};
    for (const k of ['type', 'subtype', 'className', 'value', 'unserializableValue', 'description', 'preview']) {
      if (ro[k] !== undefined) out[k] = ro[k];
    }
    if (typeof out.value === 'string') out.value = truncate(out.value, MAX_ARG_TEXT);
    if (typeof out.description === 'string') out.description = truncate(out.description, MAX_ARG_TEXT);
    return out;
  });
}

export function argsToJson(args) {
  const list = (args || []).slice(0, MAX_ARGS).map(toJson);
  if (args && args.length > MAX_ARGS) list.push(`… ${args.length - MAX_ARGS} more arguments`);
  return list;
}

/** "file.js" part of a script URL; the host for a bare origin. */
export function shortName(url) {
  if (!url) return '';
  try {
    const u = new URL(url);
    const last = u.pathname.split('/').filter(Boolean).pop();
    return last || u.host || url;
  } catch {
    return url;
  }
}

/** Location of the first frame: {source:"file.js:L:C", url, line, column} (1-based). */
export function topLocation(stackTrace, fallback = {}) {
  const frame = stackTrace?.callFrames?.find((f) => f.url) || stackTrace?.callFrames?.[0];
  const url = frame?.url || fallback.url || '';
  const line = frame ? frame.lineNumber + 1 : fallback.lineNumber !== undefined ? fallback.lineNumber + 1 : null;
  const column = frame ? frame.columnNumber + 1 : fallback.columnNumber !== undefined ? fallback.columnNumber + 1 : null;
  if (!url && line === null) return { source: null, url: null, line: null, column: null };
  const source = line !== null ? `${shortName(url) || '<anonymous>'}:${line}:${column ?? 0}` : shortName(url);
  return { source, url: url || null, line, column };
}

/** V8-style stack text ("    at fn (url:line:col)" per frame), async parents included. */
export function formatStack(stackTrace, maxFrames = 50) {
  const lines = [];
  let st = stackTrace;
  while (st && lines.length < maxFrames) {
    if (st !== stackTrace) lines.push(`    at (async ${st.description || 'task'})`);
    for (const f of st.callFrames || []) {
      if (lines.length >= maxFrames) break;
      const where = `${f.url || '<anonymous>'}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
      lines.push(f.functionName ? `    at ${f.functionName} (${where})` : `    at ${where}`);
    }
    st = st.parent;
  }
  return lines.length ? lines.join('\n') : null;
}
