"""Fixture web pages for the browser tests: huggingface.co and arXiv pages that reproduce the real markup
(reference/feeds.md §3), served over HTTPS on 127.0.0.1 with a self-signed certificate made for the session.

Chromium reaches them under their real hostnames through `--host-resolver-rules`, so the shipped manifest's
content-script matches are what runs. The same server speaks plain HTTP on a second port for the daemon's feed
poller (`/api/daily_papers`), built from the same fixture entries so pages and daemon agree on ids and titles.
"""

from __future__ import annotations

import html
import json
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
HF_FEED = REPO / "tests" / "fixtures" / "hf" / "daily_papers_2025-07-31.synthetic.json"
# The real huggingface.co list of 2024-08-01 (13 cards) and a stand-in for its stylesheet (fixtures/hf/PROVENANCE.md).
HF_REAL = REPO / "tests" / "fixtures" / "hf" / "hf_papers_2024-08-01.html"
HF_REAL_CSS = REPO / "tests" / "fixtures" / "hf" / "hf_papers_2024-08-01.tailwind.css"
HF_REAL_PATH = "/papers/date/2024-08-01"
HOSTS = ("huggingface.co", "arxiv.org", "scholar.example.org")
DAY = "2025-07-31"
# Papers on the arXiv list that papertray has never ingested (real ids, not in the HF feed).
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082"
)
UNKNOWN_IDS = ("2509.13338", "2509.13339", "2509.13340", "hep-th/9901001")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for every fixture hostname (openssl, as testing.md shows)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    san = ",".join(f"DNS:{host}" for host in HOSTS)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=huggingface.co", "-addext", f"subjectAltName={san}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def feed_entries(count: int = 50) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(HF_FEED.read_text())
    return entries[:count]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _card(entry: dict[str, Any]) -> str:
    paper = entry["paper"]
    pid = paper["id"]
    org = _e(paper.get("organization", {}).get("fullname", "") if isinstance(paper.get("organization"), dict) else "")
    return f"""
<article class="relative flex flex-col overflow-hidden rounded-xl border">
  <a href="/papers/{pid}" class="shadow-alternate-sm peer relative block h-56 w-full overflow-hidden">
    <img src="/thumbs/{pid}.png" alt="" class="h-full w-full object-cover"></a>
  <div class="from-gray-50-to-white bg-linear-to-b -mt-2 flex px-6 pb-6 pt-8">
    <div class="shadow-alternate flex h-14 w-12 flex-none flex-col items-center justify-center rounded-lg border">
      <div class="leading-none">{int(paper.get("upvotes", 0))}</div></div>
    <div class="w-full min-w-0">
      <h3 class="mb-1 text-lg font-semibold leading-[1.2] hover:underline">
        <a href="/papers/{pid}" class="line-clamp-3 cursor-pointer text-balance">{_e(paper["title"])}</a></h3>
      <a href="/{org or "papers"}" class="org"><span>{org or "Independent"}</span></a>
      <a href="/papers/{pid}#community" class="comments">{int(entry.get("numComments", 0))}</a>
    </div>
  </div>
</article>"""


# The page's own script stands in for Hugging Face's Svelte router: the "Weekly" tab swaps the cards and the URL
# without a page load, as huggingface.co does (the content script must notice through its MutationObserver).
_SPA_SCRIPT = """
document.getElementById('tab-week').addEventListener('click', () => {
  const cards = document.getElementById('cards');
  const template = document.getElementById('week-cards');
  history.pushState({}, '', '/papers/week/2025-W31');
  cards.replaceChildren(template.content.cloneNode(true));
});
"""


