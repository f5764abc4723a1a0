// The options page: pairing with the code from `papertray pair`, the daemon port, the seen delay, and opt-in
// sites (host permission requested here, in the click, as browsers require).
import { el, ask, explain, sentence } from '../pages/ui.js';
import { sitePattern } from '../lib/settings.js';

const $ = (id) => document.getElementById(id);
let current = null;

function say(id, text, isError = false) {
  $(id).replaceChildren(sentence(text));
  $(id).classList.toggle('error', isError);
}

async function refreshStatus() {
  const status = await ask('status');
  const [headline, todo] = explain(status);
  $('status').dataset.state = status?.state ?? 'error';
  $('status').replaceChildren(el('div', {}, sentence(headline)));
  if (todo) $('status').append(el('div', {}, sentence(todo)));
}

function renderSites(sites) {
  $('sites').replaceChildren(
    ...sites.map((site) => {
      const remove = el('button', { type: 'button', 'aria-label': `Remove ${site}` }, 'Remove');
      remove.addEventListener('click', async () => {
        await chrome.permissions.remove({ origins: [site] }).catch(() => false);
        await saveSites(current.sites.filter((s) => s !== site));
      });
      return el('li', {}, el('span', {}, site), remove);
    }),
  );
  if (!sites.length) $('sites').append(el('li', { className: 'muted' }, 'No other sites.'));
}

async function saveSites(sites) {
  const reply = await ask('setSettings', { settings: { sites } });
  if (!reply?.ok) return say('site-result', reply?.error ?? 'papertray did not answer.', true);
  current.sites = reply.saved.sites;
  renderSites(current.sites);
  say('site-result', '');
}

async function load() {
  const reply = await ask('getSettings');
  if (!reply?.ok) return say('settings-result', reply?.error ?? 'Could not read the settings.', true);
  current = reply.settings;
  $('port').value = String(current.port);
  $('seen-delay').value = String(current.seenDelayMs / 1000);
  $('dim-ranked').checked = current.dimRanked === true;
  $('pair-state').textContent = reply.paired ? 'This browser is paired with papertray.' : 'Not paired yet.';
  $('pair-state').dataset.paired = String(reply.paired);
  $('unpair-button').hidden = !reply.paired;
  renderSites(current.sites);
  await refreshStatus();
}

$('pair-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('pair-button').disabled = true;
  say('pair-result', 'Pairing…');
  const reply = await ask('pair', { code: $('pair-code').value });
  $('pair-button').disabled = false;
  if (!reply?.ok) {
    const [headline, todo] = reply?.kind === 'offline' ? explain({ state: 'offline' }) : [reply?.error ?? 'Pairing failed.', ''];
    return say('pair-result', `${headline} ${todo}`.trim(), true);
  }
  $('pair-code').value = '';
  say('pair-result', 'Paired.');
  await load();
});

$('unpair-button').addEventListener('click', async () => {
  await ask('unpair');
  say('pair-result', 'This browser is no longer paired.');
  await load();
});

$('settings-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const reply = await ask('setSettings', {
    settings: {
      port: Number($('port').value),
      seenDelayMs: Math.round(Number($('seen-delay').value) * 1000),
      dimRanked: $('dim-ranked').checked,
    },
  });
  if (!reply?.ok) return say('settings-result', reply?.error ?? 'papertray did not answer.', true);
  say('settings-result', 'Saved.');
  await load();
});

$('site-form').addEventListener('submit', (event) => {
  event.preventDefault();
  let pattern;
  try {
    pattern = sitePattern($('site').value);
  } catch (error) {
    return say('site-result', error.message, true);
  }
  // permissions.request must run inside the user's gesture: no await before it.
  chrome.permissions.request({ origins: [pattern] }).then(
    async (granted) => {
      if (!granted) return say('site-result', `The browser did not allow ${pattern}; nothing changed.`, true);
      $('site').value = '';
      await saveSites([...current.sites, pattern]);
    },
    (error) => say('site-result', String(error?.message ?? error), true),
  );
});

load();
