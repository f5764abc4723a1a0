// The popup: the daemon's state and what to do about it, the "For you" list (the daemon's ranking, each paper
// with why), today's new papers with save buttons, recent saves.
// Everything goes through the service worker (the only part that talks to the daemon).
import { el, ask, explain, sentence, paperUrl } from '../pages/ui.js';

const statusBox = document.getElementById('status');

function renderStatus(status) {
  const [headline, todo] = explain(status);
  statusBox.dataset.state = status?.state ?? 'error';
  statusBox.replaceChildren(el('div', { className: 'headline' }, sentence(headline)));
  if (todo) statusBox.append(el('div', { className: 'todo' }, sentence(todo)));
}

function paperRow(paper) {
  const saved = Boolean(paper.saved) || paper.state === 'saved';
  // One toggle, as on the marks: "Save", pressed "Saved". Its name starts with the word it shows (WCAG 2.5.3: a
  // voice user says what they see) and goes on with the title; aria-pressed says which (17.8).
  const title = paper.title || paper.id;
  const show = (on) => {
    button.textContent = on ? 'Saved' : 'Save';
    button.setAttribute('aria-label', `${button.textContent} ${title}`);
    button.setAttribute('aria-pressed', String(on));
  };
  const button = el('button', { type: 'button' });
  show(saved);
  button.addEventListener('click', async () => {
    button.disabled = true;
    const reply = await ask('save', { id: paper.id, saved: button.getAttribute('aria-pressed') !== 'true' });
    button.disabled = false;
    if (!reply?.ok) {
      button.title = reply?.error ?? 'papertray did not answer.';
      return;
    }
    show(Boolean(reply.paper?.saved) || reply.paper?.state === 'saved');
  });
  const link = el('a', { href: paperUrl(paper.id), target: '_blank', rel: 'noopener noreferrer' }, paper.title || paper.id);
  return el('li', { dataset: { id: paper.id } }, link, button);
}

// A "For you" row: the paper's row and, under it, the ranking's short reason ("for you: sparse autoencoders").
function forYouRow(paper) {
  const row = paperRow(paper);
  if (paper.why) row.append(el('div', { className: 'why' }, paper.why));
  return row;
}

function renderForYou(reply) {
  // Nothing learned yet (no save or dismissal): no list rather than a made-up one.
  if (!reply?.ok || reply.papers.length === 0) return;
  const { state, signals, enough_signals: enough } = reply.status;
  const learning = state === 'learning' ? ` (learning: ${signals} of ${enough} signals)` : '';
  document.getElementById('for-you-heading').textContent = `For you${learning}`;
  document.getElementById('for-you-list').replaceChildren(...reply.papers.map(forYouRow));
  document.getElementById('for-you-section').hidden = Boolean(document.getElementById('search').value.trim());
}

function renderList(sectionId, listId, papers, empty) {
  const section = document.getElementById(sectionId);
  const list = document.getElementById(listId);
  list.replaceChildren(...(papers.length ? papers.map(paperRow) : [el('li', { className: 'muted' }, empty)]));
  section.hidden = false;
}

// The search box asks the daemon's full-text index; results replace the lists until the box is cleared.
let searchTimer = 0;
async function runSearch() {
  const q = document.getElementById('search').value.trim();
  const section = document.getElementById('results-section');
  for (const id of ['new-section', 'saved-section']) document.getElementById(id).hidden = Boolean(q);
  const forYou = document.getElementById('for-you-section');
  forYou.hidden = Boolean(q) || document.getElementById('for-you-list').childElementCount === 0;
  if (!q) {
    section.hidden = true;
    return;
  }
  const reply = await ask('search', { q, limit: 10 });
  if (document.getElementById('search').value.trim() !== q) return; // a newer query is on its way
  const heading = document.getElementById('results-heading');
  if (!reply?.ok) {
    heading.textContent = reply?.error ?? 'papertray did not answer.';
    document.getElementById('results-list').replaceChildren();
    section.hidden = false;
    return;
  }
  heading.textContent = reply.total > reply.results.length ? `Best ${reply.results.length} of ${reply.total}` : 'Search results';
  renderList('results-section', 'results-list', reply.results, 'No paper matches.');
}

document.getElementById('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  runSearch();
});
document.getElementById('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 250);
});

async function load() {
  const status = await ask('status');
  renderStatus(status);
  if (status?.state !== 'running') return;
  document.getElementById('search-form').hidden = false;
  // First run: no rules, so nothing is ever notified; the inbox page takes a few words and writes the rule.
  document.getElementById('invite').hidden = (status.status?.rules ?? []).length > 0;
  // "New today" and "unseen" as the daemon defines them for every surface (tray, badge, `papertray status`).
  const counts = status.status?.new ?? { day: null, today: 0, unseen: 0 };
  const [fresh, saved, forYou] = await Promise.all([
    counts.day ? ask('papers', { state: 'new', since: counts.day, limit: 20, dismissed: 'exclude' }) : null,
    ask('papers', { state: 'saved', limit: 5 }),
    ask('forYou', { limit: 5 }),
  ]);
  renderForYou(forYou);
  const isToday = counts.day === new Date().toISOString().slice(0, 10); // Daily Papers days are UTC days
  const heading = `New ${isToday || !counts.day ? 'today' : `on ${counts.day}`}: ${counts.today}`;
  document.getElementById('new-heading').textContent = `${heading} · ${counts.unseen} unseen in all`;
  renderList('new-section', 'new-list', fresh?.ok ? fresh.papers : [], 'No new papers.');
  if (saved?.ok) renderList('saved-section', 'saved-list', saved.papers, 'Nothing saved yet.');
}

async function openPage(type) {
  const reply = await ask(type);
  if (reply?.ok) {
    window.close();
    return;
  }
  const [headline, todo] = reply?.kind === 'offline' ? explain({ state: 'offline' }) : [reply?.error ?? '', ''];
  document.getElementById('status').replaceChildren(sentence(`${headline} ${todo}`.trim()));
}

document.getElementById('open-list').addEventListener('click', () => openPage('openReadingList'));
document.getElementById('open-inbox').addEventListener('click', () => openPage('openInbox'));
document.getElementById('add-interests').addEventListener('click', () => openPage('openInbox'));
document.getElementById('open-options').addEventListener('click', () => chrome.runtime.openOptionsPage());

load();
