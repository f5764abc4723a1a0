// The reading-list page: state, rendering and the actions of the cards, the selection and the keyboard.
// Every piece of paper data is rendered with textContent and DOM APIs (card.js); links only to http(s) URLs.

import { adoptSession, api, apiBlob, apiText } from "./api.js";
import { bulkBar, download } from "./bulk.js";
import { buildCard, fillCard, setOpen } from "./card.js";
import { fillHelp, installShortcuts } from "./keys.js";
import { renderResults } from "./results.js";
import { visiblePapers } from "./view.js";

const PDF_URL_LIFETIME_MS = 60000;
const UNDO_MS = 10000;
const BUSY = new Set(["queued", "downloading", "retrying", "missing"]);
const COMPACT_FROM = 50; // more papers than this: one line each unless the user chose otherwise
const DENSITY_KEY = "papertray-density";

const $ = (id) => document.getElementById(id);
const state = {
  papers: [], tags: [], timer: 0, undo: null, undoTimer: 0, searchTimer: 0, selected: new Set(),
  queues: new Map(), // paper id → the promise of its last change: changes to one paper go out in order
};
let keys = null;
let bulk = null;

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

const byId = (id) => state.papers.find((p) => p.id === id);
const cardOf = (id) => $("list").querySelector(`li.card[data-id="${CSS.escape(id)}"]`);

function compact() {
  const chosen = localStorage.getItem(DENSITY_KEY);
  return chosen ? chosen === "compact" : state.papers.length > COMPACT_FROM;
}

// Put `items` into `list` moving as few nodes as possible: a node taken out of the document loses the focus,
// which is how a second tag or a note typed after the first tag's Enter used to vanish (17.6).
function place(list, items) {
  const keep = new Set(items);
  for (const child of [...list.children]) if (!keep.has(child)) child.remove();
  items.forEach((item, index) => {
    if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
  });
}

function render() {
  if (!$("results").hidden) return; // a full-text search is on screen; its own answer fills the page
  const focused = document.activeElement;
  const list = $("list");
  const focusedCard = focused && focused.closest && focused.closest("#list > li.card");
  const focusedAt = focusedCard ? [...list.children].indexOf(focusedCard) : -1;
  const shown = visiblePapers(state.papers, {
    words: $("search").value.toLowerCase().split(/\s+/).filter(Boolean),
    show: $("state").value,
    tag: $("tag").value,
    sort: $("sort").value,
  });
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  list.classList.toggle("compact", compact());
  const items = shown.map((paper) => {
    const selected = state.selected.has(paper.id);
    const li = existing.get(paper.id);
    if (!li) return buildCard($("card-template"), paper, cardActions, selected); // filled as it is built
    fillCard(li, paper, selected);
    return li;
  });
  place(list, items);
  if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  else if (focusedAt >= 0 && !focused.isConnected && items.length) {
    // The focused card left the view (marked read under "Unread"): the next one takes the focus, not the page.
    items[Math.min(focusedAt, items.length - 1)].focus({ preventScroll: true });
  }
  $("density").setAttribute("aria-pressed", String(compact()));

  const tagSelect = $("tag");
  const chosen = tagSelect.value;
  const options = [new Option("Any tag", "")];
  for (const tag of state.tags) options.push(new Option(tag, tag));
  tagSelect.replaceChildren(...options);
  tagSelect.value = state.tags.includes(chosen) ? chosen : "";

  const read = state.papers.filter((p) => p.read).length;
  const offline = state.papers.filter((p) => (p.library?.pdfs || []).length).length;
  const total = state.papers.length;
  $("count").textContent = `${shown.length} of ${total}`;
  $("summary").textContent = `${total} papers · ${total - read} unread · ${offline} readable offline`;
  for (const id of [...state.selected]) if (!byId(id)) state.selected.delete(id);
  bulk.show(state.selected.size, shown.length);
  const empty = $("empty");
  empty.hidden = shown.length > 0;
  empty.textContent = total ? "Nothing matches these filters." : "Nothing saved yet. Save a paper from the extension or with `papertray save ID`.";
}

function replacePaper(updated) {
  const index = state.papers.findIndex((p) => p.id === updated.id);
  if (index >= 0) state.papers[index] = updated;
  else state.papers.push(updated);
  state.tags = [...new Set(state.papers.flatMap((p) => p.tags || []))].sort((a, b) => a.localeCompare(b));
}

// A change is applied to the page at once (so a second tag typed right after the first builds on it), then
// sent after the paper's previous change; the server's answer replaces the guess.
function patch(paper, fields, { rerender = true } = {}) {
  replacePaper({ ...byId(paper.id), ...fields });
  if (rerender) render();
  const previous = state.queues.get(paper.id) || Promise.resolve();
  const sent = previous.then(async () => {
    try {
      const updated = await api("PATCH", `/library/api/papers/${encodeURIComponent(paper.key)}`, fields);
      // A later change already waiting would be undone on the page by this older answer: its own answer wins.
      if (state.queues.get(paper.id) === sent) replacePaper(updated);
      showMessage("");
      return true;
    } catch (error) {
      showMessage(`Could not save the change: ${error.message}`);
      return false;
    }
  });
  state.queues.set(paper.id, sent);
  return sent.then((ok) => {
    if (state.queues.get(paper.id) === sent) {
      state.queues.delete(paper.id);
      refreshOne(paper.id, ok);
    }
    return ok;
  });
}

