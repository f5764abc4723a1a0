// One paper's card: built from the page's <template>, filled with textContent and DOM APIs only (paper data is
// never parsed as HTML). The card calls back into the page through `actions`; it keeps no state of its own
// besides the note being typed, so a re-render never loses what the user is typing.

import { safeHref } from "./api.js";

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

function shortAuthors(authors) {
  if (!authors.length) return "";
  return authors.length > 2 ? `${authors[0]} et al.` : authors.join(", ");
}

export function fillCard(li, paper, selected) {
  li.dataset.id = paper.id;
  li.classList.toggle("is-read", Boolean(paper.read));
  const title = li.querySelector(".title");
  title.textContent = paper.title || paper.id;
  const href = safeHref(`https://arxiv.org/abs/${paper.id}`);
  if (href) title.href = href;
  const pick = li.querySelector(".select");
  pick.checked = selected;
  pick.setAttribute("aria-label", `Select “${paper.title || paper.id}”`);
  const badge = li.querySelector(".badge");
  badge.textContent = paper.read ? "Read" : "Unread";
  badge.classList.toggle("read", Boolean(paper.read));
  // A saved paper's new version, until its PDF is opened here or the paper is marked read (versions.py).
  const fresh = li.querySelector(".new-version");
  fresh.hidden = !paper.new_version;
  fresh.textContent = paper.new_version ? `v${paper.new_version} new` : "";
  const authors = paper.authors || [];
  const published = (paper.published_at || "").slice(0, 10);
  li.querySelector(".line").textContent = [shortAuthors(authors), published.slice(0, 4)].filter(Boolean).join(" · ");
  li.querySelector(".authors").textContent = authors.join(", ");
  const bits = [`arXiv:${paper.id}`];
  if (published) bits.push(`published ${published}`);
  if (paper.saved_at) bits.push(`saved ${paper.saved_at.slice(0, 10)}`);
  if (paper.upvotes) bits.push(`${paper.upvotes} upvote${paper.upvotes === 1 ? "" : "s"}`);
  if (paper.cite_key) bits.push(`cite as ${paper.cite_key}`);
  li.querySelector(".meta").textContent = bits.join(" · ");
  const abstract = li.querySelector(".abstract");
  abstract.hidden = !paper.summary;
  abstract.querySelector("p").textContent = paper.summary || "";

  const tagList = li.querySelector(".tag-list");
  const chips = (paper.tags || []).map((tag) => {
    const chip = document.createElement("li");
    chip.className = "tag";
    const label = document.createElement("span");
    label.textContent = tag;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "untag";
    remove.dataset.tag = tag;
    remove.textContent = "×";
    remove.setAttribute("aria-label", `Remove tag ${tag}`);
    chip.append(label, remove);
    return chip;
  });
  // Rebuilt only when the tags changed, so a focused × is not thrown away by an unrelated update.
  const now = [...tagList.querySelectorAll(".untag")].map((b) => b.dataset.tag).join("\n");
  if (now !== (paper.tags || []).join("\n")) tagList.replaceChildren(...chips);

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

export function setOpen(li, open) {
  li.classList.toggle("open", open);
  const button = li.querySelector(".expand");
  button.setAttribute("aria-expanded", String(open));
  button.textContent = open ? "Less" : "More";
}

// `actions`: { current(li) → paper, toggleRead(paper), addTag(paper, tag), removeTag(paper, tag),
//              saveNote(paper, text) → Promise, remove(paper), openPdf(paper), retry(paper), copyBibtex(paper),
//              select(paper, on) }
export function buildCard(template, paper, actions, selected) {
  const li = template.content.firstElementChild.cloneNode(true);
  const current = () => actions.current(li);
  li.querySelector(".read-toggle").addEventListener("click", () => actions.toggleRead(current()));
  li.querySelector(".delete").addEventListener("click", () => actions.remove(current()));
  li.querySelector(".pdf").addEventListener("click", () => actions.openPdf(current()));
  li.querySelector(".retry").addEventListener("click", () => actions.retry(current()));
  li.querySelector(".copy-bib").addEventListener("click", () => actions.copyBibtex(current()));
  li.querySelector(".select").addEventListener("change", (event) => actions.select(current(), event.target.checked));
  li.querySelector(".expand").addEventListener("click", () => setOpen(li, !li.classList.contains("open")));
  li.querySelector(".tag-list").addEventListener("click", (event) => {
    const button = event.target.closest(".untag");
    if (button) actions.removeTag(current(), button.dataset.tag);
  });
  const tagInput = li.querySelector(".tag-input");
  tagInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const value = tagInput.value.trim().replace(/\s+/g, " ");
    tagInput.value = "";
    if (value) actions.addTag(current(), value);
  });
  const note = li.querySelector(".note");
  let noteTimer = 0;
  const saveNote = async () => {
    clearTimeout(noteTimer);
    const p = current();
    if (!p || note.value === (p.note || "")) return;
    if (await actions.saveNote(p, note.value)) {
      note.classList.add("saved");
      setTimeout(() => note.classList.remove("saved"), 1200);
    }
  };
  note.addEventListener("input", () => {
    clearTimeout(noteTimer);
    noteTimer = setTimeout(saveNote, 700);
  });
  note.addEventListener("blur", saveNote);
  fillCard(li, paper, selected);
  return li;
}
