// Opt-in sites: any other site where links to arXiv or HF papers get the same marks. The options page asks for
// the host permission (permissions.request needs a user gesture); here we register the content scripts for the
// sites that are both chosen and granted.
import { readSettings } from './settings.js';

export const SCRIPT_ID = 'papertray-opt-in';
/**
 * The scripts an opted-in site gets: the same, in the same order, as the manifest's one `content_scripts` entry
 * declares for the built-in sites (extension/tests/sites.test.js holds the two together). Written out rather than
 * read from `runtime.getManifest()`, which Firefox hands back in a form `registerContentScripts` does not take.
 */
export const CONTENT_JS = Object.freeze([
  'lib/paper-id.js',
  'content/page-hooks.js',
  'content/visibility.js',
  'content/marks.js',
  'content/seen.js',
  'content/dim.js',
  'content/main.js',
]);

export async function syncSites() {
  const { sites } = await readSettings();
  const granted = [];
  for (const origin of sites) {
    if (await chrome.permissions.contains({ origins: [origin] })) granted.push(origin);
  }
  const existing = await chrome.scripting.getRegisteredContentScripts({ ids: [SCRIPT_ID] });
  if (existing.length) await chrome.scripting.unregisterContentScripts({ ids: [SCRIPT_ID] });
  if (granted.length) {
    await chrome.scripting.registerContentScripts([
      { id: SCRIPT_ID, matches: granted, js: [...CONTENT_JS], runAt: 'document_idle', allFrames: false },
    ]);
  }
  return granted;
}