// Many answers at once (a selection of 300 marked read) redraw the page once per frame, not once per answer.
let frame = 0;
function renderSoon() {
  if (!frame) frame = requestAnimationFrame(() => {
    frame = 0;
    render();
  });
}

// After the last queued change of a paper: show what the server holds (a failed change is taken back).
async function refreshOne(id, ok) {
  if (ok) renderSoon();
  else await refresh();
}

async function openPdf(paper) {
  // The PDF needs the session header, which a plain link cannot send: fetch it and show it from a blob: URL.
  // The tab opens inside the click (so no popup blocker stops it) and gets the PDF once it has arrived.
  const tab = window.open("", "_blank");
  try {
    const blob = await apiBlob(`/library/pdf/${encodeURIComponent(paper.key)}`);
    const url = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
    if (paper.new_version) {
      replacePaper({ ...paper, new_version: null }); // opened: no longer new
      render();
    }
    setTimeout(() => URL.revokeObjectURL(url), PDF_URL_LIFETIME_MS);
    if (tab) {
      tab.opener = null;
      tab.location.href = url;
    } else {
      window.location.assign(url);
    }
  } catch (error) {
    if (tab) tab.close();
    showMessage(`Could not open the PDF: ${error.message}`);
  }
}

async function retry(paper) {
  try {
    replacePaper(await api("POST", `/library/api/papers/${encodeURIComponent(paper.key)}/retry`, {}));
    render();
    schedule(1000);
  } catch (error) {
    showMessage(`Could not retry: ${error.message}`);
  }
}

// In batches: a request line holds about 8 KB, and a selection can be the whole list.
async function bibtexOf(papers) {
  const parts = [];
  for (let at = 0; at < papers.length; at += 200) {
    const ids = papers.slice(at, at + 200).map((p) => ["id", p.key]);
    parts.push(await apiText(`/library/api/bibtex?${new URLSearchParams(ids)}`));
  }
  return parts.join("\n");
}

async function copyBibtex(paper) {
  try {
    const text = await bibtexOf([paper]);
    await navigator.clipboard.writeText(text);
    showToast(`Copied the BibTeX of “${paper.title || paper.id}”.`, false);
  } catch (error) {
    showMessage(`Could not copy the BibTeX: ${error.message}`);
  }
}

async function remove(papers) {
  const removed = [];
  for (const paper of papers) {
    try {
      const result = await api("DELETE", `/library/api/papers/${encodeURIComponent(paper.key)}`);
      removed.push({ paper, undo: result.undo || {} });
      state.papers = state.papers.filter((p) => p.id !== paper.id);
      state.selected.delete(paper.id);
    } catch (error) {
      showMessage(`Could not remove it: ${error.message}`);
    }
  }
  if (!removed.length) return;
  render();
  state.undo = removed;
  const one = removed[0].paper;
  showToast(removed.length === 1 ? `Removed “${one.title || one.id}”.` : `Removed ${removed.length} papers.`, true);
  $("toast-undo").focus(); // the removed card took the focus with it: Undo is the one thing to do next
}

function showToast(text, undoable) {
  clearTimeout(state.undoTimer);
  if (!undoable) state.undo = null;
  $("toast-text").textContent = text;
  $("toast-undo").hidden = !undoable;
  $("toast").hidden = false;
  state.undoTimer = setTimeout(() => {
    $("toast").hidden = true;
    state.undo = null;
  }, UNDO_MS);
}

function undoRemove() {
  const pending = state.undo;
  if (!pending) return false;
  clearTimeout(state.undoTimer);
  const hadFocus = $("toast").contains(document.activeElement);
  $("toast").hidden = true;
  state.undo = null;
  (async () => {
    for (const { paper, undo } of pending) {
      try {
        const path = `/library/api/papers/${encodeURIComponent(paper.key)}/restore`;
        replacePaper(await api("POST", path, { read: Boolean(undo.read) }));
      } catch (error) {
        showMessage(`Could not undo: ${error.message}`);
      }
    }
    render();
    const back = cardOf(pending[0].paper.id);
    if (back && (hadFocus || document.activeElement === document.body)) back.focus();
  })();
  return true;
}

