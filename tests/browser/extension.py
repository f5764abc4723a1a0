"""Drive headless Chromium with the unpacked extension (testing.md "Browser with the extension").

`ExtensionBrowser` launches /usr/bin/chromium with the shipped `extension/` directory, maps huggingface.co and
arxiv.org to the fixture HTTPS server, and gives tests the service worker, the extension's pages, and the marks
the content script drew. Marks live in closed shadow roots that page scripts cannot reach, on plain <span> hosts
that name nothing; the tests read them the way assistive technology does, through the browser's DOM domain with
`pierce` (a host is a closed shadow root holding a `papertray <id>` group), and click them with the mouse. The end
of the content script's first pass is read from the service worker's storage.session, never from the page.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, CDPSession, Page, Playwright, Request, Worker
from playwright.sync_api import Error as PlaywrightError

from tests.support.marks import Mark

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"
CHROMIUM = "/usr/bin/chromium"
EXTENSION_ID = "ecjoinkgnkfofdpffhicmbeconlelkjb"  # fixed by the manifest's "key"
ID_IN_LABEL = re.compile(r"papertray (\S+)$")
MARK_WIDTH, MARK_HEIGHT = 156, 20  # content/marks.js: one size for every mark
# The content script's first pass on the page whose document started at `origin` (performance.timeOrigin).
FIRST_PASS = """async (origin) => {
  const all = await chrome.storage.session.get(null);
  return Object.entries(all).filter(([k, v]) => k.startsWith('marked:') && Math.abs(v.origin - origin) < 0.01)
    .map(([, v]) => v)[0] ?? null;
}"""


# Headless Chromium as root on a machine with no network but loopback (testing.md): without the background
# networking flags it keeps trying Google's hosts.
BASE_FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
]


def chromium_flags(resolver_rules: str) -> list[str]:
    return [
        *BASE_FLAGS,
        f"--host-resolver-rules={resolver_rules}",
        f"--disable-extensions-except={EXTENSION}",
        f"--load-extension={EXTENSION}",
    ]


def _attrs(node: dict[str, Any]) -> dict[str, str]:
    flat = node.get("attributes", [])
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _text(node: dict[str, Any]) -> str:
    if node.get("nodeType") == 3:
        return str(node.get("nodeValue", ""))
    return "".join(_text(child) for child in node.get("children", []))


def _find(node: dict[str, Any], tag: str) -> dict[str, Any] | None:
    if node.get("nodeName") == tag:
        return node
    for child in node.get("children", []) + node.get("shadowRoots", []):
        found = _find(child, tag)
        if found is not None:
            return found
    return None


def _box(host: dict[str, Any]) -> dict[str, Any] | None:
    """The `papertray <id>` group inside `host`'s closed shadow root, if `host` is a mark."""
    for shadow in host.get("shadowRoots", []):
        if shadow.get("shadowRootType") != "closed":
            continue
        for child in shadow.get("children", []):
            if child.get("nodeName") == "SPAN" and _attrs(child).get("aria-label", "").startswith("papertray "):
                box: dict[str, Any] = child
                return box
    return None


def _is_mark(node: dict[str, Any]) -> bool:
    return _box(node) is not None


