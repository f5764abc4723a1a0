// The toolbar badge: how many new papers the daemon holds, or a quiet grey "off" when papertray does not answer
// (issue 17 item 4). Refreshed by an alarm, after state changes, and when a page's look-up fails or answers again.
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
    // One paper is enough: the answer carries the total.
    const { body } = await call(settings, 'papers?state=new&dismissed=exclude&limit=1');
    const count = Number.isInteger(body?.total) ? body.total : Array.isArray(body?.papers) ? body.papers.length : 0;
    text = count === 0 ? '' : count > SHOWN_MAX ? `${SHOWN_MAX}+` : String(count);
    title = count === 1 ? 'papertray: 1 new paper' : `papertray: ${count} new papers`;
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