const cardActions = {
  current: (li) => byId(li.dataset.id),
  toggleRead: (paper) => patch(paper, { read: !paper.read }),
  addTag: (paper, tag) => {
    if (!(paper.tags || []).includes(tag)) patch(paper, { tags: [...(paper.tags || []), tag] });
  },
  removeTag: (paper, tag) => {
    const li = cardOf(paper.id);
    patch(paper, { tags: paper.tags.filter((t) => t !== tag) });
    // The × pressed is gone: the tag field of the same card takes the focus, not the page.
    if (li) li.querySelector(".tag-input").focus();
  },
  saveNote: (paper, note) => patch(paper, { note }, { rerender: false }),
  remove: (paper) => remove([paper]),
  openPdf,
  retry,
  copyBibtex,
  select: (paper, on) => {
    if (on) state.selected.add(paper.id);
    else state.selected.delete(paper.id);
    bulk.show(state.selected.size, $("list").children.length);
  },
};

const selectedPapers = () => state.papers.filter((p) => state.selected.has(p.id));

async function refresh() {
  const data = await api("GET", "/library/api/papers");
  state.papers = data.papers.map((p) => ({ ...p }));
  state.tags = data.tags;
  const typing = document.activeElement && $("list").contains(document.activeElement) && document.activeElement.matches("input, textarea");
  if (!typing && !state.queues.size) render();
  return data;
}

function schedule(ms) {
  clearTimeout(state.timer);
  state.timer = setTimeout(async () => {
    try {
      await refresh();
      showMessage("");
    } catch (error) {
      showMessage(error.status === 401 ? error.message : `papertray is not answering (${error.message}).`);
    }
    const busy = state.papers.some((p) => BUSY.has(p.library?.state));
    schedule(busy ? 2000 : 30000);
  }, ms);
}

async function searchIndex() {
  const scope = $("scope").value;
  const query = $("search").value.trim();
  const indexed = scope !== "list" && query !== "";
  $("results").hidden = !indexed;
  $("list").hidden = indexed;
  if (!indexed) {
    render();
    return;
  }
  const params = new URLSearchParams({ q: query, limit: "50" });
  if (scope === "saved") params.set("saved", "true");
  try {
    const data = await api("GET", `/library/api/search?${params}`);
    if ($("search").value.trim() === query && $("scope").value === scope) {
      renderResults($("results"), $("empty"), $("summary"), data);
      $("count").textContent = `${data.results.length} of ${data.total}${data.more ? "+" : ""}`;
      showMessage("");
    }
  } catch (error) {
    showMessage(error.message);
  }
}

function onSearchInput() {
  clearTimeout(state.searchTimer);
  if ($("scope").value === "list") {
    searchIndex();
    return;
  }
  state.searchTimer = setTimeout(searchIndex, 200);
}

function wire() {
  for (const id of ["state", "tag", "sort"]) $(id).addEventListener("input", render);
  for (const id of ["search", "scope"]) $(id).addEventListener("input", onSearchInput);
  $("toast-undo").addEventListener("click", undoRemove);
  $("density").addEventListener("click", () => {
    localStorage.setItem(DENSITY_KEY, compact() ? "expanded" : "compact");
    render();
  });
  $("help-open").addEventListener("click", () => $("help").showModal());
  $("help-close").addEventListener("click", () => $("help").close());
  fillHelp($("help-keys"));
  bulk = bulkBar({
    bar: $("bulk"),
    count: $("bulk-count"),
    tagInput: $("bulk-tag"),
    onRead: () => {
      for (const p of selectedPapers()) if (!p.read) patch(p, { read: true }, { rerender: false });
      render();
    },
    onTag: (tag) => {
      for (const p of selectedPapers()) {
        if (!(p.tags || []).includes(tag)) patch(p, { tags: [...(p.tags || []), tag] }, { rerender: false });
      }
      render();
    },
    onExport: async () => {
      try {
        download("papertray-selection.bib", await bibtexOf(selectedPapers()), "application/x-bibtex");
      } catch (error) {
        showMessage(`Could not export: ${error.message}`);
      }
    },
    onRemove: () => remove(selectedPapers()),
    onClear: () => {
      state.selected.clear();
      render();
    },
  });
  $("select-all").addEventListener("click", () => {
    for (const li of $("list").children) state.selected.add(li.dataset.id);
    render();
  });
  keys = installShortcuts({
    cards: () => [...$("list").children],
    search: () => $("search").focus(),
    help: () => $("help").showModal(),
    undo: undoRemove,
    toggleRead: (li) => cardActions.toggleRead(byId(li.dataset.id)),
    tag: (li) => {
      setOpen(li, true);
      li.querySelector(".tag-input").focus();
    },
    note: (li) => {
      setOpen(li, true);
      li.querySelector(".note").focus();
    },
    open: (li) => setOpen(li, !li.classList.contains("open")),
    select: (li) => {
      const box = li.querySelector(".select");
      box.checked = !box.checked;
      cardActions.select(byId(li.dataset.id), box.checked);
    },
  });
  $("list").addEventListener("focusin", (event) => keys.remember(event.target.closest("li.card")));
}

async function start() {
  wire();
  adoptSession();
  try {
    await api("GET", "/library/api/session");
    await refresh();
    document.body.dataset.ready = "true";
    schedule(2000);
  } catch (error) {
    document.body.dataset.ready = "error";
    showMessage(error.message);
  }
}

start();
