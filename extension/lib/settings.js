// Settings and the pairing token, with every default in one place. Settings live in chrome.storage.local (never
// storage.sync, which would upload them to the browser account); the token lives in the vault (vault.js), out of
// every content script's reach. A token an earlier version left in storage.local moves to the vault when first
// read. The service worker also restricts storage.local to trusted contexts where the browser allows it.
import { VAULT } from './vault.js';

export const DEFAULTS = Object.freeze({
  port: 27483,
  token: '',
  seenDelayMs: 1500,
  sites: [], // opt-in origins such as "https://example.org/*", granted through optional_host_permissions
  dimRanked: false, // dim the day's bottom half by the user's ranking on HF and arXiv lists (content/dim.js)
});

export const LIMITS = Object.freeze({ minSeenDelayMs: 0, maxSeenDelayMs: 60000, minPort: 1024, maxPort: 65535 });

/** Every setting, defaults filled in, and the token. `area` and `vault` are injectable for the node tests. */
export async function readSettings(area = chrome.storage.local, vault = VAULT) {
  const [{ token: legacy, ...stored }, kept] = await Promise.all([area.get(Object.keys(DEFAULTS)), vault.read()]);
  let token = kept;
  if (typeof legacy === 'string' && legacy) {
    await vault.save(legacy);
    await area.remove('token');
    token = legacy;
  }
  return { ...DEFAULTS, ...stored, token };
}

/** Check and normalise a partial settings object from the options page; throws Error with one sentence. */
export function validateSettings(patch) {
  const out = {};
  if (patch === null || typeof patch !== 'object') throw new Error('Settings must be an object.');
  if ('port' in patch) {
    const port = Number(patch.port);
    if (!Number.isInteger(port) || port < LIMITS.minPort || port > LIMITS.maxPort) {
      throw new Error(`The port must be a whole number from ${LIMITS.minPort} to ${LIMITS.maxPort}.`);
    }
    out.port = port;
  }
  if ('seenDelayMs' in patch) {
    const delay = Number(patch.seenDelayMs);
    if (!Number.isFinite(delay) || delay < LIMITS.minSeenDelayMs || delay > LIMITS.maxSeenDelayMs) {
      throw new Error('The seen delay must be between 0 and 60 seconds.');
    }
    out.seenDelayMs = Math.round(delay);
  }
  if ('dimRanked' in patch) {
    if (typeof patch.dimRanked !== 'boolean') throw new Error('Dimming is on or off (true or false).');
    out.dimRanked = patch.dimRanked;
  }
  if ('sites' in patch) {
    if (!Array.isArray(patch.sites)) throw new Error('Sites must be a list.');
    out.sites = [...new Set(patch.sites.map(sitePattern))];
  }
  return out;
}

/** "example.org" / "https://example.org/x" -> "https://example.org/*"; throws on anything else. */
export function sitePattern(input) {
  const text = String(input ?? '').trim();
  let url;
  try {
    url = new URL(text.includes('://') ? text.replace(/\/\*$/, '/') : `https://${text}`);
  } catch {
    throw new Error(`"${text.slice(0, 80)}" is not a web address.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`"${text.slice(0, 80)}" is not a web address.`);
  if (!url.hostname || url.hostname.includes('*')) throw new Error(`"${text.slice(0, 80)}" needs one exact host name.`);
  return `${url.protocol}//${url.hostname}/*`;
}

export async function writeSettings(patch, area = chrome.storage.local) {
  const clean = validateSettings(patch);
  await area.set(clean);
  return clean;
}

export async function saveToken(token, area = chrome.storage.local, vault = VAULT) {
  await vault.save(token);
  await area.remove('token');
}

export async function clearToken(area = chrome.storage.local, vault = VAULT) {
  await vault.clear();
  await area.remove('token');
}

/** Keep storage.local away from content scripts where the browser supports it (Chrome does; Firefox may not). */
export async function restrictStorage(area = chrome.storage.local) {
  if (typeof area.setAccessLevel !== 'function') return false;
  try {
    await area.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' });
    return true;
  } catch {
    return false;
  }
}
