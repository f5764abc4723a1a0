// The message router: a table of named handlers and who may call each. Content scripts may only ask what a
// page needs (look up, report seen, save/unsave one paper); pairing, settings and lists answer extension pages
// only. A handler resolves to a plain object; failures become `{ok: false, kind, error}` so no page ever sees
// an uncaught rejection.

/** True when the message comes from one of our own pages (popup, options, reading list), not a web page. */
export function fromExtensionPage(sender, extensionOrigin) {
  if (!sender || typeof sender.url !== 'string') return false;
  if (!sender.url.startsWith(extensionOrigin)) return false;
  // A content script's sender always has a tab whose page is a web page; our own pages opened in a tab have a
  // tab whose URL is ours. When the tab's URL is hidden from us, fall back on sender.origin.
  if (sender.tab) {
    const tabUrl = sender.tab.url ?? sender.origin ?? '';
    return tabUrl.startsWith(extensionOrigin.replace(/\/$/, ''));
  }
  return true;
}

/**
 * `table`: { name: { handle(message, sender) -> Promise<object>, pageOnly: boolean } }.
 * Returns dispatch(message, sender) -> Promise<object>, which never rejects.
 */
export function createRouter(table, extensionOrigin) {
  return async function dispatch(message, sender) {
    const type = message && typeof message.type === 'string' ? message.type : '';
    const entry = Object.hasOwn(table, type) ? table[type] : null;
    if (!entry) return { ok: false, kind: 'refused', error: `Unknown message "${type.slice(0, 40)}".` };
    if (entry.pageOnly && !fromExtensionPage(sender, extensionOrigin)) {
      return { ok: false, kind: 'refused', error: `"${type}" is only accepted from papertray's own pages.` };
    }
    try {
      const result = await entry.handle(message, sender);
      return { ok: true, ...result };
    } catch (error) {
      return { ok: false, kind: error?.kind ?? 'error', error: String(error?.message ?? error) };
    }
  };
}
