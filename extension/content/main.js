// The content script's driver: find papers, ask the service worker for their states, mark them, report the
// ones that were on screen long enough, and re-scan when a single-page app swaps its content. It never talks
// to the daemon and never sees the token. Not paired, it leaves the page untouched; paired but papertray not
// answering, every mark says "◌ Off" until it answers again (issue 17 item 4).
// Every paper found gets a mark, known to papertray or not: whether a mark appears must not tell a page which ids
// the library holds (issue 11 item 1). Nothing reaches the page's own timeline or globals: the end of the first
// pass is reported to the service worker, where tests and the benchmark read it.
(() => {
  'use strict';
  if (globalThis.__papertrayContentLoaded) return; // the manifest and an opt-in registration may both inject
  globalThis.__papertrayContentLoaded = true;

  const { findPapers, pagePaper } = globalThis.PapertrayHooks;
  const { createMark, plan } = globalThis.PapertrayMarks;
  const { createSeenTracker } = globalThis.PapertraySeen;
  const { dimmablePage, applyDim } = globalThis.PapertrayDim;

  const entries = new Map(); // id -> [{occurrence, mark|null}]
  const handled = new WeakMap(); // container -> Set(ids) already looked at
  let config = { seenDelayMs: 1500, dimRanked: false };
  // Papers that were new when this visit first showed them keep showing "New" after they are recorded as seen,
  // until the user saves or reads one here.
  const newThisVisit = new Set();
  let tracker = null;
  let lastUrl = location.href;
  let needsRetry = false;
  let lastRefresh = Date.now();
  const REFRESH_GAP_MS = 2000;
  let refreshTimer = null;
  let firstDone = false;
  let scanTimer = null;

  function send(message) {
    // A reloaded or removed extension leaves this script orphaned: stay quiet rather than throw.
    try {
      return chrome.runtime.sendMessage(message).catch(() => null);
    } catch {
      return Promise.resolve(null);
    }
  }

  /** The state a mark shows for `paper`. */
  function shownState(id, paper) {
    if (paper.state === 'new') newThisVisit.add(id);
    return paper.state === 'seen' && newThisVisit.has(id) ? 'new' : paper.state;
  }

  async function toggle(id, wantSaved) {
    newThisVisit.delete(id);
    const reply = await send({ type: 'save', id, saved: wantSaved });
    if (!reply?.ok) {
      if (!reply || OFF_KINDS.has(reply.kind)) showOffline();
      throw new Error(reply?.error ?? 'papertray did not answer.');
    }
    apply({ [id]: reply.paper });
    return reply.paper;
  }

  const reported = new Set(); // ids this visit reported seen: not watched again
  function reportSeen(ids) {
    for (const id of ids) reported.add(id);
    send({ type: 'seen', ids }).then((reply) => {
      if (!reply?.ok) for (const id of ids) reported.delete(id);
      // The marks keep "New" for the rest of the visit (shownState); the stored state is what changed.
      const changed = {};
      for (const id of ids) {
        const paper = (entries.get(id) ?? []).find((e) => e.paper)?.paper;
        if (reply?.ok && paper && paper.state === 'new') changed[id] = { ...paper, state: 'seen' };
      }
      apply(changed);
    });
  }

  function ensureTracker() {
    if (!tracker) tracker = createSeenTracker(config.seenDelayMs, reportSeen);
    return tracker;
  }

  // papertray stopped answering: every mark says so (the same mark, state "offline"), keeping what it last knew
  // of each paper; the next look-up that answers puts the states back. Looked again every RETRY_MS meanwhile.
  const OFF_KINDS = new Set(['offline', 'foreign', 'incompatible']);
  const RETRY_MS = 10000;
  let retryTimer = null;
  function showOffline() {
    needsRetry = true;
    const papers = {};
    for (const [id, list] of entries) papers[id] = list.find((e) => e.paper)?.paper ?? { state: 'unknown' };
    apply(papers, 'offline');
    retryTimer ??= setTimeout(() => {
      retryTimer = null;
      refresh();
    }, RETRY_MS);
  }

  /** Show `papers` ({id: view}) on every occurrence we know of; `override` is the state every mark shows instead
   *  (papertray off). */
  function apply(papers, override = null) {
    // Where the new marks go is read from the page first, for all of them, and only then are they put in: one
    // layout of the page for the whole batch, not one per mark.
    const fresh = [];
    for (const [id, paper] of Object.entries(papers)) {
      if (!paper) continue;
      for (const entry of entries.get(id) ?? []) if (!entry.mark) fresh.push(entry);
    }
    const plans = fresh.map((entry) => plan(entry.occurrence));
    const made = new Set(fresh);
    fresh.forEach((entry, i) => {
      // Drawn before it goes in, so the page lays it out once, as it will stay.
      const paper = papers[entry.occurrence.id];
      entry.mark = createMark(entry.occurrence.id, toggle, plans[i]);
      entry.mark.update(paper, override ?? shownState(entry.occurrence.id, paper));
      entry.mark.place(entry.occurrence, plans[i]);
    });
    for (const [id, paper] of Object.entries(papers)) {
      if (!paper) continue;
      const shown = override ?? shownState(id, paper);
      for (const entry of entries.get(id) ?? []) {
        if (!made.has(entry)) entry.mark.update(paper, shown); // a mark made above is drawn already
        if (override) continue;
        entry.paper = paper;
        // Seen means its title was visible: the heading or link the mark sits by, not just some of its card
        // (a page can cover a card's title with the card's own ::after). A dimmed card's title is drawn
        // translucent, which no visibility check passes: its opaque mark, in the title's column, stands in.
        const wasDimmed = Boolean(entry.dimmed);
        const dimmed = applyDim(entry, paper, config.dimRanked && dimmablePage(location));
        const target = dimmed ? entry.mark.host : entry.occurrence.title;
        if (tracker && wasDimmed !== dimmed) tracker.unwatch(dimmed ? entry.occurrence.title : entry.mark.host);
        if (paper.state === 'new' && !reported.has(id)) ensureTracker().watch(target, id);
        else if (tracker) tracker.unwatch(target);
      }
    }
  }

  function collectNew() {
    const fresh = [];
    for (const occurrence of findPapers(document, location)) {
      let ids = handled.get(occurrence.container);
      if (!ids) handled.set(occurrence.container, (ids = new Set()));
      if (ids.has(occurrence.id)) continue;
      ids.add(occurrence.id);
      const entry = { occurrence, mark: null, paper: null, dimmed: null };
      if (!entries.has(occurrence.id)) entries.set(occurrence.id, []);
      entries.get(occurrence.id).push(entry);
      fresh.push(entry);
    }
    return fresh;
  }

  /** Put back marks a re-render removed, and forget cards that left the page. */
  function repair() {
    for (const [id, list] of entries) {
      const kept = list.filter((e) => e.occurrence.container.isConnected);
      for (const e of list) if (!kept.includes(e) && e.mark) e.mark.remove();
      for (const e of kept) {
        if (e.mark && !e.mark.host.isConnected) e.mark.place(e.occurrence);
      }
      if (kept.length) entries.set(id, kept);
      else entries.delete(id);
    }
  }

  // Hugging Face list pages carry their papers as JSON on the hydration element, which the parser meets before
  // the cards: asking about those ids then, while the rest of the page streams in, takes the look-up off the
  // critical path (reference/feeds.md §3.1). Used once, by the first scan, if it covers that scan's ids.
  let early = null; // {ids: Set, sent: ms, reply: Promise}
  // A reload of a page this tab just showed: the worker's memory of it (lookup-cache.js), asked at document_start
  // so the answer can come while the page is still parsed. Only the ids then found on the page are used from it.
  let remembered = null; // Promise of a look-up reply

  // For the benchmark (through the worker, never the page): how long the first look-up took as this page saw it,
  // from the message sent to its answer, and how long drawing its marks took.
  const firstPass = { waited: null, drew: null };

  function prefetch(element) {
    let ids = [];
    try {
      const props = JSON.parse(element.getAttribute('data-props') ?? '{}');
      const list = Array.isArray(props.dailyPapers) ? props.dailyPapers : [];
      ids = list.map((entry) => entry?.paper?.id).filter((id) => globalThis.PapertrayIds.isCanonicalId(id));
    } catch {
      return;
    }
    if (ids.length === 0 || ids.length > 500) return;
    // With the memory asked already, this one is the daemon's answer that follows it.
    const fresh = remembered !== null;
    const sent = performance.now();
    early = { ids: new Set(ids), sent, reply: send({ type: 'lookup', ids: [...new Set(ids)], fresh }) };
  }

  function watchForHydration() {
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (node.nodeType === 1 && node.getAttribute('data-target') === 'DailyPapers') {
            observer.disconnect();
            prefetch(node);
            return;
          }
        }
      }
    });
    observer.observe(document, { childList: true, subtree: true });
    document.addEventListener('DOMContentLoaded', () => observer.disconnect(), { once: true });
  }

  /** Mark `ids` from a look-up's `reply`; false when papertray did not answer (or is not paired). */
  function show(ids, reply) {
    if (!reply?.ok || !reply.online) {
      needsRetry = true;
      // Not paired: the page stays untouched. Not answering: the marks say so instead of vanishing.
      if (reply?.ok && reply.reason === 'offline') showOffline();
      return false;
    }
    needsRetry = false;
    config = { seenDelayMs: Number(reply.seenDelayMs) || 0, dimRanked: reply.dimRanked === true };
    const papers = {};
    for (const id of ids) papers[id] = reply.papers[id] ?? { state: 'unknown', saved: false, read: false };
    const drawing = performance.now();
    apply(papers);
    firstPass.drew ??= performance.now() - drawing;
    return true;
  }

  async function lookup(ids, fresh = false) {
    const pending = fresh ? null : early;
    const memory = fresh ? null : remembered;
    if (!fresh) early = remembered = null;
    const covered = pending && ids.every((id) => pending.ids.has(id));
    const sent = covered ? pending.sent : performance.now();
    const asked = covered ? pending.reply : null;
    // The worker's memory of this page, asked at document_start, if it knew every id found here.
    const known = memory ? await memory : null;
    const fromMemory = Boolean(
      known?.ok && known.online && Array.isArray(known.ids) && ids.every((id) => known.ids.includes(id)),
    );
    const reply = fromMemory ? known : await (asked ?? send({ type: 'lookup', ids, fresh }));
    firstPass.waited ??= performance.now() - sent;
    const shown = show(ids, reply);
    // Drawn from the worker's memory of this page: the daemon's own answer follows and corrects what changed.
    if (reply?.cached) (asked ?? send({ type: 'lookup', ids, fresh: true })).then((next) => show(ids, next));
    return shown;
  }

  async function scan() {
    scanTimer = null;
    if (location.href !== lastUrl) lastUrl = location.href;
    repair();
    const fresh = collectNew();
    const ids = [...new Set(fresh.map((e) => e.occurrence.id))];
    if (ids.length) {
      for (let i = 0; i < ids.length; i += 500) await lookup(ids.slice(i, i + 500));
    }
    if (!firstDone) {
      firstDone = true;
      let marked = 0;
      for (const list of entries.values()) marked += list.filter((e) => e.mark).length;
      // The benchmark and tests read this (through the service worker): when the first pass over the page
      // finished, in this document's clock. `origin` tells one load of a URL from the next.
      const at = performance.now();
      send({ type: 'marked', marked, ids: ids.length, at, origin: performance.timeOrigin, ...firstPass });
    }
  }

  function scheduleScan() {
    if (scanTimer === null) scanTimer = setTimeout(scan, location.href !== lastUrl ? 0 : 60);
  }

  // Back on this tab: look again, so what changed elsewhere (the reading list, another tab, the CLI) shows,
  // and marks come back after papertray was down. At most once every few seconds: focus events come in bursts.
  async function refresh() {
    if (document.hidden || !entries.size) return;
    const wait = needsRetry ? 0 : REFRESH_GAP_MS - (Date.now() - lastRefresh);
    if (wait > 0) {
      // Too soon after the last look: look once more when the gap is over, so the latest change still shows.
      refreshTimer ??= setTimeout(() => {
        refreshTimer = null;
        refresh();
      }, wait);
      return;
    }
    lastRefresh = Date.now();
    await lookup([...entries.keys()], true); // a look again is for what changed: never from the worker's memory
  }

  // Only the service worker messages content scripts (pages cannot reach chrome.runtime of another extension).
  chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (sender.id !== chrome.runtime.id) return false;
    if (message?.type === 'papertray:state' && message.papers && typeof message.papers === 'object') {
      apply(Object.fromEntries(Object.entries(message.papers).filter(([id]) => entries.has(id))));
    } else if (message?.type === 'papertray:pagePaper') {
      sendResponse({ id: pagePaper(document, location) });
    }
    return false;
  });

  function start() {
    new MutationObserver(scheduleScan).observe(document.documentElement, { childList: true, subtree: true });
    window.addEventListener('popstate', scheduleScan);
    document.addEventListener('visibilitychange', refresh);
    window.addEventListener('focus', refresh);
    scan();
  }

  // The manifest injects at document_start so the first scan runs the moment the DOM is complete (a
  // document_end script may start tens of milliseconds later); opt-in registrations inject when idle.
  if (document.readyState === 'loading') {
    remembered = send({ type: 'lookup', ids: [], remembered: true });
    if (location.hostname === 'huggingface.co' && !globalThis.PapertrayIds.paperIdFromUrl(location.href)) {
      watchForHydration();
    }
    document.addEventListener('DOMContentLoaded', start, { once: true });
  }
  else start();
})();
