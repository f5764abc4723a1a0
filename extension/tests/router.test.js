// The message router's sender policy (reference/security.md §6.9 item 45) and its error shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter, fromExtensionPage } from '../lib/router.js';

const ORIGIN = 'chrome-extension://ecjoinkgnkfofdpffhicmbeconlelkjb/';
const contentScript = { id: 'x', url: 'https://huggingface.co/papers', tab: { id: 4, url: 'https://huggingface.co/papers' } };
const popup = { id: 'x', url: `${ORIGIN}popup/popup.html` };
const optionsTab = { id: 'x', url: `${ORIGIN}options/options.html`, tab: { id: 9, url: `${ORIGIN}options/options.html` } };
const spoofed = { id: 'x', url: `${ORIGIN}options/options.html`, tab: { id: 9, url: 'https://evil.example/' } };

function table(calls) {
  const handler = (name) => async (message) => {
    calls.push(name);
    return { echoed: message.value };
  };
  return {
    lookup: { pageOnly: false, handle: handler('lookup') },
    pair: { pageOnly: true, handle: handler('pair') },
    setSettings: { pageOnly: true, handle: handler('setSettings') },
    unpair: { pageOnly: true, handle: handler('unpair') },
    boom: { pageOnly: false, handle: async () => { throw Object.assign(new Error('It broke.'), { kind: 'offline' }); } },
  };
}

test('pairing, settings and unpairing from a content script are refused and never run', async () => {
  const calls = [];
  const dispatch = createRouter(table(calls), ORIGIN);
  for (const type of ['pair', 'setSettings', 'unpair']) {
    const reply = await dispatch({ type, value: 1 }, contentScript);
    assert.equal(reply.ok, false, type);
    assert.equal(reply.kind, 'refused', type);
  }
  assert.deepEqual(calls, []);
});

test('the same messages from the popup or the options tab are accepted', async () => {
  const calls = [];
  const dispatch = createRouter(table(calls), ORIGIN);
  assert.deepEqual(await dispatch({ type: 'pair', value: 7 }, popup), { ok: true, echoed: 7 });
  assert.deepEqual(await dispatch({ type: 'setSettings', value: 8 }, optionsTab), { ok: true, echoed: 8 });
  assert.deepEqual(calls, ['pair', 'setSettings']);
});

test('a content script may look papers up', async () => {
  const calls = [];
  const dispatch = createRouter(table(calls), ORIGIN);
  assert.deepEqual(await dispatch({ type: 'lookup', value: 3 }, contentScript), { ok: true, echoed: 3 });
});

test('an extension URL inside a web page tab is not an extension page', () => {
  assert.equal(fromExtensionPage(spoofed, ORIGIN), false);
  assert.equal(fromExtensionPage(contentScript, ORIGIN), false);
  assert.equal(fromExtensionPage({}, ORIGIN), false);
  assert.equal(fromExtensionPage(popup, ORIGIN), true);
});

test('unknown types and inherited names are refused; handler errors come back as data', async () => {
  const dispatch = createRouter(table([]), ORIGIN);
  for (const type of ['nope', 'toString', '__proto__', 'constructor', undefined]) {
    const reply = await dispatch({ type }, popup);
    assert.equal(reply.ok, false, String(type));
  }
  assert.equal((await dispatch(null, popup)).ok, false);
  assert.deepEqual(await dispatch({ type: 'boom' }, contentScript), { ok: false, kind: 'offline', error: 'It broke.' });
});
