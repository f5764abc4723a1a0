// The matches inbox: new papers your rules matched, with the rule that fired, the upvotes, Save and Dismiss, and
// "Mark all seen". The same session model as the reading list (app.js): the session secret arrives in a meta tag
// at login, lives in this origin's sessionStorage and goes out only as a header; paper data is rendered with
// textContent and DOM APIs, never as HTML.

const SESSION_HEADER = "X-Papertray-Session";
const SESSION_KEY = "papertray-session";
const $ = (id) => document.getElementById(id);

function adoptSession() {
  const meta = document.querySelector('meta[name="papertray-session"]');
  if (meta) {
    sessionStorage.setItem(SESSION_KEY, meta.content);
    meta.remove();
  }
  if (window.location.pathname !== "/library/inbox" || window.location.search) {
    history.replaceState(null, "", "/library/inbox");
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json", [SESSION_HEADER]: sessionStorage.getItem(SESSION_KEY) || "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store",
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
  return data;
}

function showMessage(text) {
  $("message").textContent = text;
  $("message").hidden = !text;
}

function paperUrl(id) {
  return `https://arxiv.org/abs/${encodeURIComponent(id).replace(/%2F/g, "/")}`;
}

const count = (n, noun, plural = `${noun}s`) => `${n} ${n === 1 ? noun : plural}`;

function summarise(papers) {
  const open = papers.filter((p) => !p.saved && !p.dismissed).length;
  $("summary").textContent = `${count(open, "new match", "new matches")} waiting`;
  $("mark-seen").hidden = open === 0;
}

function card(paper, papers) {
  const node = $("match-template").content.firstElementChild.cloneNode(true);
  node.dataset.id = paper.id;
  const title = node.querySelector(".title");
  title.textContent = paper.title;
  title.href = paperUrl(paper.id);
  node.querySelector(".upvotes").textContent = `▲ ${paper.upvotes} · ${paper.daily_date || ""}`;
  const authors = paper.authors || [];
  node.querySelector(".authors").textContent =
    authors.slice(0, 6).join(", ") + (authors.length > 6 ? `, and ${authors.length - 6} more` : "");
  const why = node.querySelector(".why");
  for (const fired of paper.rules) {
    const item = document.createElement("li");
    const name = document.createElement("b");
    name.textContent = fired.rule;
    item.append(name, fired.reason ? ` · ${fired.reason}` : "");
    why.append(item);
  }
  const save = node.querySelector(".save");
  const dismiss = node.querySelector(".dismiss");
  const done = node.querySelector(".done");
  const show = () => {
    save.setAttribute("aria-pressed", String(paper.saved));
    save.textContent = paper.saved ? "Saved" : "Save";
    save.setAttribute("aria-label", `Save ${paper.title}`);
    dismiss.textContent = paper.dismissed ? "Dismissed" : "Dismiss";
    dismiss.setAttribute("aria-pressed", String(paper.dismissed));
    dismiss.setAttribute("aria-label", `Dismiss ${paper.title}`);
    node.classList.toggle("is-dismissed", paper.dismissed);
    done.textContent = paper.saved ? "In your reading list" : paper.dismissed ? "Papers like it rank lower" : "";
    summarise(papers);
  };
  const change = async (fields, button) => {
    button.disabled = true;
    try {
      const answer = await api("PATCH", `/library/api/inbox/${encodeURIComponent(paper.key)}`, fields);
      paper.saved = answer.saved;
      paper.dismissed = answer.dismissed;
      show();
    } catch (error) {
      showMessage(error.message);
    } finally {
      button.disabled = false;
      button.focus(); // keyboard users stay where they were
    }
  };
  save.addEventListener("click", () => change({ saved: !paper.saved }, save));
  dismiss.addEventListener("click", () => change({ dismissed: !paper.dismissed }, dismiss));
  show();
  return node;
}

async function load() {
  adoptSession();
  await refresh();
  $("mark-seen").addEventListener("click", markSeen);
}

let papers = [];

async function markSeen() {
  const open = papers.filter((p) => !p.saved && !p.dismissed);
  try {
    await api("POST", "/library/api/inbox/seen", { ids: open.map((p) => p.id) });
    showMessage(`Marked ${count(open.length, "paper")} seen.`);
    $("list").replaceChildren();
    $("summary").textContent = "Nothing waiting";
    $("mark-seen").hidden = true;
  } catch (error) {
    showMessage(error.message);
  }
}

async function refresh() {
  let data;
  try {
    data = await api("GET", "/library/api/inbox");
  } catch (error) {
    showMessage(error.message);
    return;
  }
  papers = data.papers;
  $("list").replaceChildren(...papers.map((paper) => card(paper, papers)));
  summarise(papers);
  const empty = $("empty");
  empty.hidden = papers.length > 0 || data.rules.length === 0;
  empty.textContent = "No new paper matches your rules. New matches appear here after each poll.";
  $("interests").hidden = data.rules.length > 0;
  return data;
}

// First run: no rules yet, so nothing would ever be notified. The form turns a few words into a rule.
$("interests").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const fields = Object.fromEntries(["keywords", "authors", "orgs"].map((name) => [name, form.elements[name].value]));
  try {
    const answer = await api("POST", "/library/api/interests", fields);
    const rule = answer.rules[answer.rules.length - 1];
    showMessage(`Added the rule "${rule.name}" to config.toml. Matches among the papers papertray has appear below.`);
    form.hidden = true;
    // The daemon applies a config edit within a second (later on a busy machine): look again until it has.
    for (let tries = 0; tries < 20; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 750));
      const data = await refresh();
      if (data && data.rules.length > 0) break;
    }
  } catch (error) {
    showMessage(error.message);
  }
});

load();
