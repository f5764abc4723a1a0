// The toolbar badge: how many papers are new today (the daemon's one definition, `Store.new_counts`). Refreshed by an alarm and after state changes.
import { call } from './daemon-client.js';
import { readSettings } from './settings.js';

const SHOWN_MAX = 999;

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
    title = `papertray: ${error.message}`;
  }
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title });
  return text;
}
