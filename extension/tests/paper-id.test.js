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

test('s15: only ASCII digits make a paper id; fullwidth and Arabic-Indic digits never do', () => {
  const notIds = [
    '\uff12\uff13\uff10\uff17.\uff11\uff12\uff13\uff14\uff15', // fullwidth 2307.12345
    '\u0662\u0663\u0660\u0667.\u0661\u0662\u0663\u0664\u0665', // Arabic-Indic 2307.12345
    '\u06f2\u06f3\u06f0\u06f7.\u06f1\u06f2\u06f3\u06f4\u06f5', // extended Arabic-Indic (Persian)
    '2307.1234\uff15', // an ASCII prefix with a fullwidth last digit is not the shorter id 2307.1234
    '\u06622307.12345', // nor is an id glued to an Arabic-Indic digit
    'hep-th/990100\uff11',
    '2307.12345v\uff12',
    '\u017ftat/9901001', // long s folds to "s" under case-insensitive Unicode matching
    '\u212aa/9901001', // Kelvin sign folds to "k"
    'caf\u00e92307.12345', // glued to a word, as the daemon's \w sees it
  ];
  for (const input of notIds) {
    const ref = parseRef(input);
    // "2307.12345v２": the version is not ASCII, so it does not count, and the id must not be taken either.
    assert.equal(ref, null, `${input} -> ${JSON.stringify(ref)}`);
    assert.equal(isCanonicalId(input), false, input);
  }
  for (const path of ['/abs/\uff12\uff13\uff10\uff17.\uff11\uff12\uff13\uff14\uff15', '/abs/2307.1234%EF%BC%95',
    '/abs/%D9%A22307.12345']) {
    assert.equal(paperIdFromUrl(path, 'https://arxiv.org/'), null, path);
    assert.equal(paperIdFromUrl(`/papers${path.slice(4)}`, 'https://huggingface.co/papers'), null, path);
  }
  // ASCII ids in any case still parse, next to punctuation and non-word text.
  assert.deepEqual(parseRef('ARXIV:2307.12345V2'), { id: '2307.12345', version: 2 });
  assert.deepEqual(parseRef('\u00ab2307.12345\u00bb'), { id: '2307.12345', version: null });
  assert.deepEqual(parseRef('\u201chep-th/9901001\u201d'), { id: 'hep-th/9901001', version: null });
});
