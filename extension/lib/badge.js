// The toolbar badge: how many new papers the daemon holds. Refreshed by an alarm and after state changes.
import { call } from './daemon-client.js';
import { readSettings } from './settings.js';

const SHOWN_MAX = 999;

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
    title = `papertray: ${error.message}`;
  }
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title });
  return text;
}
