// Thin wrapper over chrome.debugger: promise + timeout + readable errors.

import { withTimeout } from './util.js';

export const PROTOCOL_VERSION = '1.3';

/** chrome.debugger errors look like '{"code":-32000,"message":"No node with given id"}'; keep the message. */
export function cdpErrorText(err) {
  const text = err?.message || String(err);
  try {
    const parsed = JSON.parse(text);
    if (parsed && parsed.message) return parsed.data ? `${parsed.message}: ${parsed.data}` : parsed.message;
  } catch {
    /* not JSON */
  }
  return text;
}

export async function send(tabId, method, params = {}, timeoutMs = 20000) {
  try {
    return await withTimeout(
      chrome.debugger.sendCommand({ tabId }, method, params),
      timeoutMs,
      `${method} did not answer within ${timeoutMs} ms`,
    );
  } catch (err) {
    throw new Error(`${method}: ${cdpErrorText(err)}`);
  }
}

export async function attach(tabId) {
  try {
    await chrome.debugger.attach({ tabId }, PROTOCOL_VERSION);
  } catch (err) {
    const text = cdpErrorText(err);
    // Left over from a previous service-worker instance of this extension: take it over.
    if (/already attached/i.test(text)) {
      try {
        await chrome.debugger.detach({ tabId });
      } catch {
        throw new Error(`cannot attach: ${text}`);
      }
      await chrome.debugger.attach({ tabId }, PROTOCOL_VERSION);
      return;
    }
    throw new Error(`cannot attach: ${text}`);
  }
}

export async function detach(tabId) {
  try {
    await chrome.debugger.detach({ tabId });
  } catch {
    /* already gone */
  }
}