# Enough of huggingface.co's look (Tailwind, two-column card grid, thumbnails, upvote box) that screenshots of
# the marked page resemble the real site; the markup the content script hooks into is the real one above.
_HF_CSS = """
body { margin: 0; background: #fff; color: #111827; font: 16px/1.5 "Source Sans Pro", system-ui, sans-serif; }
a { color: inherit; text-decoration: none; }
header { display: flex; gap: 24px; align-items: center; height: 64px; padding: 0 32px;
  border-bottom: 1px solid #f3f4f6; font-size: 15px; color: #4b5563; }
header .logo { font-weight: 700; font-size: 18px; color: #111827; margin-right: auto; }
main { max-width: 1280px; margin: 0 auto; padding: 0 32px; }
nav { display: flex; gap: 8px; align-items: center; padding: 20px 0 0; font-size: 14px; }
nav a, nav button { font: inherit; padding: 3px 12px; border: 1px solid #e5e7eb; border-radius: 8px; color: #374151;
  background: linear-gradient(#fff, #f9fafb); }
h1 { font-size: 30px; font-weight: 700; margin: 18px 0 0; }
.byline { margin: 0 0 24px; color: #6b7280; }
#cards { display: grid; grid-template-columns: 1fr 1fr; gap: 36px 40px; padding-bottom: 40px; }
article { display: flex; flex-direction: column; overflow: hidden; border: 1px solid #f3f4f6; border-radius: 12px;
  box-shadow: 0 1px 3px #0000000d; }
article > a { display: block; height: 120px; overflow: hidden;
  background: linear-gradient(120deg, #eef2ff, #fdf2f8 55%, #fefce8); }
article:nth-child(3n+2) > a { background: linear-gradient(120deg, #ecfeff, #eef2ff 60%, #f5f3ff); }
article:nth-child(3n) > a { background: linear-gradient(120deg, #fff7ed, #fef2f2 50%, #f0fdf4); }
article img { width: 100%; height: 100%; object-fit: cover; }
article > div { display: flex; gap: 16px; padding: 18px 24px 20px; background: linear-gradient(#f9fafb, #fff); }
article > div > div:first-child { display: flex; flex: none; flex-direction: column; align-items: center;
  justify-content: center; width: 48px; height: 56px; border: 1px solid #e5e7eb; border-radius: 8px;
  background: #fff; font-weight: 600; font-size: 14px; }
article > div > div:first-child::before { content: "\\25B2"; font-size: 10px; color: #9ca3af; }
article > div > div:last-child { flex: 1; min-width: 0; }
h3 { margin: 0 0 6px; font-size: 18px; font-weight: 600; line-height: 1.25; }
h3 a:hover { text-decoration: underline; }
.org, .comments { display: inline-block; margin: 6px 12px 0 0; font-size: 14px; color: #6b7280; }
.comments::before { content: ""; display: inline-block; width: 11px; height: 9px; margin-right: 5px;
  border: 1.5px solid #9ca3af; border-radius: 3px; }
header .logo .mark { display: inline-block; width: 22px; height: 22px; margin-right: 8px; vertical-align: -5px;
  border-radius: 50%; background: radial-gradient(circle at 50% 70%, #ff9d00 0 30%, #ffd21e 31%); }
"""


def hf_list_page(entries: list[dict[str, Any]], week: list[dict[str, Any]]) -> str:
    props = {
        "dailyPapers": entries,
        "dateString": DAY,
        "periodType": "day",
        "prevDate": "2025-07-30",
        "isTrending": False,
    }
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Daily Papers - Hugging Face</title>
<style>{_HF_CSS}</style></head>
<body>
<header><a href="/" class="logo"><span aria-hidden="true" class="mark"></span>Hugging Face</a>
  <a href="/papers/trending">Trending</a></header>
<main>
  <nav><a href="/papers/date/2025-07-30">Previous</a> <a href="/papers/week/2025-W31">Week</a>
    <a href="/papers/month/2025-07">Month</a> <a href="/papers/submit">Submit</a>
    <button type="button" id="tab-week">Weekly</button></nav>
  <div class="SVELTE_HYDRATER contents" data-target="DailyPapers" data-props="{_e(json.dumps(props))}">
    <section><h1>Daily Papers</h1><p class="byline">by AK and the research community &middot; Jul 31</p>
      <div id="cards" class="grid grid-cols-1 gap-14 lg:grid-cols-2">{"".join(_card(e) for e in entries)}</div>
    </section>
  </div>
  <template id="week-cards">{"".join(_card(e) for e in week)}</template>
</main>
<script>{_SPA_SCRIPT}</script>
</body></html>"""


def hf_paper_page(entry: dict[str, Any]) -> str:
    paper = entry["paper"]
    props = {"paper": paper, "comments": [], "upvoted": False, "dailyPaperRank": 1}
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Paper page - {_e(paper["title"])}</title></head>
<body><main>
  <div class="SVELTE_HYDRATER contents" data-target="PaperContent" data-props="{_e(json.dumps(props))}">
    <section class="pt-8"><div class="container">
      <h1 class="mb-2 text-2xl font-semibold">{_e(paper["title"])}</h1>
      <a href="https://arxiv.org/abs/{paper["id"]}">View arXiv page</a>
      <a href="https://arxiv.org/pdf/{paper["id"]}">View PDF</a>
      <div class="pb-8 pr-4 md:pr-16"><p>{_e(paper.get("summary", ""))}</p></div>
    </div></section>
  </div>
</main></body></html>"""


