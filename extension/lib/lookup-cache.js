// The worker's memory of the look-ups it just answered, so a page reloaded or revisited in the same tab gets its
// marks without waiting for the daemon (issue 17 item 5). Only ever an early answer: the content script asks again
// with `fresh` right after drawing, and that answer (from the daemon) corrects any mark that changed meanwhile.
// Keyed by tab, frame and URL (and the port and token it was asked with): a page is answered only from what the
// same address in the same tab was told, so how fast marks appear says nothing about other pages the user opened.
// Memory only: a restarted worker starts empty, and every write (save, seen, pairing, settings) empties it.

const TTL_MS = 60_000;
const MAX_PAGES = 64;
const pages = new Map(); // key -> {at, ids: Set, papers}

/** The key for a content script's look-up, or null when the sender is not a tab's frame (popup, tests, bench). */
export function cacheKey(settings, sender) {
  const tab = sender?.tab?.id;
  if (!Number.isInteger(tab) || !Number.isInteger(sender.frameId) || typeof sender.url !== 'string') return null;
  return JSON.stringify([settings.port, settings.token, tab, sender.frameId, sender.url.split('#')[0]]);
}

/** Everything remembered under `key` ({ids, papers}) when recent enough; otherwise null. */
export function recallPage(key, now = Date.now()) {
  const page = key === null ? undefined : pages.get(key);
  return page && now - page.at <= TTL_MS ? { ids: [...page.ids], papers: page.papers } : null;
}

/** The papers remembered under `key` when they cover every id and are recent enough; otherwise null. */
export function recall(key, ids, now = Date.now()) {
  const page = recallPage(key, now);
  if (!page || !ids.every((id) => page.ids.includes(id))) return null;
  return Object.fromEntries(ids.filter((id) => Object.hasOwn(page.papers, id)).map((id) => [id, page.papers[id]]));
}

export function remember(key, ids, papers, now = Date.now()) {
  if (key === null) return;
  pages.delete(key); // re-inserted last: the Map's order is the eviction order
  pages.set(key, { at: now, ids: new Set(ids), papers });
  for (const old of pages.keys()) {
    if (pages.size <= MAX_PAGES) break;
    pages.delete(old);
  }
}

export function forgetAll() {
  pages.clear();
}