class ExtensionBrowser:
    def __init__(self, playwright: Playwright, resolver_rules: str) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="papertray-chromium-")
        self.requests: list[str] = []
        self.from_extension: list[str] = []  # requests made by the service worker or the extension's pages
        self.context: BrowserContext = playwright.chromium.launch_persistent_context(
            self.profile.name,
            executable_path=CHROMIUM,
            headless=True,
            args=chromium_flags(resolver_rules),
            ignore_https_errors=True,
        )
        self.context.on("request", self._record)
        self.page_errors: list[str] = []
        # Console errors from pages and the service worker; the worker's uncaught errors are turned into console
        # errors by a listener the harness adds to each worker it sees (Playwright reports only the console).
        self.context.on("console", lambda msg: self._console(msg.page, msg.type, msg.text))
        self.context.on("serviceworker", self._watch_worker)
        for worker in self.context.service_workers:
            self._watch_worker(worker)

    def _watch_worker(self, worker: Worker) -> None:
        if not worker.url.startswith(f"chrome-extension://{EXTENSION_ID}/"):
            return
        worker.evaluate(
            """() => {
              self.addEventListener('error', (e) => console.error('uncaught: ' + e.message));
              self.addEventListener('unhandledrejection', (e) => console.error('unhandled rejection: ' + e.reason));
            }"""
        )

    def _record(self, request: Request) -> None:
        self.requests.append(request.url)
        origin = f"chrome-extension://{EXTENSION_ID}/"
        worker = request.service_worker
        if request.url.startswith(origin):
            return  # the extension loading its own files
        if worker is not None:
            if worker.url.startswith(origin):
                self.from_extension.append(request.url)
        elif request.is_navigation_request():
            return  # a top-level navigation (a tab opened by the extension): the page's own load, not a fetch
        else:
            try:
                frame_url = request.frame.url
            except PlaywrightError:
                # A frame Playwright has not tied to a page yet (a tab just opened, fetching its favicon): a
                # page loading its own files, as a navigation is; an extension page's frames are always known.
                return
            if frame_url.startswith(origin):
                self.from_extension.append(request.url)

    def extension_requests(self) -> list[str]:
        return list(self.from_extension)

    def stop_service_worker(self) -> None:
        """Stop the worker as Chrome does when idle (the chrome-extensions-samples terminate-sw lesson). The
        next event starts a fresh one; `worker_restarted()` tells whether the one answering is new."""
        self.sw("() => { globalThis.__papertrayTestMarker = true; }")
        cdp = self.context.new_cdp_session(self.context.pages[0])
        try:
            for target in cdp.send("Target.getTargets")["targetInfos"]:
                if target["type"] == "service_worker" and EXTENSION_ID in target["url"]:
                    cdp.send("Target.closeTarget", {"targetId": target["targetId"]})
        finally:
            cdp.detach()

    def worker_restarted(self) -> bool:
        return self.sw("() => globalThis.__papertrayTestMarker === undefined") is True

    @property
    def worker(self) -> Worker:
        for worker in self.context.service_workers:
            if worker.url.startswith(f"chrome-extension://{EXTENSION_ID}/"):
                return worker
        return self.context.wait_for_event("serviceworker", timeout=15000)

    def url(self, path: str) -> str:
        return f"chrome-extension://{EXTENSION_ID}/{path}"

    def sw(self, expression: str, arg: Any = None) -> Any:
        """Evaluate in the service worker (a restarted worker is found again)."""
        return self.worker.evaluate(expression, arg)

    def set_storage(self, items: dict[str, Any]) -> None:
        self.sw("items => chrome.storage.local.set(items)", items)

    def open(self, url: str) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.goto(url)
        return page

    def _console(self, page: Page | None, kind: str, text: str) -> None:
        if kind == "error":
            where = page.url if page is not None else "service worker"
            self.page_errors.append(f"{where}: console error: {text}")

    def open_in_content_world(self, url: str) -> tuple[Page, Callable[[str], Any]]:
        """Open `url` and return a function that evaluates (and awaits) an expression in the content script's
        isolated world, to check what a content script can and cannot reach."""
        page = self.context.new_page()
        cdp = self.context.new_cdp_session(page)
        contexts: list[dict[str, Any]] = []
        cdp.on("Runtime.executionContextCreated", lambda event: contexts.append(event["context"]))
        cdp.send("Runtime.enable")
        page.goto(url)
        self.wait_marked(page)

        def evaluate(expression: str) -> Any:
            world = [c for c in contexts if c["name"] == "papertray" and c["auxData"].get("type") == "isolated"][-1]
            params = {"expression": expression, "contextId": world["id"], "awaitPromise": True, "returnByValue": True}
            return cdp.send("Runtime.evaluate", params)["result"].get("value")

        return page, evaluate

    def first_pass(self, page: Page) -> dict[str, Any] | None:
        """What the content script reported when its first pass over `page` ended: `marked`, `ids`, `at`
        (performance.now() in the page's clock), or None when it has not (or does not run there)."""
        origin = page.evaluate("() => performance.timeOrigin")
        found: dict[str, Any] | None = self.sw(FIRST_PASS, origin)
        return found

    def wait_marked(self, page: Page, timeout: float = 15000) -> dict[str, Any]:
        """Wait until the content script's first pass finished; returns how many marks and ids it had."""
        deadline = time.monotonic() + timeout / 1000
        while (found := self.first_pass(page)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"the content script never finished a first pass on {page.url}")
            page.wait_for_timeout(50)
        return {"marked": found["marked"], "ids": found["ids"]}

    def marks(self, page: Page) -> list[Mark]:
        cdp: CDPSession = self.context.new_cdp_session(page)
        try:
            root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        finally:
            cdp.detach()
        found: list[Mark] = []

        def walk(node: dict[str, Any], parents: list[str]) -> None:
            if _is_mark(node):
                found.append(self._mark(node, parents))
            for child in node.get("children", []):
                walk(child, [*parents, str(node.get("nodeName", ""))])

        walk(root, [])
        return found

    def shadow_hosts(self, page: Page) -> int:
        """How many elements on `page` carry a shadow root of any kind (none of the fixture pages makes one)."""
        cdp: CDPSession = self.context.new_cdp_session(page)
        try:
            root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        finally:
            cdp.detach()

        def count(node: dict[str, Any]) -> int:
            own = 1 if node.get("shadowRoots") else 0
            return own + sum(count(c) for c in node.get("children", []) + node.get("shadowRoots", []))

        return count(root)

    def _mark(self, host: dict[str, Any], parents: list[str]) -> Mark:
        # Nothing on the host names papertray: a plain <span> whose only attribute is its style.
        assert host["nodeName"] == "SPAN" and list(_attrs(host)) == ["style"], _attrs(host)
        assert not host.get("children"), "a mark has nothing in the page's own DOM"
        box = _box(host)
        assert box is not None
        badge = next(c for c in box["children"] if _attrs(c).get("class") == "badge")
        button = _find(box, "BUTTON")
        assert button is not None
        # The words are drawn by CSS from data-label: no text node for the page's window.find() to search.
        assert _text(box) == "", _text(box)
        match = ID_IN_LABEL.search(_attrs(box).get("aria-label", ""))
        container = next((p for p in reversed(parents) if p in {"ARTICLE", "DT", "LI"}), "")
        return Mark(
            id=match.group(1) if match else "",
            state=_attrs(badge).get("data-state", ""),
            text=_attrs(badge).get("data-label", ""),
            label=_attrs(badge).get("aria-label", ""),
            button=_attrs(button).get("data-label", ""),
            pressed=_attrs(button).get("aria-pressed") == "true",
            container=container,
            armed=_attrs(button).get("data-armed") == "true",
            ref=str(button["backendNodeId"]),
        )

    def armed(self, page: Page, mark: Mark) -> bool:
        """Whether the mark takes clicks now: it has been visible (uncovered, opaque, in view) for a moment."""
        cdp = self.context.new_cdp_session(page)
        try:
            node = cdp.send("DOM.describeNode", {"backendNodeId": int(mark.ref)})["node"]
        finally:
            cdp.detach()
        return _attrs(node).get("data-armed") == "true"

    def click(self, page: Page, mark: Mark, *, wait_armed: bool = True) -> None:
        """A real mouse click on a mark's button, scrolled into view first and, as a user would, once it has been
        visible for a moment (`wait_armed`)."""
        cdp = self.context.new_cdp_session(page)
        try:
            cdp.send("DOM.scrollIntoViewIfNeeded", {"backendNodeId": int(mark.ref)})
            if wait_armed:
                deadline = time.monotonic() + 10
                while not self.armed(page, mark):
                    assert time.monotonic() < deadline, f"the mark of {mark.id} never became clickable"
                    page.wait_for_timeout(50)
            quad = cdp.send("DOM.getBoxModel", {"backendNodeId": int(mark.ref)})["model"]["content"]
        finally:
            cdp.detach()
        x = (quad[0] + quad[4]) / 2
        y = (quad[1] + quad[5]) / 2
        page.mouse.click(x, y)

    def close(self) -> None:
        self.context.close()
        self.profile.cleanup()
