// The toolbar badge: how many new papers the daemon holds. Refreshed by an alarm and after state changes.
import { call } from './daemon-client.js';
import { readSettings } from './settings.js';

const LIMIT = 100;

export async function refreshBadge() {
  const settings = await readSettings();
  let text = '';
  let title = 'papertray';
  try {
    const { body } = await call(settings, `papers?state=new&limit=${LIMIT}`);
    const count = Array.isArray(body?.papers) ? body.papers.length : 0;
    text = count === 0 ? '' : count >= LIMIT ? `${LIMIT - 1}+` : String(count);
    title = count === 1 ? 'papertray: 1 new paper' : `papertray: ${count} new papers`;
  } catch (error) {
    title = `papertray: ${error.message}`;
  }
  await chrome.action.setBadgeText({ text });
  await chrome.action.setTitle({ title });
  return text;
}
