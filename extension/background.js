// The service worker: registers every listener at top level and dispatches. It is the only part of the
// extension that talks to the daemon, and it keeps no state only in memory (settings live in chrome.storage.local,
// the token in the vault, the badge refresh in chrome.alarms; recent look-ups are only an early answer), so the
// browser may stop it at any moment.
import { createRouter } from './lib/router.js';
import { TABLE, setSaved } from './lib/handlers.js';
import { refreshBadge } from './lib/badge.js';
import { restrictStorage } from './lib/settings.js';
import { syncSites } from './lib/sites.js';
import { forgetAll as forgetLookups } from './lib/lookup-cache.js';
import './lib/paper-id.js';

const { paperIdFromUrl } = globalThis.PapertrayIds;
const BADGE_ALARM = 'papertray-badge';
const MENU_LINK = 'papertray-save-link';
const MENU_PAGE = 'papertray-save-page';
const PAPER_URLS = [
  'https://arxiv.org/abs/*',
  'https://arxiv.org/pdf/*',
  'https://arxiv.org/html/*',
  'https://huggingface.co/papers/*',
];

const dispatch = createRouter(TABLE, chrome.runtime.getURL(''));

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  dispatch(message, sender).then(sendResponse);
  return true; // keep the channel open for the async answer
});

async function setUp() {
  await restrictStorage();
  await chrome.alarms.create(BADGE_ALARM, { periodInMinutes: 5, delayInMinutes: 0.5 });
  await chrome.contextMenus.removeAll();
  chrome.contextMenus.create({
    id: MENU_LINK,
    title: 'Save to papertray',
    contexts: ['link'],
    targetUrlPatterns: PAPER_URLS,
  });
  chrome.contextMenus.create({
    id: MENU_PAGE,
    title: 'Save this paper to papertray',
    contexts: ['page'],
    documentUrlPatterns: PAPER_URLS,
  });
  await syncSites().catch(() => undefined);
  await refreshBadge();
}

chrome.runtime.onInstalled.addListener((details) => {
  setUp().catch(() => undefined);
  // A new install opens the options page, where pairing starts (issue 17 item 9); updates and reloads do not.
  if (details?.reason === 'install') chrome.runtime.openOptionsPage().catch(() => undefined);
});

chrome.runtime.onStartup.addListener(() => {
  restrictStorage()
    .then(refreshBadge)
    .catch(() => undefined);
});

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === BADGE_ALARM) refreshBadge().catch(() => undefined);
});

/** Save the paper a link or page points at; the badge says how it went (no notifications permission). */
async function saveFromUrl(url) {
  const id = paperIdFromUrl(url ?? '');
  if (!id) {
    await chrome.action.setTitle({ title: 'papertray: this is not a paper page.' });
    return { ok: false, error: 'This is not an arXiv or Hugging Face paper.' };
  }
  try {
    const paper = await setSaved(id, true);
    await chrome.action.setTitle({ title: `papertray: saved ${id}` });
    return { ok: true, id, paper };
  } catch (error) {
    await chrome.action.setBadgeText({ text: '!' });
    await chrome.action.setTitle({ title: `papertray: could not save ${id}. ${error.message}` });
    return { ok: false, id, error: error.message };
  }
}

async function onMenuClick(info, tab) {
  if (info.menuItemId === MENU_LINK) return saveFromUrl(info.linkUrl);
  if (info.menuItemId === MENU_PAGE) return saveFromUrl(info.pageUrl ?? tab?.url);
  return { ok: false, error: 'Unknown menu item.' };
}

async function onCommand(command, tab) {
  if (command !== 'save-paper') return { ok: false, error: 'Unknown command.' };
  const active = tab ?? (await chrome.tabs.query({ active: true, lastFocusedWindow: true }))[0];
  if (!active) return saveFromUrl('');
  // The shortcut grants activeTab, so the URL is usually there; otherwise the page's content script knows which
  // paper it shows (and on an arXiv abs page it reads citation_arxiv_id, which beats the URL anyway).
  const fromPage = await chrome.tabs.sendMessage(active.id, { type: 'papertray:pagePaper' }).catch(() => null);
  return saveFromUrl(fromPage?.id ? `https://arxiv.org/abs/${fromPage.id}` : active.url);
}

chrome.contextMenus.onClicked.addListener((info, tab) => {
  onMenuClick(info, tab).catch(() => undefined);
});

chrome.commands.onCommand.addListener((command, tab) => {
  onCommand(command, tab).catch(() => undefined);
});

// The service worker's global scope is unreachable from web pages; tests drive the menu and shortcut through
// these the way Chrome would call them, and the benchmark empties the look-up memory to time the daemon's answer.
globalThis.papertray = Object.freeze({ onMenuClick, onCommand, dispatch, forgetLookups });
