// Where the papers are on a page: one function per kind of page, each returning occurrences
// `{id, container, ref, where, title}`: `container` is the element that stands for the paper (the card, the <dt>),
// the mark goes `where` ('after' | 'append' | 'row') relative to `ref`, and `title` is what must be on screen for
// the paper to count as seen. Marks go into a line the page already has (issue 17 item 5: a line of their own
// pushes everything below them down as they arrive). Hooks follow reference/feeds.md §3.
(() => {
  'use strict';
  const { paperIdFromUrl, canonicalId } = globalThis.PapertrayIds;

  // Hugging Face list pages (daily, week, month, trending, search): every `a[href^="/papers/"]` that names a
  // paper, grouped by its card. The title is the link with the longest text (its heading when it has one); the
  // mark goes into the card's author/comment row, beside the comment count (`/papers/{id}#community`), or, on a
  // card without one, after the title.
  function hfList(doc, base) {
    const cards = new Map(); // container -> Map(id -> {best anchor, comments link})
    for (const a of doc.querySelectorAll('a[href^="/papers/"]')) {
      const id = paperIdFromUrl(a.getAttribute('href'), base);
      if (!id) continue;
      const container = a.closest('article') ?? a;
      let ids = cards.get(container);
      if (!ids) cards.set(container, (ids = new Map()));
      const found = ids.get(id) ?? { best: null, comments: null };
      ids.set(id, found);
      if (a.getAttribute('href').endsWith('#community')) found.comments ??= a;
      if (!found.best || a.textContent.trim().length > found.best.textContent.trim().length) found.best = a;
    }
    const out = [];
    for (const [container, ids] of cards) {
      for (const [id, { best, comments }] of ids) {
        const heading = best.closest('h1, h2, h3, h4');
        const title = heading && container.contains(heading) ? heading : best;
        if (comments && comments !== best && container !== best) {
          out.push({ id, container, ref: comments, where: 'row', title });
        } else out.push({ id, container, ref: title, where: 'after', title });
      }
    }
    return out;
  }

  // huggingface.co/papers/{id}: the page's own paper, marked at the end of its <h1>.
  function hfPaper(doc, id) {
    const h1 = doc.querySelector('main h1, h1');
    return h1 ? [{ id, container: h1, ref: h1, where: 'append', title: h1 }] : [];
  }

  // arxiv.org/list/...: `dl#articles dt a[title="Abstract"][id]`, the mark appended to the <dt>.
  function arxivList(doc) {
    const out = [];
    for (const a of doc.querySelectorAll('dl#articles dt a[title="Abstract"][id], dl dt a[title="Abstract"][href]')) {
      const id = canonicalId(a.id) ?? paperIdFromUrl(a.getAttribute('href'), 'https://arxiv.org/');
      const dt = a.closest('dt');
      if (id && dt && !out.some((o) => o.container === dt)) out.push({ id, container: dt, ref: dt, where: 'append', title: dt });
    }
    return out;
  }

  // arxiv.org/abs/{id}: `citation_arxiv_id`, mark at the end of the title.
  function arxivAbs(doc, loc) {
    const meta = doc.head?.querySelector('[name~=citation_arxiv_id][content]');
    const id = canonicalId(meta?.content ?? '') ?? paperIdFromUrl(loc.href);
    const title = doc.querySelector('h1.title') ?? doc.querySelector('h1');
    // The dateline above the title ("[Submitted on …]") is a short line with room: no title line has to wrap.
    const dateline = doc.querySelector('#abs .dateline');
    const first = dateline && dateline.nextElementSibling === title ? dateline : title;
    return id && title ? [{ id, container: title, ref: first, where: 'append', title, alt: [title] }] : [];
  }

  // arxiv.org/html/{id}: the LaTeX-to-HTML page; mark at the end of the document title.
  function arxivHtml(doc, loc) {
    const id = paperIdFromUrl(loc.href);
    const title = doc.querySelector('h1.ltx_title_document, h1.ltx_title, h1');
    const authors = title?.parentElement?.querySelector('.ltx_authors');
    const alt = authors ? [authors] : [];
    return id && title ? [{ id, container: title, ref: title, where: 'append', title, alt }] : [];
  }

  // Any other (opted-in) site: each link to an arXiv or HF paper, marked right after the link.
  function anyLinks(doc, base) {
    const out = [];
    for (const a of doc.querySelectorAll('a[href*="arxiv.org/"], a[href*="huggingface.co/papers/"], a[href*="hf.co/papers/"]')) {
      const id = paperIdFromUrl(a.getAttribute('href'), base);
      if (id) out.push({ id, container: a, ref: a, where: 'after', title: a });
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