def _arxiv_item(n: int, pid: str, title: str) -> str:
    return f"""
  <dt>
    <a name="item{n}">[{n}]</a>
    <a href="/abs/{pid}" title="Abstract" id="{pid}">arXiv:{pid}</a>
    [<a href="/pdf/{pid}" title="Download PDF" id="pdf-{pid}" aria-labelledby="pdf-{pid}">pdf</a>,
     <a href="https://arxiv.org/html/{pid}v1" title="View HTML" id="html-{pid}" rel="noopener noreferrer">html</a>,
     <a href="/format/{pid}" title="Other formats" id="oth-{pid}">other</a>]
  </dt>
  <dd>
    <div class="meta">
      <div class="list-title mathjax"><span class="descriptor">Title:</span> {_e(title)}</div>
      <div class="list-authors"><a href="/a/kim_a_1">Ada Kim</a></div>
      <div class="list-subjects"><span class="descriptor">Subjects:</span>
        <span class="primary-subject">Machine Learning (cs.LG)</span></div>
      <p class="mathjax">Abstract of {_e(title)}.</p>
    </div>
  </dd>"""


# arxiv.org's list page look (red header, Lucida Grande, bare titles): screenshots resemble the real site.
_ARXIV_CSS = """
body { margin: 0; font: 15px/1.4 "Lucida Grande", Helvetica, Arial, sans-serif; color: #000; }
a { color: #0066cc; text-decoration: none; }
a:hover { text-decoration: underline; }
#header { display: flex; gap: 18px; align-items: baseline; padding: 10px 24px; background: #b31b1b; color: #fff; }
#header .logo { color: #fff; font: 700 30px/1 Georgia, serif; }
#content-inner { padding: 4px 24px 24px; }
h1 { font-size: 24px; margin: 12px 0 4px; }
h3 { font-size: 17px; margin: 10px 0; }
dl { margin: 0; }
dt { margin-top: 14px; font-size: 15px; }
dd { margin: 4px 0 0 40px; }
.list-title { font-size: 18px; font-weight: 600; }
.list-title .descriptor, .list-subjects .descriptor { display: none; }
.list-authors { font-size: 15px; }
.list-subjects { font-size: 13px; color: #333; }
.primary-subject { font-weight: 600; }
p.mathjax { margin: 4px 0 0; font-size: 14px; }
"""


def arxiv_list_page(known: list[dict[str, Any]]) -> str:
    items = [(e["paper"]["id"], e["paper"]["title"]) for e in known]
    items += [(pid, f"A paper papertray has not seen ({pid})") for pid in UNKNOWN_IDS]
    body = "".join(_arxiv_item(n, pid, title) for n, (pid, title) in enumerate(items, 1))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Machine Learning  new submissions</title>
<style>{_ARXIV_CSS}</style></head>
<body><div id="header"><a href="/" class="logo">arXiv</a><span>cs &gt; cs.LG</span></div>
<div id="content-inner"><div id="dlpage">
  <h1>Machine Learning</h1>
  <h3>Showing new listings for Thursday, 31 July 2025</h3>
  <dl id="articles">
  <h3>New submissions (showing {len(items)} of {len(items)} entries)</h3>{body}
  </dl>
</div></div></body></html>"""


def arxiv_abs_page(entry: dict[str, Any]) -> str:
    paper = entry["paper"]
    pid = paper["id"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>[{pid}] {_e(paper["title"])}</title>
<link rel="canonical" href="https://arxiv.org/abs/{pid}">
<meta name="citation_title" content="{_e(paper["title"])}">
<meta name="citation_arxiv_id" content="{pid}">
<meta name="citation_pdf_url" content="https://arxiv.org/pdf/{pid}">
</head>
<body><div id="abs-outer"><div id="content-inner"><div id="abs">
  <div class="dateline">[Submitted on 22 Jul 2025]</div>
  <h1 class="title mathjax"><span class="descriptor">Title:</span>{_e(paper["title"])}</h1>
  <div class="authors"><a href="/a/kim_a_1">Ada Kim</a></div>
  <blockquote class="abstract mathjax">{_e(paper.get("summary", ""))}</blockquote>
</div></div></div></body></html>"""


