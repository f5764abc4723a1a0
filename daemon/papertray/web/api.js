// Talking to papertray: only this page's own origin, with the session secret as a header (never a cookie).
// The secret lives in this origin's sessionStorage (scoped by port, unlike a cookie): the browser never sends it
// by itself, so no other server on 127.0.0.1 can receive it.

export const SESSION_HEADER = "X-Papertray-Session";
const SESSION_KEY = "papertray-session";

export function safeHref(url) {
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

// The login answer carries a new session in a meta tag: keep it in sessionStorage, then show /library/ as the
// address so that a reload neither repeats the login nor shows anything secret.
export function adoptSession() {
  const meta = document.querySelector('meta[name="papertray-session"]');
  if (meta) {
    sessionStorage.setItem(SESSION_KEY, meta.content);
    meta.remove();
  }
  if (window.location.pathname !== "/library/" || window.location.search) {
    history.replaceState(null, "", "/library/");
  }
}

export function sessionHeaders() {
  return { [SESSION_HEADER]: sessionStorage.getItem(SESSION_KEY) || "" };
}

async function errorOf(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const error = new Error((data && data.error) || `HTTP ${response.status}`);
  error.status = response.status;
  return error;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json", ...sessionHeaders() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}

// A text answer (BibTeX for one paper or a selection): fetched with the session header like everything else.
export async function apiText(path) {
  const response = await fetch(path, { headers: sessionHeaders(), credentials: "omit", cache: "no-store" });
  if (!response.ok) throw await errorOf(response);
  return response.text();
}

export async function apiBlob(path) {
  const response = await fetch(path, { headers: sessionHeaders(), credentials: "omit", cache: "no-store" });
  if (!response.ok) throw await errorOf(response);
  return response.blob();
}
