// Full-text search answers (the daemon's index: every paper, or the reading list with its PDFs' text), best match
// first. Snippets arrive as {text, hit} pieces and are built with DOM nodes: paper text is never parsed as HTML.

import { safeHref } from "./api.js";

export function renderResults(list, empty, summary, data) {
  const items = data.results.map((result) => {
    const li = document.createElement("li");
    li.className = "card result";
    li.dataset.id = result.id;
    const title = document.createElement("a");
    title.className = "title";
    title.target = "_blank";
    title.rel = "noopener noreferrer";
    title.textContent = result.title || result.id;
    const href = safeHref(`https://arxiv.org/abs/${result.id}`);
    if (href) title.href = href;
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = [`arXiv:${result.id}`, result.daily_date, result.state, ...(result.tags || []).map((t) => `#${t}`)]
      .filter(Boolean)
      .join(" · ");
    const snippet = document.createElement("p");
    snippet.className = "snippet";
    for (const piece of result.snippet || []) {
      const node = piece.hit ? document.createElement("mark") : document.createTextNode(piece.text);
      if (piece.hit) node.textContent = piece.text;
      snippet.append(node);
    }
    li.append(title, meta, snippet);
    return li;
  });
  list.replaceChildren(...items);
  empty.hidden = items.length > 0;
  empty.textContent = "No paper matches this search.";
  summary.textContent = `${data.total}${data.more ? "+" : ""} matching papers, best first`;
}
