// AMO's linter (addons-linter, through web-ext) runs Mozilla's no-unsanitized rules: an innerHTML,
// insertAdjacentHTML or document.write with a variable is a warning there, so we fail on any warning except the
// one the shared Chrome/Firefox manifest must carry (service_worker beside scripts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXTENSION = join(dirname(fileURLToPath(import.meta.url)), '..');
const WEB_EXT = join(EXTENSION, '..', 'node_modules', '.bin', 'web-ext');
const EXPECTED = new Set(['BACKGROUND_SERVICE_WORKER_IGNORED']);

test('web-ext lint: no errors, no unsafe DOM writes, no unexpected warnings', { skip: !existsSync(WEB_EXT) && 'web-ext is not installed (make node-deps)' }, () => {
  let output;
  try {
    output = execFileSync(WEB_EXT, ['lint', '--source-dir', EXTENSION, '--self-hosted', '--output', 'json', '--ignore-files', 'tests/**'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
  } catch (error) {
    output = error.stdout; // web-ext exits non-zero on errors; the JSON still says which
  }
  const report = JSON.parse(output.slice(output.indexOf('{')));
  assert.deepEqual(report.errors, []);
  const unexpected = report.warnings.filter((w) => !EXPECTED.has(w.code)).map((w) => `${w.code} ${w.file ?? ''}`);
  assert.deepEqual(unexpected, []);
});
