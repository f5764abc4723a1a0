// Opt-in sites get the built-in sites' content scripts, read from the manifest (their one home).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentScripts } from '../lib/sites.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));

test('the manifest declares one content-script entry, and every script in it exists', () => {
  assert.equal(MANIFEST.content_scripts.length, 1);
  for (const file of MANIFEST.content_scripts[0].js) readFileSync(join(ROOT, file));
});

test('an opted-in site gets the same scripts as the built-in sites, in the same order', () => {
  const scripts = contentScripts(MANIFEST);
  assert.deepEqual(scripts, MANIFEST.content_scripts[0].js);
  scripts.push('changed.js');
  assert.equal(MANIFEST.content_scripts[0].js.includes('changed.js'), false, 'a copy, not the manifest itself');
});
