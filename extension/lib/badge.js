// The toolbar badge: how many papers are new today (the daemon's one definition, `Store.new_counts`), or a quiet
// grey "off" when papertray does not answer (issue 17 item 4). Refreshed by an alarm, after state changes, and
// when a page's look-up fails or answers again.
import { call } from './daemon-client.js';
import { readSettings } from './settings.js';

const SHOWN_MAX = 999;
export const OFF_TEXT = 'off';
const COUNT_COLOUR = '#1a73e8';
const OFF_COLOUR = '#80868b';
// Kinds of failure that mean "papertray is not there to ask" (not "this browser is not paired").
const OFF_KINDS = new Set(['offline', 'foreign', 'incompatible']);

/** Say on the toolbar that papertray is not answering; `error` is the DaemonError that said so. */
export async function showOffline(error) {
  if (!OFF_KINDS.has(error?.kind)) return;
  await chrome.action.setBadgeBackgroundColor({ color: OFF_COLOUR });
  await chrome.action.setBadgeText({ text: OFF_TEXT });
  await chrome.action.setTitle({ title: `papertray: ${error.message}` });
}

export async function refreshBadge() {
  const settings = await readSettings();
  let text = '';
  let title = 'papertray';
  try {
    // "New today" as the daemon defines it for every surface (tray, badge, popup, `papertray status`).
    const { body } = await call(settings, 'status');
    const count = Number.isInteger(body?.new?.today) ? body.new.today : 0;
    const unseen = Number.isInteger(body?.new?.unseen) ? body.new.unseen : 0;
    text = count === 0 ? '' : count > SHOWN_MAX ? `${SHOWN_MAX}+` : String(count);
    title = `papertray: ${count === 1 ? '1 new paper' : `${count} new papers`} today · ${unseen} unseen in all`;
  } catch (error) {
    if (OFF_KINDS.has(error.kind) && settings.token) {
      await showOffline(error);
      return OFF_TEXT;
    }
    title = `papertray: ${error.message}`;
  }
  await chrome.action.setBadgeBackgroundColor({ color: COUNT_COLOUR });
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title });
  return text;
}
