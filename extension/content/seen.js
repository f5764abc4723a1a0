// "Seen" means on screen for a moment: an IntersectionObserver starts a timer when at least half of a paper's
// element is visible; if it is still visible when the delay ends, the id joins a batch that is reported
// about once a second (and when the page is hidden).
(() => {
  'use strict';
  const BATCH_MS = 1000;

  /** `report(ids)` sends a batch; `delayMs` is how long a paper must stay visible. */
  function createSeenTracker(delayMs, report) {
    const timers = new Map(); // element -> timeout
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

    function seen(element) {
      timers.delete(element);
      const id = ids.get(element);
      if (!id) return;
      unwatch(element);
      pending.add(id);
      if (flushTimer === null) flushTimer = setTimeout(flush, BATCH_MS);
    }

    const observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const el = entry.target;
          if (entry.isIntersecting && !document.hidden) {
            if (!timers.has(el)) timers.set(el, setTimeout(() => seen(el), delayMs));
          } else if (timers.has(el)) {
            clearTimeout(timers.get(el));
            timers.delete(el);
          }
        }
      },
      { threshold: 0.5 },
    );

    function watch(element, id) {
      if (ids.has(element)) return;
      ids.set(element, id);
      observer.observe(element);
    }

    function unwatch(element) {
      observer.unobserve(element);
      ids.delete(element);
      if (timers.has(element)) clearTimeout(timers.get(element));
      timers.delete(element);
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
