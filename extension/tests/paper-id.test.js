// Id extraction on the cases of reference/feeds.md §3.5 and the link forms the content scripts meet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../lib/paper-id.js';

const { parseRef, canonicalId, isCanonicalId, paperIdFromUrl } = globalThis.PapertrayIds;

test('references in every accepted form give the version-less id and the version', () => {
  const cases = [
    ['2307.12345', '2307.12345', null],
    ['2307.12345v2', '2307.12345', 2],
    ['0704.0001', '0704.0001', null],
    ['arXiv:2307.12345v3', '2307.12345', 3],
    ['arxiv:1501.00001', '1501.00001', null],
    ['https://arxiv.org/abs/2307.12345v2', '2307.12345', 2],
    ['https://arxiv.org/pdf/2307.12345', '2307.12345', null],
    ['https://arxiv.org/pdf/2307.12345v1.pdf', '2307.12345', 1],
    ['https://arxiv.org/html/2307.12345v1', '2307.12345', 1],
    ['http://arxiv.org/abs/2609.20822v1', '2609.20822', 1],
    ['oai:arXiv.org:2509.13338v1', '2509.13338', 1],
    ['https://huggingface.co/papers/2603.16790#community', '2603.16790', null],
    ['10.48550/arXiv.2307.12345', '2307.12345', null],
    ['hep-th/9901001', 'hep-th/9901001', null],
    ['hep-th/9901001v2', 'hep-th/9901001', 2],
    ['math.GT/0309136', 'math/0309136', null],
    ['https://arxiv.org/abs/math.GT/0309136v1', 'math/0309136', 1],
    ['Hep-Th/9901001', 'hep-th/9901001', null],
  ];
  for (const [input, id, version] of cases) {
    assert.deepEqual(parseRef(input), { id, version }, input);
  }
});

test('text that only looks like an id gives nothing', () => {
  for (const input of ['', '12307.12345', 'v2307.12345', '2307.123', 'hello', '2307.123456', 'x'.repeat(3000), null]) {
    assert.equal(canonicalId(input), null, String(input).slice(0, 40));
  }
});

test('canonical ids are recognised and others are not', () => {
  assert.ok(isCanonicalId('2307.12345'));
  assert.ok(isCanonicalId('hep-th/9901001'));
  assert.ok(!isCanonicalId('2307.12345v2'));
  assert.ok(!isCanonicalId('../etc/passwd'));
  assert.ok(!isCanonicalId('math.GT/0309136'));
});

test('Hugging Face paper links resolve, list and navigation links do not', () => {
  const base = 'https://huggingface.co/papers/date/2026-03-18';
  assert.equal(paperIdFromUrl('/papers/2603.16790', base), '2603.16790');
  assert.equal(paperIdFromUrl('/papers/2603.16790#community', base), '2603.16790');
  assert.equal(paperIdFromUrl('https://huggingface.co/papers/2603.16790', base), '2603.16790');
  assert.equal(paperIdFromUrl('https://hf.co/papers/2603.16790', base), '2603.16790');
  for (const href of ['/papers/date/2026-03-18', '/papers/week/2026-W12', '/papers/month/2026-03', '/papers/trending',
    '/papers/submit', '/papers', '/Beihang', '/2603.16790', '/papers/2603.16790/discussion']) {
    assert.equal(paperIdFromUrl(href, base), null, href);
  }
});

test('arXiv links resolve in their abs, pdf and html forms, other arXiv pages do not', () => {
  const base = 'https://arxiv.org/list/cs.LG/new';
  assert.equal(paperIdFromUrl('/abs/2509.13338', base), '2509.13338');
  assert.equal(paperIdFromUrl('/pdf/2509.13338v2', base), '2509.13338');
  assert.equal(paperIdFromUrl('https://arxiv.org/html/2509.13338v1/', base), '2509.13338');
  assert.equal(paperIdFromUrl('https://export.arxiv.org/abs/hep-th/9901001', base), 'hep-th/9901001');
  assert.equal(paperIdFromUrl('https://www.arxiv.org/abs/math.GT/0309136', base), 'math/0309136');
  for (const href of ['/list/cs.LG/new', '/a/smith_j_1', 'https://arxiv.org/abs/', 'https://example.org/abs/2509.13338',
    'javascript:alert(1)//arxiv.org/abs/2509.13338', 'ftp://arxiv.org/abs/2509.13338', 'not a url at all ::']) {
    assert.equal(paperIdFromUrl(href, base), null, href);
  }
});
