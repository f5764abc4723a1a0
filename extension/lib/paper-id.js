// Paper ids: any accepted reference (URL, `arXiv:` prefix, bare id) -> the version-less arXiv id papertray keys on.
// The grammar mirrors daemon/papertray/models.py and reference/feeds.md §3.5.
//
// Written as a plain script that also loads as an ES module (no import/export): content scripts cannot be
// modules, and loading them through a dynamic import() would need web_accessible_resources exposed to every
// opted-in site. The service worker and the node tests import it for its one global, `PapertrayIds`.
(() => {
  'use strict';
  // Only ASCII digits and letters make an id (issue 11 item 15): `\d` and `[a-zA-Z]` are ASCII here, and the `u`
  // flag without `i` keeps case folding from letting `ſ` or the Kelvin sign in. The look-arounds count every
  // Unicode letter, digit and mark as part of the surrounding word, so a fullwidth or Arabic-Indic digit next to
  // an id (or after its `v`) voids it instead of leaving a shorter, different id (`2307.1234５` is not `2307.1234`).
  const ARXIV_ID =
    /(?<![\p{L}\p{N}\p{M}_.-])(?:[aA][rR][xX][iI][vV][:.])?(?:(\d{4}\.\d{4,5})|([a-zA-Z][a-zA-Z-]*)(?:\.[a-zA-Z]{2})?\/(\d{7}))(?:[vV]([1-9]\d*))?(?![vV]?\p{N})/u;
  const CANONICAL_ID = /^(?:\d{4}\.\d{4,5}|[a-z][a-z-]*\/\d{7})$/;
  const MAX_INPUT = 2048;
  const ARXIV_HOSTS = new Set(['arxiv.org', 'www.arxiv.org', 'export.arxiv.org']);
  const HF_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);
  // arXiv paths that carry one paper id right after the prefix.
  const ARXIV_PATH = /^\/(?:abs|pdf|html|format|ps)\/(.+)$/;
  const HF_PATH = /^\/papers\/(.+)$/;

  /**
   * Could arXiv have issued this YYMM.NNNNN id? Months 01-12 from 0704 on; four digits until 1412, five since 1501
   * (as models.is_issued_number in the daemon: `2307.1234` is a typo, never a paper).
   */
  function isIssuedNumber(newId) {
    const [yymm, number] = newId.split('.');
    const year = Number(yymm.slice(0, 2));
    const month = Number(yymm.slice(2));
    if (month < 1 || month > 12 || year * 100 + month < 704) return false;
    return number.length === (year < 15 ? 4 : 5);
  }

  /** `{id, version}` for any accepted form of a paper reference, else null. */
  function parseRef(text) {
    if (typeof text !== 'string' || !text || text.length > MAX_INPUT) return null;
    const m = ARXIV_ID.exec(text);
    if (!m || (m[1] && !isIssuedNumber(m[1]))) return null;
    const id = m[1] ? m[1] : `${m[2].toLowerCase()}/${m[3]}`;
    return { id, version: m[4] ? Number(m[4]) : null };
  }

  /** The canonical id in `text`, or null. */
  function canonicalId(text) {
    const ref = parseRef(text);
    return ref ? ref.id : null;
  }

  function isCanonicalId(text) {
    return typeof text === 'string' && CANONICAL_ID.test(text);
  }

  // An id that must start the path remainder: `/abs/2307.12345v2` yes, `/abs/foo/2307.12345` no.
  function leadingId(rest) {
    let decoded = rest;
    try {
      decoded = decodeURIComponent(rest);
    } catch {
      return null;
    }
    const m = ARXIV_ID.exec(decoded);
    if (!m || m.index !== 0 || (m[1] && !isIssuedNumber(m[1]))) return null;
    const tail = decoded.slice(m[0].length);
    // Allow a `.pdf` suffix, a trailing slash, a fragment-like tail; nothing that would name another resource.
    if (tail && !/^(?:\.pdf)?\/?$/i.test(tail)) return null;
    return m[1] ? m[1] : `${m[2].toLowerCase()}/${m[3]}`;
  }

  /**
   * The paper a link points at, when it is an arXiv paper URL or a Hugging Face paper page; null otherwise.
   * `base` resolves relative hrefs (a page's location).
   */
  function paperIdFromUrl(href, base) {
    if (typeof href !== 'string' || href.length > MAX_INPUT) return null;
    let url;
    try {
      url = new URL(href, base);
    } catch {
      return null;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    const host = url.hostname.toLowerCase();
    if (ARXIV_HOSTS.has(host)) {
      const m = ARXIV_PATH.exec(url.pathname);
      return m ? leadingId(m[1]) : null;
    }
    if (HF_HOSTS.has(host)) {
      const m = HF_PATH.exec(url.pathname);
      return m ? leadingId(m[1]) : null;
    }
    return null;
  }

  globalThis.PapertrayIds = Object.freeze({ parseRef, canonicalId, isCanonicalId, paperIdFromUrl });
})();
