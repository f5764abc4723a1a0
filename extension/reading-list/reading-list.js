// The reading list: the papers saved in papertray, newest first, with a way to unsave.
import { el, ask, explain, sentence, paperUrl } from '../pages/ui.js';

let cursor = null;

async function page() {
  const reply = await ask('papers', { state: 'saved', limit: 50, cursor: cursor ?? undefined });
  if (!reply?.ok) {
    const [headline, todo] = reply?.kind === 'offline' ? explain({ state: 'offline' }) : [reply?.error ?? '', ''];
    document.getElementById('status').replaceChildren(sentence(`${headline} ${todo}`.trim()));
    return;
  }
  const list = document.getElementById('papers');
  for (const paper of reply.papers) {
    const unsave = el('button', { type: 'button', 'aria-label': `Unsave ${paper.title || paper.id}` }, 'Unsave');
    const row = el('li', { dataset: { id: paper.id } },
      el('a', { href: paperUrl(paper.id), target: '_blank', rel: 'noopener noreferrer' }, paper.title || paper.id),
      unsave);
    unsave.addEventListener('click', async () => {
      const r = await ask('save', { id: paper.id, saved: false });
      if (r?.ok) row.remove();
    });
    list.append(row);
  }
  cursor = reply.nextCursor;
  document.getElementById('more').hidden = !cursor;
  const count = list.children.length;
  document.getElementById('status').textContent = count ? `${count} saved papers` : 'Nothing saved yet.';
}

document.getElementById('more').addEventListener('click', page);
ask('status').then((status) => {
  if (status?.state !== 'running') {
    const [headline, todo] = explain(status);
    document.getElementById('status').replaceChildren(sentence(`${headline} ${todo}`.trim()));
    return;
  }
  page();
});