def arxiv_html_page(entry: dict[str, Any]) -> str:
    """The LaTeXML rendering at arxiv.org/html/{id}v1."""
    paper = entry["paper"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(paper["title"])}</title></head>
<body><div class="ltx_page_main"><div class="ltx_page_content"><article class="ltx_document ltx_authors_1line">
  <h1 class="ltx_title ltx_title_document">{_e(paper["title"])}</h1>
  <div class="ltx_authors"><span class="ltx_creator ltx_role_author">Ada Kim</span></div>
  <div class="ltx_abstract"><h6 class="ltx_title ltx_title_abstract">Abstract</h6>
    <p class="ltx_p">{_e(paper.get("summary", ""))}</p></div>
</article></div></div></body></html>"""


def other_site_page(ids: list[str]) -> str:
    links = "".join(f'<li><a href="https://arxiv.org/abs/{pid}v2">arXiv {pid}</a></li>' for pid in ids)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reading notes</title></head>
<body><h1>Papers I liked</h1>
<ul>{links}<li><a href="https://example.org/abs/1">not a paper</a></li></ul></body></html>"""


@dataclass
class FixtureSite:
    """The HTTPS fixture server (pages) and a plain HTTP server (the daemon's feed), both on 127.0.0.1."""

    cert: Path
    key: Path
    requests: list[tuple[str, str]] = field(default_factory=list)  # (host header, path)
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # When set, the plain HTTP port answers /api/v1/health as a papertray speaking this API version; otherwise it
    # is "another program" on that port (404s without papertray's identity header).
    future_api: str | None = None
    # Seconds the thumbnails may be cached, as a CDN's images are; 0 (the tests' default) refetches them every load.
    image_max_age: int = 0
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        entries = feed_entries(53)
        day, week = entries[:50], entries[3:53]
        html_type = "text/html; charset=utf-8"
        self.pages = {
            "/papers": (html_type, hf_list_page(day, week).encode()),
            f"/papers/date/{DAY}": (html_type, hf_list_page(day, week).encode()),
            f"/papers/{day[0]['paper']['id']}": (html_type, hf_paper_page(day[0]).encode()),
            "/list/cs.LG/new": (html_type, arxiv_list_page(day[:6]).encode()),
            f"/abs/{day[1]['paper']['id']}": (html_type, arxiv_abs_page(day[1]).encode()),
            f"/html/{day[2]['paper']['id']}v1": (html_type, arxiv_html_page(day[2]).encode()),
            "/notes": (html_type, other_site_page([e["paper"]["id"] for e in day[:3]]).encode()),
            "/api/daily_papers": ("application/json", json.dumps(day).encode()),
            HF_REAL_PATH: (html_type, HF_REAL.read_bytes()),
            "/front/build/kube-2a78dc9/style.css": ("text/css", HF_REAL_CSS.read_bytes()),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                site.requests.append((self.headers.get("Host", ""), self.path))
                if path == "/api/v1/health" and site.future_api is not None:
                    # A papertray from the future: the extension must call it incompatible, not broken.
                    body = json.dumps({"status": "ok", "version": "9.0.0", "api_version": site.future_api}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("X-Papertray-Version", "9.0.0")
                    self.send_header("X-Papertray-API-Version", site.future_api)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                found = site.pages.get(path)
                cache = "no-store"
                if found is None and (path.startswith("/thumbs/") or path == "/favicon.ico"):
                    found = ("image/png", PIXEL_PNG)
                    cache = f"public, max-age={site.image_max_age}" if site.image_max_age else cache
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"not found")
                    return
                content_type, body = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", cache)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def _serve(self, tls: bool) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        server.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.cert, self.key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, name="fixture-site", daemon=True).start()
        self._servers.append(server)
        return int(server.server_address[1])

    def start(self) -> FixtureSite:
        self.https_port = self._serve(tls=True)
        self.http_port = self._serve(tls=False)
        return self

    @property
    def feed_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def resolver_rules(self) -> str:
        return ", ".join(f"MAP {host}:443 127.0.0.1:{self.https_port}" for host in HOSTS)

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
