// The worker's memory of look-ups (issue 17 item 5): it answers only the tab, frame and address it was asked
// from, only for ids it was told about, only for a minute, and forgets everything on request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheKey, forgetAll, recall, recallPage, remember } from '../lib/lookup-cache.js';

const SETTINGS = { port: 7878, token: 't' };
const TAB = { tab: { id: 3 }, frameId: 0, url: 'https://huggingface.co/papers#top' };
const PAPERS = { '2507.00001': { state: 'new' } };

test('only a tab\'s frame has a key, and the fragment does not count', () => {
  assert.equal(cacheKey(SETTINGS, { url: 'chrome-extension://x/popup.html' }), null);
  assert.equal(cacheKey(SETTINGS, TAB), cacheKey(SETTINGS, { ...TAB, url: 'https://huggingface.co/papers' }));
  assert.notEqual(cacheKey(SETTINGS, TAB), cacheKey(SETTINGS, { ...TAB, tab: { id: 4 } }));
  assert.notEqual(cacheKey(SETTINGS, TAB), cacheKey({ ...SETTINGS, token: 'u' }, TAB));
});

test('answers only ids it was told about, within a minute, until forgotten', () => {
  forgetAll();
  const key = cacheKey(SETTINGS, TAB);
  remember(key, ['2507.00001', '2507.00002'], PAPERS, 1000);
  assert.deepEqual(recall(key, ['2507.00001', '2507.00002'], 2000), PAPERS); // the unknown one stays unknown
  assert.equal(recall(key, ['2507.00003'], 2000), null);
  assert.equal(recall(key, ['2507.00001'], 1000 + 61_000), null);
  assert.equal(recall(cacheKey(SETTINGS, { ...TAB, tab: { id: 9 } }), ['2507.00001'], 2000), null);
  forgetAll();
  assert.equal(recall(key, ['2507.00001'], 2000), null);
});

test('keeps at most 64 pages, the oldest going first', () => {
  forgetAll();
  const keys = Array.from({ length: 65 }, (_, i) => cacheKey(SETTINGS, { ...TAB, tab: { id: i } }));
  keys.forEach((key) => remember(key, ['2507.00001'], PAPERS, 1000));
  assert.equal(recall(keys[0], ['2507.00001'], 1000), null);
  assert.deepEqual(recall(keys[64], ['2507.00001'], 1000), PAPERS);
});

test('a page asked before it is parsed gets all it was told, and nothing after a minute', () => {
  forgetAll();
  const key = cacheKey(SETTINGS, TAB);
  assert.equal(recallPage(key, 1000), null);
  remember(key, ['2507.00001', '2507.00002'], PAPERS, 1000);
  assert.deepEqual(recallPage(key, 2000), { ids: ['2507.00001', '2507.00002'], papers: PAPERS });
  assert.equal(recallPage(key, 1000 + 61_000), null);
  assert.equal(recallPage(null, 2000), null);
});
