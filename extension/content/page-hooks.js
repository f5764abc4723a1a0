// Where the papers are on a page: one function per kind of page, each returning occurrences
// `{id, container, ref, where}`: `container` is the element that stands for the paper (the card, the <dt>),
// the mark goes `where` ('after' | 'append') relative to `ref`. Hooks follow reference/feeds.md §3.
(() => {
  'use strict';
  const { paperIdFromUrl, canonicalId } = globalThis.PapertrayIds;

  // Hugging Face list pages (daily, week, month, trending, search): every `a[href^="/papers/"]` that names a
  // paper, grouped by its card; the mark goes after the title link (the link with the longest text).
  function hfList(doc, base) {
    const cards = new Map(); // container -> Map(id -> best anchor)
    for (const a of doc.querySelectorAll('a[href^="/papers/"]')) {
      const id = paperIdFromUrl(a.getAttribute('href'), base);
      if (!id) continue;
      const container = a.closest('article') ?? a;
      let ids = cards.get(container);
      if (!ids) cards.set(container, (ids = new Map()));
      const best = ids.get(id);
      if (!best || a.textContent.trim().length > best.textContent.trim().length) ids.set(id, a);
    }
    const out = [];
    for (const [container, ids] of cards) {
      for (const [id, a] of ids) {
        const heading = a.closest('h1, h2, h3, h4');
        const ref = heading && container.contains(heading) ? heading : a;
        out.push({ id, container, ref, where: 'after' });
      }
    }
    return out;
  }

  // huggingface.co/papers/{id}: the page's own paper, marked after its <h1>.
  function hfPaper(doc, id) {
    const h1 = doc.querySelector('main h1, h1');
    return h1 ? [{ id, container: h1, ref: h1, where: 'after' }] : [];
  }

  // arxiv.org/list/...: `dl#articles dt a[title="Abstract"][id]`, the mark appended to the <dt>.
  function arxivList(doc) {
    const out = [];
    for (const a of doc.querySelectorAll('dl#articles dt a[title="Abstract"][id], dl dt a[title="Abstract"][href]')) {
      const id = canonicalId(a.id) ?? paperIdFromUrl(a.getAttribute('href'), 'https://arxiv.org/');
      const dt = a.closest('dt');
      if (id && dt && !out.some((o) => o.container === dt)) out.push({ id, container: dt, ref: dt, where: 'append' });
    }
    return out;
  }

  // arxiv.org/abs/{id}: `citation_arxiv_id`, mark after the title.
  function arxivAbs(doc, loc) {
    const meta = doc.head?.querySelector('[name~=citation_arxiv_id][content]');
    const id = canonicalId(meta?.content ?? '') ?? paperIdFromUrl(loc.href);
    const title = doc.querySelector('h1.title') ?? doc.querySelector('h1');
    return id && title ? [{ id, container: title, ref: title, where: 'after' }] : [];
  }

  // arxiv.org/html/{id}: the LaTeX-to-HTML page; mark after the document title.
  function arxivHtml(doc, loc) {
    const id = paperIdFromUrl(loc.href);
    const title = doc.querySelector('h1.ltx_title_document, h1.ltx_title, h1');
    return id && title ? [{ id, container: title, ref: title, where: 'after' }] : [];
  }

  // Any other (opted-in) site: each link to an arXiv or HF paper, marked right after the link.
  function anyLinks(doc, base) {
    const out = [];
    for (const a of doc.querySelectorAll('a[href*="arxiv.org/"], a[href*="huggingface.co/papers/"], a[href*="hf.co/papers/"]')) {
      const id = paperIdFromUrl(a.getAttribute('href'), base);
      if (id) out.push({ id, container: a, ref: a, where: 'after' });
    }
    return out;
  }

  /** Every paper occurrence on `doc` at `loc`. */
  function findPapers(doc, loc) {
    const host = loc.hostname.toLowerCase();
    const path = loc.pathname;
    if (host === 'huggingface.co' || host === 'www.huggingface.co') {
      if (!path.startsWith('/papers')) return [];
      const own = paperIdFromUrl(loc.href);
      return own ? hfPaper(doc, own) : hfList(doc, loc.href);
    }
    if (host === 'arxiv.org' || host === 'www.arxiv.org') {
      if (path.startsWith('/abs/')) return arxivAbs(doc, loc);
      if (path.startsWith('/html/')) return arxivHtml(doc, loc);
      if (path.startsWith('/list/')) return arxivList(doc);
      return [];
    }
    return anyLinks(doc, loc.href);
  }

  /** The one paper a paper page is about (HF paper page, arXiv abs or html), or null on lists and other sites. */
  function pagePaper(doc, loc) {
    const host = loc.hostname.toLowerCase();
    const single =
      ((host === 'huggingface.co' || host === 'www.huggingface.co') && paperIdFromUrl(loc.href)) ||
      ((host === 'arxiv.org' || host === 'www.arxiv.org') && /^\/(abs|html)\//.test(loc.pathname));
    if (!single) return null;
    return findPapers(doc, loc)[0]?.id ?? paperIdFromUrl(loc.href);
  }

  globalThis.PapertrayHooks = Object.freeze({ findPapers, pagePaper });
})();
