// The reading-list page. Talks only to its own origin, sending its session secret as a header; renders every
// piece of paper data with textContent and DOM APIs (never an HTML string); links only to http(s) URLs.
// The secret lives in this origin's sessionStorage (scoped by port, unlike a cookie): the browser never sends it
// by itself, so no other server on 127.0.0.1 can receive it.

const SESSION_HEADER = "X-Papertray-Session";
const SESSION_KEY = "papertray-session";
const PDF_URL_LIFETIME_MS = 60000;
const UNDO_MS = 10000;
const BUSY = new Set(["queued", "downloading", "retrying", "missing"]);

const $ = (id) => document.getElementById(id);
const state = { papers: [], tags: [], timer: 0, undo: null, undoTimer: 0, searchTimer: 0 };

function safeHref(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

// The login answer carries a new session in a meta tag: keep it in sessionStorage, then show /library/ as the
// address so that a reload neither repeats the login nor shows anything secret.
function adoptSession() {
  const meta = document.querySelector('meta[name="papertray-session"]');
  if (meta) {
    sessionStorage.setItem(SESSION_KEY, meta.content);
    meta.remove();
  }
  if (window.location.pathname !== "/library/" || window.location.search) {
    history.replaceState(null, "", "/library/");
  }
}

function sessionHeaders() {
  return { [SESSION_HEADER]: sessionStorage.getItem(SESSION_KEY) || "" };
}

async function api(method, path, body) {
  const headers = { Accept: "application/json", ...sessionHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new Error((data && data.error) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

function haystack(paper) {
  return [paper.title, paper.summary, (paper.authors || []).join(" "), paper.note, (paper.tags || []).join(" "), paper.id]
    .join("\n")
    .toLowerCase();
}

function visiblePapers() {
  const words = $("search").value.toLowerCase().split(/\s+/).filter(Boolean);
  const show = $("state").value;
  const tag = $("tag").value;
  const list = state.papers.filter((paper) => {
    if (show === "read" && !paper.read) return false;
    if (show === "unread" && paper.read) return false;
    if (tag && !(paper.tags || []).includes(tag)) return false;
    if (words.length) {
      const text = haystack(paper);
      return words.every((word) => text.includes(word));
    }
    return true;
  });
  const [key, direction] = $("sort").value.split("-");
  const value = (paper) =>
    key === "title" ? (paper.title || paper.id).toLowerCase()
      : key === "published" ? paper.published_at || paper.daily_date || ""
        : paper.saved_at || paper.read_at || "";
  list.sort((a, b) => {
    const order = value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : 0;
    return direction === "asc" ? order : -order;
  });
  return list;
}

function downloadText(info) {
  switch (info.state) {
    case "ready": return "";
    case "queued": return "Waiting to download…";
    case "downloading":
      return info.total ? `Downloading ${Math.floor((100 * info.bytes) / info.total)}%` : "Downloading…";
    case "retrying": return `Will try again: ${info.error || "the download failed"}`;
    case "failed": return `Download failed: ${info.error || "unknown error"}`;
    case "missing": return "No PDF yet";
    default: return "";
  }
}

function fillCard(li, paper) {
  li.dataset.id = paper.id;
  li.classList.toggle("is-read", Boolean(paper.read));
  const title = li.querySelector(".title");
  title.textContent = paper.title || paper.id;
  const href = safeHref(`https://arxiv.org/abs/${paper.id}`);
  if (href) title.href = href;
  const badge = li.querySelector(".badge");
  badge.textContent = paper.read ? "Read" : "Unread";
  badge.classList.toggle("read", Boolean(paper.read));
  // A saved paper's new version, until its PDF is opened here or the paper is marked read (versions.py).
  const fresh = li.querySelector(".new-version");
  fresh.hidden = !paper.new_version;
  fresh.textContent = paper.new_version ? `v${paper.new_version} new` : "";
  li.querySelector(".authors").textContent = (paper.authors || []).join(", ");
  const bits = [`arXiv:${paper.id}`];
  const published = (paper.published_at || "").slice(0, 10);
  if (published) bits.push(`published ${published}`);
  if (paper.saved_at) bits.push(`saved ${paper.saved_at.slice(0, 10)}`);
  li.querySelector(".meta").textContent = bits.join(" · ");
  const abstract = li.querySelector(".abstract");
  abstract.hidden = !paper.summary;
  abstract.querySelector("p").textContent = paper.summary || "";

  const tagList = li.querySelector(".tag-list");
  tagList.replaceChildren();
  for (const tag of paper.tags || []) {
    const chip = document.createElement("li");
    chip.className = "tag";
    const label = document.createElement("span");
    label.textContent = tag;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `Remove tag ${tag}`);
    remove.addEventListener("click", () => patch(paper, { tags: paper.tags.filter((t) => t !== tag) }));
    chip.append(label, remove);
    tagList.append(chip);
  }

  const note = li.querySelector(".note");
  if (document.activeElement !== note) note.value = paper.note || "";

  const info = paper.library || { state: "missing", pdfs: [] };
  const pdf = li.querySelector(".pdf");
  const pdfs = info.pdfs || [];
  pdf.disabled = !pdfs.length;
  if (pdfs.length) {
    pdf.removeAttribute("aria-disabled");
    const newest = pdfs[pdfs.length - 1];
    pdf.textContent = newest.version ? `Open PDF (v${newest.version})` : "Open PDF";
  } else {
    pdf.setAttribute("aria-disabled", "true");
    pdf.textContent = "Open PDF";
  }
  const download = li.querySelector(".download");
  download.textContent = downloadText(info);
  download.classList.toggle("failed", info.state === "failed");
  download.classList.toggle("busy", info.state === "downloading" || info.state === "queued");
  li.querySelector(".retry").hidden = !(info.state === "failed" || info.state === "missing" || info.state === "retrying");
  li.querySelector(".read-toggle").textContent = paper.read ? "Mark unread" : "Mark read";
}

function buildCard(paper) {
  const li = $("card-template").content.firstElementChild.cloneNode(true);
  const current = () => state.papers.find((p) => p.id === li.dataset.id);
  li.querySelector(".read-toggle").addEventListener("click", () => {
    const p = current();
    patch(p, { read: !p.read });
  });
  li.querySelector(".delete").addEventListener("click", () => remove(current()));
  li.querySelector(".pdf").addEventListener("click", () => openPdf(current()));
  li.querySelector(".retry").addEventListener("click", () => retry(current()));
  const tagInput = li.querySelector(".tag-input");
  tagInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const value = tagInput.value.trim().replace(/\s+/g, " ");
    const p = current();
    if (value && !p.tags.includes(value)) patch(p, { tags: [...p.tags, value] });
    tagInput.value = "";
  });
  const note = li.querySelector(".note");
  let noteTimer = 0;
  const saveNote = async () => {
    clearTimeout(noteTimer);
    const p = current();
    if (!p || note.value === (p.note || "")) return;
    await patch(p, { note: note.value }, false);
    note.classList.add("saved");
    setTimeout(() => note.classList.remove("saved"), 1200);
  };
  note.addEventListener("input", () => {
    clearTimeout(noteTimer);
    noteTimer = setTimeout(saveNote, 700);
  });
  note.addEventListener("blur", saveNote);
  fillCard(li, paper);
  return li;
}

function render() {
  if (!$("results").hidden) return; // a full-text search is on screen; its own answer fills the page
  const list = $("list");
  const shown = visiblePapers();
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  const items = shown.map((paper) => {
    const li = existing.get(paper.id) || buildCard(paper);
    fillCard(li, paper);
    return li;
  });
  // Keep the focused element's card in place so typing is never interrupted.
  list.replaceChildren(...items);

  const tagSelect = $("tag");
  const chosen = tagSelect.value;
  const options = [new Option("Any tag", "")];
  for (const tag of state.tags) options.push(new Option(tag, tag));
  tagSelect.replaceChildren(...options);
  tagSelect.value = state.tags.includes(chosen) ? chosen : "";

  const read = state.papers.filter((p) => p.read).length;
  const offline = state.papers.filter((p) => (p.library?.pdfs || []).length).length;
  $("summary").textContent =
    `${state.papers.length} papers · ${state.papers.length - read} unread · ${offline} readable offline`;
  const empty = $("empty");
  empty.hidden = shown.length > 0;
  empty.textContent = state.papers.length
    ? "Nothing matches these filters."
    : "Nothing saved yet. Save a paper from the extension or with `papertray save ID`.";
}

function replacePaper(updated) {
  const index = state.papers.findIndex((p) => p.id === updated.id);
  if (index >= 0) state.papers[index] = updated;
  else state.papers.push(updated);
  state.tags = [...new Set(state.papers.flatMap((p) => p.tags || []))].sort((a, b) => a.localeCompare(b));
}

async function patch(paper, fields, rerender = true) {
  try {
    const updated = await api("PATCH", `/library/api/papers/${encodeURIComponent(paper.key)}`, fields);
    replacePaper(updated);
    if (rerender) render();
    else {
      const li = $("list").querySelector(`li[data-id="${CSS.escape(paper.id)}"]`);
      if (li) fillCard(li, updated);
    }
    showMessage("");
  } catch (error) {
    showMessage(`Could not save the change: ${error.message}`);
  }
}

// The PDF needs the session header, which a plain link cannot send: fetch it and show it from a blob: URL. The
// tab opens inside the click (so no popup blocker stops it) and gets the PDF once it has arrived.
async function openPdf(paper) {
  const tab = window.open("", "_blank");
  try {
    const response = await fetch(`/library/pdf/${encodeURIComponent(paper.key)}`, {
      headers: sessionHeaders(),
      credentials: "omit",
      cache: "no-store",
    });
    if (!response.ok) {
      let data = null;
      try {
        data = await response.json();
      } catch {
        data = null;
      }
      throw new Error((data && data.error) || `HTTP ${response.status}`);
    }
    const url = URL.createObjectURL(new Blob([await response.blob()], { type: "application/pdf" }));
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

async function remove(paper) {
  try {
    const result = await api("DELETE", `/library/api/papers/${encodeURIComponent(paper.key)}`);
    state.papers = state.papers.filter((p) => p.id !== paper.id);
    render();
    showUndo(paper, result.undo || {});
  } catch (error) {
    showMessage(`Could not remove it: ${error.message}`);
  }
}

function showUndo(paper, undo) {
  clearTimeout(state.undoTimer);
  state.undo = { paper, undo };
  $("toast-text").textContent = `Removed “${paper.title || paper.id}”.`;
  $("toast").hidden = false;
  state.undoTimer = setTimeout(() => {
    $("toast").hidden = true;
    state.undo = null;
  }, UNDO_MS);
}

async function undoRemove() {
  const pending = state.undo;
  if (!pending) return;
  clearTimeout(state.undoTimer);
  $("toast").hidden = true;
  state.undo = null;
  try {
    const restored = await api(
      "POST",
      `/library/api/papers/${encodeURIComponent(pending.paper.key)}/restore`,
      { read: Boolean(pending.undo.read) },
    );
    replacePaper(restored);
    render();
  } catch (error) {
    showMessage(`Could not undo: ${error.message}`);
  }
}

async function refresh() {
  const data = await api("GET", "/library/api/papers");
  state.papers = data.papers;
  state.tags = data.tags;
  const typing = document.activeElement && $("list").contains(document.activeElement);
  if (!typing) render();
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

// Full-text search (the daemon's index: every paper, or the reading list with its PDFs' text), best match first.
// Snippets arrive as {text, hit} pieces and are built with DOM nodes: paper text is never parsed as HTML.
function renderResults(data) {
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
  $("results").replaceChildren(...items);
  const empty = $("empty");
  empty.hidden = items.length > 0;
  empty.textContent = "No paper matches this search.";
  $("summary").textContent = `${data.total}${data.more ? "+" : ""} matching papers, best first`;
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
      renderResults(data);
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

async function start() {
  for (const id of ["state", "tag", "sort"]) $(id).addEventListener("input", render);
  for (const id of ["search", "scope"]) $(id).addEventListener("input", onSearchInput);
  $("toast-undo").addEventListener("click", undoRemove);
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
