// Opt-in sites: any other site where links to arXiv or HF papers get the same marks. The options page asks for
// the host permission (permissions.request needs a user gesture); here we register the content scripts for the
// sites that are both chosen and granted.
import { readSettings } from './settings.js';

export const SCRIPT_ID = 'papertray-opt-in';
/**
 * The scripts an opted-in site gets: exactly those the manifest declares for the built-in sites (its one
 * `content_scripts` entry), so the list lives only in manifest.json.
 */
export function contentScripts(manifest = chrome.runtime.getManifest()) {
  return [...manifest.content_scripts[0].js];
}

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
      { id: SCRIPT_ID, matches: granted, js: contentScripts(), runAt: 'document_idle', allFrames: false },
    ]);
  }
  return granted;
}
