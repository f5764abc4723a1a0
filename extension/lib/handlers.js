// What each message does. Content scripts get look-ups, seen reports and save/unsave; everything else is for
// papertray's own pages (router.js enforces `pageOnly`). Every handler reads settings from storage, so a
// service-worker restart loses nothing; the only memory, of recent look-ups, is an early answer (lookup-cache.js).
import { baseUrl, call, DaemonError, paperPath } from './daemon-client.js';
import { readSettings, writeSettings, saveToken, clearToken, DEFAULTS } from './settings.js';
import { OFF_TEXT, refreshBadge, showOffline } from './badge.js';
import { syncSites } from './sites.js';
import { cacheKey, forgetAll, recall, recallPage, remember } from './lookup-cache.js';
import './paper-id.js';

const { isCanonicalId } = globalThis.PapertrayIds;
const MAX_IDS = 500;

function checkIds(ids) {
  if (!Array.isArray(ids) || ids.length > MAX_IDS) throw new DaemonError('http', `Send from 1 to ${MAX_IDS} ids.`);
  const clean = [...new Set(ids.filter((id) => isCanonicalId(id)))];
  return clean;
}

function checkId(id) {
  if (!isCanonicalId(id)) throw new DaemonError('http', 'That is not an arXiv paper id.');
  return id;
}

/** Tell every tab showing marks that some papers changed (no `tabs` permission needed to message a tab). */
async function broadcast(papers) {
  const tabs = await chrome.tabs.query({});
  await Promise.all(
    tabs.map((tab) => chrome.tabs.sendMessage(tab.id, { type: 'papertray:state', papers }).catch(() => undefined)),
  );
}

async function lookup(settings, ids) {
  const { body } = await call(settings, 'lookup', { method: 'POST', body: { ids } });
  return body && typeof body.papers === 'object' && body.papers !== null ? body.papers : {};
}

/** Save or unsave one paper, then tell pages and the badge. Used by cards, popup, context menu and shortcut. */
export async function setSaved(id, saved) {
  const settings = await readSettings();
  checkId(id);
  forgetAll();
  await call(settings, `${paperPath(id)}/save`, { method: saved ? 'POST' : 'DELETE', body: saved ? {} : undefined });
  const papers = await lookup(settings, [id]);
  const paper = papers[id] ?? { state: saved ? 'saved' : 'seen', saved };
  await broadcast({ [id]: paper });
  refreshBadge().catch(() => undefined);
  return paper;
}

/** After a look-up answered: if the toolbar still says papertray is off, count again (not awaited: the page's
 *  marks do not wait for the badge). */
function showOnline() {
  chrome.action
    .getBadgeText({})
    .then((text) => (text === OFF_TEXT ? refreshBadge() : undefined))
    .catch(() => undefined);
}

export async function daemonStatus() {
  const settings = await readSettings();
  const base = { port: settings.port };
  let version = '';
  try {
    ({ version } = await call(settings, 'health', { auth: false }));
  } catch (error) {
    return { ...base, state: error.kind === 'incompatible' ? 'incompatible' : 'offline', kind: error.kind, message: error.message };
  }
  if (!settings.token) {
    return { ...base, version, state: 'unpaired', message: 'papertray is running but this browser is not paired yet.' };
  }
  try {
    const { body } = await call(settings, 'status');
    return { ...base, version, state: 'running', message: `papertray ${version} is running.`, status: body };
  } catch (error) {
    if (error.kind === 'unauthorized') {
      return { ...base, version, state: 'unpaired', message: 'papertray no longer accepts this browser: pair again.' };
    }
    return { ...base, version, state: error.kind === 'incompatible' ? 'incompatible' : 'offline', message: error.message };
  }
}

async function openLibraryPage(body) {
  const settings = await readSettings();
  const { body: answer } = await call(settings, 'library/login', { method: 'POST', body });
  const url = typeof answer?.url === 'string' ? answer.url : '';
  if (!url.startsWith(new URL('/library/login?once=', baseUrl(settings.port)).href)) {
    throw new DaemonError('http', 'papertray sent an unexpected reading-list link; update papertray.');
  }
  await chrome.tabs.create({ url });
  return { opened: true };
}

