// Opt-in dimming of the day's bottom half by the user's ranking (issue 14), on Hugging Face and arXiv lists: a
// card whose `rank` (0..1 within its day, from the daemon's look-up) is below one half is drawn at DIM_OPACITY.
// Everything in the card is dimmed except the mark and the elements it sits in, so the mark stays opaque, takes
// clicks and reports what it reports on any other card; the seen report of a dimmed card follows its mark.
//
// What the page can learn (and why this is off by default): the opacity is set on the page's own elements, so a
// page can read it (getComputedStyle, or an IntersectionObserver tracking visibility) and learn which of its cards
// are in the user's bottom half; one bit per card, where the marks tell it nothing at all (every mark is the same
// span whatever the state or rank, its words and its "★ for you" inside a closed shadow root). The rank itself, the
// `why` and which cards are "for you" stay inside the marks. Nothing is dimmed on opted-in sites or paper pages.
(() => {
  'use strict';
  const DIM_OPACITY = '0.45';
  const HALF = 0.5;

  /** Whether this page is a list the user can have dimmed. */
  function dimmablePage(loc) {
    const host = loc.hostname.toLowerCase();
    if (host === 'arxiv.org' || host === 'www.arxiv.org') return loc.pathname.startsWith('/list/');
    if (host !== 'huggingface.co' && host !== 'www.huggingface.co') return false;
    return loc.pathname.startsWith('/papers') && !globalThis.PapertrayIds.paperIdFromUrl(loc.href);
  }

  const inBottomHalf = (paper) => typeof paper?.rank === 'number' && paper.rank >= 0 && paper.rank < HALF;

  /** The elements to dim for an occurrence whose mark is `host`: the container's content minus the mark's chain,
   *  and on arXiv the entry's <dd> that belongs to its <dt>. */
  function targets(occurrence, host) {
    const out = [];
    const { container } = occurrence;
    if (container.contains(host)) {
      for (let node = host; node !== container && node.parentElement; node = node.parentElement) {
        for (const sibling of node.parentElement.children) if (sibling !== node) out.push(sibling);
      }
    } else out.push(container);
    const next = container.nextElementSibling;
    if (container.tagName === 'DT' && next?.tagName === 'DD') out.push(next);
    return out;
  }

  /** Dim or undim `entry` ({occurrence, mark, dimmed}) for `paper`, when `on` (the setting) allows it. */
  function applyDim(entry, paper, on) {
    const want = on && inBottomHalf(paper) && entry.mark !== null;
    if (want && !entry.dimmed) {
      entry.dimmed = targets(entry.occurrence, entry.mark.host).map((node) => {
        const saved = { node, value: node.style.getPropertyValue('opacity'), priority: node.style.getPropertyPriority('opacity') };
        node.style.setProperty('opacity', DIM_OPACITY, 'important');
        return saved;
      });
    } else if (!want && entry.dimmed) {
      for (const { node, value, priority } of entry.dimmed) {
        if (value) node.style.setProperty('opacity', value, priority);
        else node.style.removeProperty('opacity');
      }
      entry.dimmed = null;
    }
    return Boolean(entry.dimmed);
  }

  globalThis.PapertrayDim = Object.freeze({ dimmablePage, applyDim, DIM_OPACITY });
})();
