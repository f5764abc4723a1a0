// "Seen" means really on screen for a moment: an IntersectionObserver starts a timer when at least half of a
// paper's element is in view and visible (visibility.js: not transparent, covered, filtered or zero-size, so a
// page cannot report papers seen by hiding links to them); if it is still visible when the delay ends, the id
// joins a batch that is reported about once a second (and when the page is hidden).
(() => {
  'use strict';
  const { visibleNow, observer: visibilityObserver, entryVisible, TRACKS_VISIBILITY } = globalThis.PapertrayVisibility;
  const BATCH_MS = 1000;
  // Where the browser cannot report visibility changes (Firefox), an element in view but hidden is looked at
  // again this often: the observer says nothing when only its opacity or an overlay changes.
  const RECHECK_MS = 1000;
  // A title drawn smaller than this cannot be read, so it was not seen (a page may shrink links to probe with).
  const READABLE = { minWidth: 16, minHeight: 8 };

  /** `report(ids)` sends a batch; `delayMs` is how long a paper must stay visible. */
  function createSeenTracker(delayMs, report) {
    const timers = new Map(); // element -> timeout (the seen delay, or a re-check)
    const ids = new Map(); // element -> id
    const pending = new Set();
    let flushTimer = null;

    function flush() {
      if (flushTimer !== null) clearTimeout(flushTimer);
      flushTimer = null;
      if (pending.size === 0) return;
      const batch = [...pending];
      pending.clear();
      report(batch);
    }

    function stopTimer(element) {
      if (timers.has(element)) clearTimeout(timers.get(element));
      timers.delete(element);
    }

    function seen(element) {
      timers.delete(element);
      const id = ids.get(element);
      if (!id) return;
      if (!visibleNow(element, READABLE)) return recheckLater(element); // hidden meanwhile
      unwatch(element);
      pending.add(id);
      if (flushTimer === null) flushTimer = setTimeout(flush, BATCH_MS);
    }

    function recheckLater(element) {
      // With visibility tracking the observer reports the change itself.
      if (TRACKS_VISIBILITY || !ids.has(element) || document.hidden) return;
      timers.set(
        element,
        setTimeout(() => {
          timers.delete(element);
          if (visibleNow(element, READABLE)) timers.set(element, setTimeout(() => seen(element), delayMs));
          else recheckLater(element);
        }, RECHECK_MS),
      );
    }

    const observer = visibilityObserver(
      (entries) => {
        for (const entry of entries) {
          const el = entry.target;
          stopTimer(el);
          if (entryVisible(entry, READABLE)) timers.set(el, setTimeout(() => seen(el), delayMs));
          else if (entry.isIntersecting) recheckLater(el);
        }
      },
      [0.5],
    );

    function watch(element, id) {
      if (ids.has(element)) return;
      ids.set(element, id);
      observer.observe(element);
    }

    function unwatch(element) {
      observer.unobserve(element);
      ids.delete(element);
      stopTimer(element);
    }

    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) {
        // Re-arm: IntersectionObserver does not fire again for elements that stayed in view.
        for (const el of [...ids.keys()]) {
          observer.unobserve(el);
          observer.observe(el);
        }
        return;
      }
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      flush();
    });
    window.addEventListener('pagehide', flush);

    return { watch, unwatch, flush };
  }

  globalThis.PapertraySeen = Object.freeze({ createSeenTracker });
})();