export const TABLE = {
  // ---- content scripts (and pages) ----
  lookup: {
    pageOnly: false,
    async handle(message, sender) {
      const settings = await readSettings();
      const page = { seenDelayMs: settings.seenDelayMs, dimRanked: settings.dimRanked === true };
      const ids = checkIds(message.ids);
      if (!settings.token) return { online: false, reason: 'unpaired', papers: {}, ...page };
      // A reload of the page this tab just showed is answered at once, from what this tab, frame and address were
      // last told (before the page is parsed: `remembered`, all of it); the content script then asks again with
      // `fresh`, which always goes to the daemon (lookup-cache.js).
      const key = cacheKey(settings, sender);
      if (message.remembered === true) {
        const last = recallPage(key);
        if (!last) return { online: false, reason: 'nothing', papers: {}, ...page };
        return { online: true, cached: true, ...last, ...page };
      }
      if (ids.length === 0) return { online: false, reason: 'nothing', papers: {}, ...page };
      const known = message.fresh === true ? null : recall(key, ids);
      if (known) return { online: true, cached: true, papers: known, ...page };
      try {
        const papers = await lookup(settings, ids);
        remember(key, ids, papers);
        showOnline();
        return { online: true, papers, ...page };
      } catch (error) {
        // The daemon being down is a normal state: the marks and the toolbar say so, quietly (issue 17 item 4).
        showOffline(error).catch(() => undefined);
        return { online: false, reason: 'offline', papers: {}, kind: error.kind, ...page };
      }
    },
  },
  seen: {
    pageOnly: false,
    async handle(message) {
      const settings = await readSettings();
      const ids = checkIds(message.ids);
      if (ids.length === 0) return { reported: 0 };
      forgetAll();
      await call(settings, 'seen', { method: 'POST', body: { ids } });
      refreshBadge().catch(() => undefined);
      return { reported: ids.length };
    },
  },
  save: {
    pageOnly: false,
    async handle(message) {
      return { paper: await setSaved(message.id, message.saved !== false) };
    },
  },
  // A content script finished its first pass over a page. Kept in storage.session (never readable by the page, and
  // gone with the browser session) for the tests and the marking benchmark; the page's own performance timeline
  // would tell every page that papertray is installed.
  marked: {
    pageOnly: false,
    async handle(message, sender) {
      const tab = sender?.tab?.id;
      if (!Number.isInteger(tab) || sender.frameId !== 0) return { kept: false };
      const pass = {
        url: String(sender.url ?? '').slice(0, 2048),
        origin: Number(message.origin) || 0,
        at: Number(message.at) || 0,
        marked: Number(message.marked) || 0,
        ids: Number(message.ids) || 0,
        waited: Number(message.waited) || 0,
        drew: Number(message.drew) || 0,
      };
      await chrome.storage.session.set({ [`marked:${tab}`]: pass });
      return { kept: true };
    },
  },
  // ---- papertray's own pages only ----
  status: { pageOnly: true, handle: () => daemonStatus() },
  pair: {
    pageOnly: true,
    async handle(message) {
      const code = typeof message.code === 'string' ? message.code.trim() : '';
      if (!code || code.length > 64) throw new DaemonError('http', 'Type the code that `papertray pair` printed.');
      const settings = await readSettings();
      const { body } = await call(settings, 'pair', { method: 'POST', body: { code }, auth: false });
      if (!body || typeof body.token !== 'string' || !body.token) {
        throw new DaemonError('http', 'papertray did not send a token back; try `papertray pair` again.');
      }
      await saveToken(body.token);
      forgetAll();
      refreshBadge().catch(() => undefined);
      return { paired: true };
    },
  },
  unpair: {
    pageOnly: true,
    async handle() {
      await clearToken();
      forgetAll();
      await refreshBadge();
      return { paired: false };
    },
  },
  getSettings: {
    pageOnly: true,
    async handle() {
      const { token, ...settings } = await readSettings();
      return { settings, paired: Boolean(token), defaults: { ...DEFAULTS, token: undefined } };
    },
  },
  setSettings: {
    pageOnly: true,
    async handle(message) {
      const clean = await writeSettings(message.settings ?? {});
      forgetAll();
      const granted = 'sites' in clean ? await syncSites() : undefined;
      if ('port' in clean) refreshBadge().catch(() => undefined);
      return { saved: clean, granted };
    },
  },
  papers: {
    pageOnly: true,
    async handle(message) {
      const settings = await readSettings();
      const params = new URLSearchParams();
      if (['new', 'seen', 'saved', 'read', 'all'].includes(message.state)) params.set('state', message.state);
      if (typeof message.since === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(message.since)) params.set('since', message.since);
      params.set('limit', String(Math.min(Math.max(Number(message.limit) || 20, 1), 200)));
      if (typeof message.cursor === 'string' && message.cursor.length < 200) params.set('cursor', message.cursor);
      if (['include', 'exclude', 'only'].includes(message.dismissed)) params.set('dismissed', message.dismissed);
      const { body } = await call(settings, `papers?${params}`);
      const papers = Array.isArray(body?.papers) ? body.papers : [];
      return {
        papers,
        nextCursor: body?.next_cursor ?? null,
        total: Number.isInteger(body?.total) ? body.total : papers.length,
      };
    },
  },
  // Full-text search over every paper the daemon has seen (its search index); the query is passed as text.
  search: {
    pageOnly: true,
    async handle(message) {
      const settings = await readSettings();
      const q = typeof message.q === 'string' ? message.q.slice(0, 500) : '';
      const params = new URLSearchParams({ q, limit: String(Math.min(Math.max(Number(message.limit) || 10, 1), 50)) });
      const { body } = await call(settings, `search?${params}`);
      const results = Array.isArray(body?.results) ? body.results : [];
      return { results, total: Number.isInteger(body?.total) ? body.total : results.length };
    },
  },
  // The "For you" list: the daemon's ranking of the newest day's unread papers, best first, each with its why.
  forYou: {
    pageOnly: true,
    async handle(message) {
      const settings = await readSettings();
      const params = new URLSearchParams({ limit: String(Math.min(Math.max(Number(message.limit) || 5, 1), 50)) });
      const { body } = await call(settings, `rank?${params}`);
      const papers = Array.isArray(body?.papers) ? body.papers : [];
      const status = body?.status && typeof body.status === 'object' ? body.status : {};
      return { papers, status, since: typeof body?.since === 'string' ? body.since : '' };
    },
  },
  refreshBadge: { pageOnly: true, handle: async () => ({ text: await refreshBadge() }) },
  // The reading list is papertray's own page: a one-time login link sets its session cookie, so the token
  // never reaches that page or its URL bar.
  openReadingList: {
    pageOnly: true,
    handle: () => openLibraryPage({}),
  },
  // The matches inbox: the new papers your rules matched (the same one-time login, `view: 'inbox'`).
  openInbox: {
    pageOnly: true,
    handle: () => openLibraryPage({ view: 'inbox' }),
  },
};
