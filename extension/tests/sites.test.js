// Opt-in sites get the built-in sites' content scripts: lib/sites.js lists exactly what manifest.json declares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_JS } from '../lib/sites.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));

test('the manifest declares one content-script entry, and every script in it exists', () => {
  assert.equal(MANIFEST.content_scripts.length, 1);
  for (const file of MANIFEST.content_scripts[0].js) readFileSync(join(ROOT, file));
});

test('an opted-in site gets the same scripts as the built-in sites, in the same order', () => {
  assert.deepEqual([...CONTENT_JS], MANIFEST.content_scripts[0].js);
});
