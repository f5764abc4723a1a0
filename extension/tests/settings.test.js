// Settings: defaults, validation sentences, and where the token lives (reference/security.md §6.9 item 47).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS, readSettings, validateSettings, writeSettings, saveToken, clearToken, sitePattern, restrictStorage } from '../lib/settings.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** An in-memory StorageArea with the same promise API as chrome.storage.local. */
function memoryArea() {
  const data = {};
  const levels = [];
  return {
    data,
    levels,
    async get(keys) {
      return Object.fromEntries(keys.filter((k) => k in data).map((k) => [k, data[k]]));
    },
    async set(items) {
      Object.assign(data, structuredClone(items));
    },
    async remove(key) {
      delete data[key];
    },
    async setAccessLevel(options) {
      levels.push(options.accessLevel);
    },
  };
}

/** The vault's contract (vault.js keeps it in IndexedDB; the browser tiers run that one for real). */
function memoryVault() {
  let token = '';
  return {
    get token() {
      return token;
    },
    async read() {
      return token;
    },
    async save(value) {
      token = String(value);
    },
    async clear() {
      token = '';
    },
  };
}

test('missing settings take their defaults, stored ones win', async () => {
  const area = memoryArea();
  const vault = memoryVault();
  assert.deepEqual(await readSettings(area, vault), DEFAULTS);
  await writeSettings({ port: 31000, seenDelayMs: 250 }, area);
  const s = await readSettings(area, vault);
  assert.equal(s.port, 31000);
  assert.equal(s.seenDelayMs, 250);
  // No setting hides unknown papers: whether a mark appears would tell a page which ids the library holds.
  assert.equal('showUnknown' in s, false);
  assert.equal(DEFAULTS.port, 27483);
  assert.equal(DEFAULTS.seenDelayMs, 1500);
});

test('bad settings are refused with one sentence and nothing is written', async () => {
  const area = memoryArea();
  for (const patch of [{ port: 80 }, { port: 'x' }, { port: 70000 }, { seenDelayMs: -1 }, { seenDelayMs: 1e9 }, { sites: 'a' }, { sites: ['ftp://x'] }]) {
    await assert.rejects(writeSettings(patch, area), (error) => /\.$/.test(error.message), JSON.stringify(patch));
  }
  assert.deepEqual(area.data, {});
  assert.throws(() => validateSettings(null));
});

test('sites become one exact-host pattern', () => {
  assert.equal(sitePattern('scholar.example.org'), 'https://scholar.example.org/*');
  assert.equal(sitePattern('http://blog.example.com/posts/1'), 'http://blog.example.com/*');
  assert.equal(sitePattern('https://example.org/*'), 'https://example.org/*');
  assert.throws(() => sitePattern('javascript:alert(1)'));
  assert.throws(() => sitePattern(''));
});

test('the token lives in the vault, never in storage.local; one an earlier version left there moves over', async () => {
  const area = memoryArea();
  const vault = memoryVault();
  await saveToken('t0k', area, vault);
  assert.equal(vault.token, 't0k');
  assert.equal('token' in area.data, false);
  assert.equal((await readSettings(area, vault)).token, 't0k');
  area.data.token = 'from-an-earlier-version';
  assert.equal((await readSettings(area, vault)).token, 'from-an-earlier-version');
  assert.equal('token' in area.data, false);
  assert.equal(vault.token, 'from-an-earlier-version');
  await clearToken(area, vault);
  assert.equal((await readSettings(area, vault)).token, '');
  assert.equal(await restrictStorage(area), true);
  assert.deepEqual(area.levels, ['TRUSTED_CONTEXTS']);
  assert.equal(await restrictStorage({}), false);
});

test('no extension source uses storage.sync, innerHTML, eval or remote scripts', () => {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'tests') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(js|html)$/.test(name)) files.push(path);
    }
  };
  walk(ROOT);
  assert.ok(files.length > 10);
  const forbidden = [/storage\.sync/, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, /\beval\(|new Function\(/, /<script[^>]+src=["']https?:/];
  for (const file of files) {
    // Comments may name what the code avoids; only code counts.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/<!--[\s\S]*?-->/g, '');
    for (const pattern of forbidden) assert.ok(!pattern.test(text), `${file} matches ${pattern}`);
  }
});

test('the manifest asks for loopback only, no <all_urls>, no externally_connectable, and has Firefox settings', () => {
  const m = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));
  assert.deepEqual(m.host_permissions, ['http://127.0.0.1/*']);
  assert.ok(!JSON.stringify(m).includes('<all_urls>'));
  assert.equal(m.externally_connectable, undefined);
  assert.ok(m.browser_specific_settings.gecko.id);
  assert.deepEqual(m.browser_specific_settings.gecko.data_collection_permissions.required, ['none']);
  assert.equal(m.background.service_worker, 'background.js');
  assert.deepEqual(m.background.scripts, ['background.js']);
  assert.ok(m.key);
});
