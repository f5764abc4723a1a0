"""Drive stock Firefox (Debian's firefox-esr) with the shipped extension, with no geckodriver and no new package.

Firefox's own Remote Agent speaks WebDriver BiDi over a WebSocket (`--remote-debugging-port 0`: Firefox picks a free
port and writes it to WebDriverBiDiServer.json in the profile); `tests.support.bidi` is a small aiohttp client for it.
`Firefox` starts headless Firefox on a fresh profile, installs `extension/` as a temporary add-on
(`webExtension.install`; or, to outlive a restart, permanently from a packed XPI on a profile the caller keeps), and
gives tests sync handles on tabs; it runs everything on its own event loop in a thread (`LoopThread`), like the other
fixture services, so tests stay plain functions. `--remote-allow-system-access` lets the
session open the extension's own moz-extension:// pages (as a user does from about:addons) and reach the browser window
itself, where Firefox keeps the context menu, extension shortcuts and the state of the extension's background page.

Firefox cannot remap host:port the way Chromium's `--host-resolver-rules` does. The profile points Firefox at a
`TunnelProxy` (tests.support.tunnel_proxy) that tunnels `huggingface.co:443` and `arxiv.org:443` to the fixture HTTPS
server and refuses everything else, so pages load under their real hostnames and the manifest's content-script matches
are what runs. Loopback (the daemon) is never proxied: that is Firefox's default.

The moz-extension UUID is fixed through the `extensions.webextensions.uuids` pref, so the extension's origin (which the
daemon pins the pairing token to) is known to the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tests.support.bidi import BiDi, BiDiError, from_remote, to_remote
from tests.support.loop_thread import LoopThread
from tests.support.marks import Mark
from tests.support.tunnel_proxy import TunnelProxy

log = logging.getLogger(__name__)

FIREFOX = Path("/usr/bin/firefox-esr")
REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"
EXTENSION_UUID = "3f0c5a52-7d64-4e7b-9c1a-5b2e8d4f6a10"
EXTENSION_ORIGIN = f"moz-extension://{EXTENSION_UUID}"
CONTROL = "\ue009"  # WebDriver's key codes
BACKSPACE = "\ue003"


def build_xpi(extension: Path, dest: Path) -> Path:
    """The extension packed as Firefox installs it from a file: a zip of the folder without its unit tests (what
    packaging/build-extension ships), unsigned."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as xpi:
        for path in sorted(extension.rglob("*")):
            relative = path.relative_to(extension)
            if path.is_file() and relative.parts[0] != "tests":
                xpi.write(path, relative.as_posix())
    return dest


def gecko_id(extension: Path = EXTENSION) -> str:
    manifest = json.loads((extension / "manifest.json").read_text())
    return str(manifest["browser_specific_settings"]["gecko"]["id"])


# The machine has no internet: everything Firefox would fetch on its own is switched off, so nothing waits on a
# network that is not there and nothing but the pages under test goes through the proxy.
QUIET_PREFS: dict[str, bool | int | str] = {
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "app.update.auto": False,
    "app.update.checkInstallTime": False,
    "app.update.disabledForTesting": True,
    "browser.aboutwelcome.enabled": False,
    "browser.discovery.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.snippets": False,
    "browser.newtabpage.activity-stream.feeds.topsites": False,
    "browser.newtabpage.activity-stream.feeds.section.topstories": False,
    "browser.ping-centre.telemetry": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.search.update": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.tabs.warnOnClose": False,
    "browser.topsites.contile.enabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "dom.push.connection.enabled": False,
    "dom.push.serverURL": "",
    "extensions.blocklist.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.update.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "media.gmp-manager.url": "",
    "media.gmp-gmpopenh264.autoupdate": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.http.speculative-parallel-limit": 0,
    "network.prefetch-next": False,
    "network.trr.mode": 5,
    "services.settings.server": "data:,#remote-settings-dummy/v1",  # honoured with MOZ_REMOTE_SETTINGS_DEVTOOLS=1
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.unified": False,
}


FIREFOX_ENV = {
    "MOZ_HEADLESS": "1",
    "MOZ_CRASHREPORTER_DISABLE": "1",
    # Release builds ignore services.settings.server unless this is set; with it, Remote Settings syncs from a dummy
    # data: URL instead of trying Mozilla's servers through the proxy.
    "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1",
}


def profile_prefs(proxy_port: int, extension_uuids: dict[str, str]) -> dict[str, bool | int | str]:
    return {
        **QUIET_PREFS,
        # A manual proxy for http and https; loopback stays direct (network.proxy.allow_hijacking_localhost is false
        # by default), so the extension reaches the daemon on 127.0.0.1 without the proxy.
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": proxy_port,
        "network.proxy.ssl": "127.0.0.1",
        "network.proxy.ssl_port": proxy_port,
        "network.proxy.no_proxies_on": "",
        "extensions.webextensions.uuids": json.dumps(extension_uuids),
    }


def write_user_js(profile: Path, prefs: dict[str, bool | int | str]) -> None:
    lines = [f"user_pref({json.dumps(name)}, {json.dumps(value)});" for name, value in prefs.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n")


def _text(node: dict[str, Any]) -> str:
    value = node.get("value", node)
    if value.get("nodeType") == 3:
        return str(value.get("nodeValue", ""))
    return "".join(_text(child) for child in value.get("children", []) or [])


def _find(node: dict[str, Any], local_name: str) -> dict[str, Any] | None:
    value = node.get("value", node)
    if value.get("localName") == local_name:
        return node
    for child in value.get("children", []) or []:
        found = _find(child, local_name)
        if found is not None:
            return found
    return None


def _attrs(node: dict[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = node.get("value", node).get("attributes", {})
    return attributes


def _box(host: dict[str, Any]) -> dict[str, Any] | None:
    """The `papertray <id>` group in `host`'s closed shadow root, when `host` is a mark."""
    shadow = host["value"].get("shadowRoot")
    if shadow is None or shadow["value"].get("mode") != "closed":
        return None
    for child in shadow["value"].get("children", []) or []:
        if child["value"].get("localName") == "span" and _attrs(child).get("aria-label", "").startswith("papertray "):
            box: dict[str, Any] = child
            return box
    return None


def _mark(host: dict[str, Any], container: str) -> Mark:
    # Nothing on the host names papertray: a plain <span> whose only attribute is its style, no light-DOM children.
    assert host["value"].get("localName") == "span" and list(_attrs(host)) == ["style"], _attrs(host)
    box = _box(host)
    assert box is not None
    badge = next(c for c in box["value"]["children"] if _attrs(c).get("class") == "badge")
    button = _find(box, "button")
    assert button is not None
    # The words are drawn by CSS from data-label: no text node for the page's window.find() to search.
    assert _text(box) == "", _text(box)
    label = _attrs(box).get("aria-label", "")
    return Mark(
        id=label.removeprefix("papertray ") if label.startswith("papertray ") else "",
        state=_attrs(badge).get("data-state", ""),
        text=_attrs(badge).get("data-label", ""),
        label=_attrs(badge).get("aria-label", ""),
        button=_attrs(button).get("data-label", ""),
        pressed=_attrs(button).get("aria-pressed") == "true",
        container=container,
        armed=_attrs(button).get("data-armed") == "true",
        ref=str(button["sharedId"]),
    )


# Every empty <span> with a style (what a mark's host looks like to the page, and all it looks like) with the tag of
# its card-like ancestor; the ones holding a papertray group in a closed shadow root are the marks. Those roots are
# closed to page scripts; WebDriver BiDi serializes them anyway (`includeShadowTree: "all"`), the way the Chromium
# tier reads them through the DevTools DOM domain with `pierce`: what assistive technology and devtools see, not
# what the page can reach.
_MARKS_JS = """() => [...document.querySelectorAll('span[style]')].filter((host) => !host.firstChild).map(
  (host) => [host, host.parentElement?.closest('article, dt, li')?.tagName ?? ''])"""
# The content script's first pass on the page whose document started at `origin` (performance.timeOrigin), as the
# worker kept it in storage.session (content/main.js): read from an extension page, never from the page itself.
_FIRST_PASS_JS = """async (origin) => {
  const all = await browser.storage.session.get(null);
  return Object.entries(all).filter(([k, v]) => k.startsWith('marked:') && Math.abs(v.origin - origin) < 0.01)
    .map(([, v]) => v)[0] ?? null;
}"""


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Tab:
    """One top-level browsing context."""

    def __init__(self, firefox: Firefox, context: str) -> None:
        self.firefox = firefox
        self.context = context

    def _call(self, method: str, params: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        return self.firefox.command(method, params, timeout)

    def navigate(self, url: str) -> None:
        self._call("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    def reload(self) -> None:
        self._call("browsingContext.reload", {"context": self.context, "wait": "complete"})

    def close(self) -> None:
        self._call("browsingContext.close", {"context": self.context})

    @property
    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def _remote(self, function: str, args: list[dict[str, Any]], serialization: dict[str, Any] | None = None) -> Any:
        params: dict[str, Any] = {
            "functionDeclaration": function,
            "arguments": args,
            "target": {"context": self.context},
            "awaitPromise": True,
        }
        if serialization is not None:
            params["serializationOptions"] = serialization
        result = self._call("script.callFunction", params)
        if result.get("type") == "exception":
            details = result.get("exceptionDetails", {})
            raise BiDiError(f"script threw: {details.get('text')}")
        return result["result"]

    def evaluate(self, expression: str) -> Any:
        """Evaluate `expression` in the page (awaited) and return its value as plain Python."""
        return from_remote(self._remote(f"async () => ({expression})", []))

    def call(self, function: str, *args: Any) -> Any:
        """Call a page function with JSON arguments."""
        return from_remote(self._remote(function, [to_remote(a) for a in args]))

    def call_on(self, function: str, shared_id: str) -> Any:
        """Call a page function with one node (by its shared id) as its argument."""
        return from_remote(self._remote(function, [{"sharedId": shared_id}]))

    def wait_for(self, expression: str, what: str, timeout: float = 15) -> None:
        """Wait until `expression` is truthy in the page."""
        wait_until(lambda: bool(self.evaluate(expression)), what, timeout)

    def first_pass(self) -> dict[str, Any] | None:
        """What the content script reported when its first pass over this page ended (`marked`, `ids`, `at`), or
        None when it has not (or does not run here)."""
        found: dict[str, Any] | None = self.firefox.extension_page().call(
            _FIRST_PASS_JS, self.evaluate("performance.timeOrigin")
        )
        return found

    def wait_marked(self, timeout: float = 15) -> dict[str, Any]:
        """Wait until the content script's first pass finished; returns how many marks and ids it had."""
        wait_until(lambda: self.first_pass() is not None, "the content script's first pass", timeout)
        found = self.first_pass()
        assert found is not None
        return {"marked": found["marked"], "ids": found["ids"]}

    def marks(self) -> list[Mark]:
        pairs = self._remote(_MARKS_JS, [], {"maxDomDepth": None, "includeShadowTree": "all"})
        return [_mark(pair["value"][0], pair["value"][1]["value"]) for pair in pairs["value"] if _box(pair["value"][0])]

    def click_mark(self, mark: Mark, *, wait_armed: bool = True) -> None:
        """A real click on a mark's button, as a user makes it: once the mark has been in view for a moment."""
        self.call_on("(el) => el.scrollIntoView({block: 'center'})", mark.ref)
        if wait_armed:
            wait_until(
                lambda: any(m.armed for m in self.marks() if m.ref == mark.ref),
                f"the mark of {mark.id} to take clicks",
            )
        self.click(mark.ref)

    def locate(self, css: str) -> str:
        """The shared id of the first element matching `css` (light DOM)."""
        found = self._call(
            "browsingContext.locateNodes",
            {"context": self.context, "locator": {"type": "css", "value": css}, "maxNodeCount": 1},
        )
        if not found["nodes"]:
            raise AssertionError(f"nothing on {self.url} matches {css!r}")
        return str(found["nodes"][0]["sharedId"])

    def text(self, css: str) -> str:
        return str(self.call("(css) => document.querySelector(css)?.innerText ?? ''", css))

    def fill(self, css: str, text: str) -> None:
        """Click into a text field, select what it holds and type `text` over it, key by key."""
        self.click(self.locate(css))
        keys: list[dict[str, str]] = [
            {"type": "keyDown", "value": CONTROL},
            {"type": "keyDown", "value": "a"},
            {"type": "keyUp", "value": "a"},
            {"type": "keyUp", "value": CONTROL},
            {"type": "keyDown", "value": BACKSPACE},
            {"type": "keyUp", "value": BACKSPACE},
        ]
        for char in text:
            keys += [{"type": "keyDown", "value": char}, {"type": "keyUp", "value": char}]
        self._call(
            "input.performActions",
            {"context": self.context, "actions": [{"type": "key", "id": "keyboard", "actions": keys}]},
        )

    def activate(self) -> None:
        """Bring this tab to the front, as a user switching back to it does."""
        self._call("browsingContext.activate", {"context": self.context})

    def scroll(self, delta_y: int) -> None:
        """Turn the mouse wheel over the middle of the page."""
        size = self.evaluate("[innerWidth, innerHeight]")
        wheel = {"type": "scroll", "x": int(size[0] / 2), "y": int(size[1] / 2), "deltaX": 0, "deltaY": delta_y}
        self._call(
            "input.performActions",
            {"context": self.context, "actions": [{"type": "wheel", "id": "wheel", "actions": [wheel]}]},
        )

    def click(self, shared_id: str, button: int = 0) -> None:
        """A real mouse click in the middle of an element (scrolled into view first), through Firefox's input;
        `button=2` is a right click, which opens the context menu."""
        self.call_on("(el) => el.scrollIntoView({block: 'center'})", shared_id)
        origin = {"type": "element", "element": {"sharedId": shared_id}}
        self._call(
            "input.performActions",
            {
                "context": self.context,
                "actions": [
                    {
                        "type": "pointer",
                        "id": "mouse",
                        "parameters": {"pointerType": "mouse"},
                        "actions": [
                            {"type": "pointerMove", "x": 0, "y": 0, "origin": origin},
                            {"type": "pointerDown", "button": button},
                            {"type": "pointerUp", "button": button},
                        ],
                    }
                ],
            },
        )


# A permanent install of an unsigned XPI: release builds require signatures, ESR honours this pref.
UNSIGNED_PREFS: dict[str, bool | int | str] = {"xpinstall.signatures.required": False}


class Firefox(LoopThread):
    """Headless firefox-esr with the extension installed. `.start()`, then always `.stop()`.

    By default the profile is fresh and the extension a temporary add-on (gone when Firefox closes). `profile=` runs
    on a folder the caller keeps (started again on it, it is the same user's Firefox after a restart); `permanent=True`
    installs the packed extension as a user does from a file, so it stays installed with its data across restarts
    (`installed_now` says whether this run installed it or found it installed)."""

    thread_name = "firefox-bidi"
    start_timeout = 90.0

    def __init__(
        self,
        *,
        hosts: Iterable[str],
        tunnel_port: int,
        extension: Path = EXTENSION,
        extension_uuid: str = EXTENSION_UUID,
        executable: Path = FIREFOX,
        profile: Path | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__()
        self.executable = executable
        self.extension = extension
        self.extension_uuid = extension_uuid
        self.permanent = permanent
        self.proxy = TunnelProxy(hosts, tunnel_port)
        self.bidi = BiDi()
        self.workdir = Path(tempfile.mkdtemp(prefix="papertray-firefox-"))
        self.profile = profile if profile is not None else self.workdir / "profile"
        self.log_path = self.workdir / "firefox.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.extension_id = ""
        self.installed_now = False
        self.killed = False
        self.closed_cleanly = False
        self.log_entries: list[dict[str, Any]] = []
        self._extension_page: Tab | None = None

    # ------------------------------------------------------------------ start and stop (on the loop thread)

    async def _start(self) -> None:
        await self.proxy.start()
        self.profile.mkdir(exist_ok=True)
        prefs = profile_prefs(self.proxy.port, {gecko_id(self.extension): self.extension_uuid})
        write_user_js(self.profile, {**prefs, **(UNSIGNED_PREFS if self.permanent else {})})
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [str(self.executable), "-headless", "-no-remote", "-profile", str(self.profile),
                 "--remote-debugging-port", "0", "--remote-allow-system-access"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **FIREFOX_ENV},
                start_new_session=True,
            )  # fmt: skip
        port = await self._bidi_port()
        log.info("firefox started pid=%d bidi_port=%d proxy_port=%d", self.proc.pid, port, self.proxy.port)
        await self.bidi.connect(f"ws://127.0.0.1:{port}/session")
        await self.bidi.command("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.bidi.on("log.entryAdded", self.log_entries.append)
        await self.bidi.command("session.subscribe", {"events": ["log.entryAdded"]})
        if self.permanent:
            await self._install_permanently()
        else:
            installed = await self.bidi.command(
                "webExtension.install", {"extensionData": {"type": "path", "path": str(self.extension)}}
            )
            self.extension_id = str(installed["extension"])

    async def _install_permanently(self) -> None:
        """Install the packed extension for good (`moz:permanent`, Firefox's own install-from-file path), unless
        this profile has it already: then wait until Firefox has started it, as it does at every launch."""
        addon_id = gecko_id(self.extension)
        if await self._chrome(f"AddonManager.getAddonByID({json.dumps(addon_id)}).then((a) => a !== null)"):
            deadline = time.monotonic() + 30
            while not await self._chrome(f"WebExtensionPolicy.getByID({json.dumps(addon_id)})?.active === true"):
                if time.monotonic() >= deadline:
                    raise RuntimeError(f"the installed extension did not start:\n{self.output()}")
                await asyncio.sleep(0.1)
            self.extension_id = addon_id
            return
        xpi = build_xpi(self.extension, self.workdir / "papertray.xpi")
        installed = await self.bidi.command(
            "webExtension.install",
            {"extensionData": {"type": "archivePath", "path": str(xpi)}, "moz:permanent": True},
        )
        self.extension_id = str(installed["extension"])
        self.installed_now = True

    async def _chrome(self, expression: str) -> Any:
        tree = await self.bidi.command("browsingContext.getTree", {"moz:scope": "chrome"})
        target = {"context": tree["contexts"][0]["context"]}
        result = await self.bidi.command(
            "script.evaluate", {"expression": expression, "target": target, "awaitPromise": True}
        )
        if result.get("type") == "exception":
            raise BiDiError(f"chrome script threw: {result.get('exceptionDetails', {}).get('text')}")
        return from_remote(result["result"])

    async def _bidi_port(self, timeout: float = 60) -> int:
        # `--remote-debugging-port 0`: Firefox chooses a free port and writes it to the profile.
        server_file = self.profile / "WebDriverBiDiServer.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"firefox exited with {self.proc.returncode}:\n{self.output()}")
            with contextlib.suppress(OSError, ValueError, KeyError):
                return int(json.loads(server_file.read_text())["ws_port"])
            await asyncio.sleep(0.05)
        raise RuntimeError(f"firefox did not start its Remote Agent in {timeout} s:\n{self.output()}")

    async def _stop(self) -> None:
        with contextlib.suppress(BiDiError, OSError, asyncio.TimeoutError, AssertionError):
            await self.bidi.command("browser.close", timeout=10)
        with contextlib.suppress(Exception):
            await self.bidi.close()
        await self.proxy.stop()

    def start(self) -> Firefox:
        try:
            super().start()
            if self.loop is None or not self.extension_id:
                raise RuntimeError(f"firefox did not come up in {self.start_timeout} s:\n{self.output()}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close Firefox as a user closing its last window does (its shutdown work, such as clearing data on close,
        runs); `closed_cleanly` says whether it exited with 0 by itself rather than being killed."""
        super().stop()
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                # The process group is Firefox's own (start_new_session): its content processes go with it.
                log.warning("firefox did not close; killing it pid=%d", proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
                self.killed = True
        self.closed_cleanly = proc is not None and not self.killed and proc.returncode == 0
        shutil.rmtree(self.workdir, ignore_errors=True)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # ------------------------------------------------------------------ what tests use (any thread)

    def command(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        return self.call(self.bidi.command(method, params, timeout), timeout + 5)

    def url(self, path: str) -> str:
        return f"moz-extension://{self.extension_uuid}/{path}"

    def open(self, url: str) -> Tab:
        created = self.command("browsingContext.create", {"type": "tab"})
        tab = Tab(self, str(created["context"]))
        tab.navigate(url)
        return tab

    def extension_page(self) -> Tab:
        """One of the extension's own pages, in a window of its own (a tab beside the tested page would hide that
        page, and hidden pages report nothing seen), for reading what the extension keeps."""
        if self._extension_page is None:
            created = self.command("browsingContext.create", {"type": "window", "background": True})
            self._extension_page = Tab(self, str(created["context"]))
            self._extension_page.navigate(self.url("options/options.html"))
        return self._extension_page

    def wait_for_tab(self, url_prefix: str, timeout: float = 15) -> Tab:
        """The tab something else opened (the extension, a link), once its URL starts with `url_prefix`."""
        found: list[str] = []

        def opened() -> bool:
            for context in self.command("browsingContext.getTree", {"maxDepth": 0})["contexts"]:
                if str(context["url"]).startswith(url_prefix):
                    found.append(str(context["context"]))
                    return True
            return False

        wait_until(opened, f"a tab at {url_prefix}", timeout)
        return Tab(self, found[0])

    def chrome_evaluate(self, expression: str) -> Any:
        """Evaluate privileged JavaScript in the browser window (allowed by `--remote-allow-system-access`): how tests
        reach what about:debugging shows for an extension."""
        return self.call(self._chrome(expression), 35)

    @property
    def _extension_js(self) -> str:
        return f"WebExtensionPolicy.getByID({json.dumps(self.extension_id)}).extension"

    def background_state(self) -> str:
        """The extension's background (an event page in Firefox): starting, running, suspending or stopped."""
        return str(self.chrome_evaluate(f"{self._extension_js}.backgroundState"))

    def suspend_background(self) -> None:
        """Stop the event page as Firefox does when it has been idle (about:debugging's "Terminate background
        script"); the next event starts it again with nothing kept in memory."""
        self.chrome_evaluate(f"{self._extension_js}.terminateBackground({{disableResetIdleForTest: true}})")
        wait_until(lambda: self.background_state() == "stopped", "the background page to stop")

    def context_menu(self) -> list[str]:
        """The labels of the page context menu's visible items (open it with `Tab.context_click`)."""
        wait_until(
            lambda: self.chrome_evaluate("document.getElementById('contentAreaContextMenu').state") == "open",
            "the context menu to open",
        )
        labels = self.chrome_evaluate(
            "[...document.getElementById('contentAreaContextMenu').querySelectorAll('menuitem')]"
            ".filter((item) => !item.hidden && item.getAttribute('label')).map((item) => item.getAttribute('label'))"
        )
        return [str(label) for label in labels]

    def choose_from_context_menu(self, label: str) -> None:
        """Activate the open context menu's item called `label`, as a click on it does (the menu closes)."""
        chosen = self.chrome_evaluate(
            f"""(() => {{
              const menu = document.getElementById('contentAreaContextMenu');
              const item = [...menu.querySelectorAll('menuitem')].find(
                (i) => !i.hidden && i.getAttribute('label') === {json.dumps(label)});
              if (!item) return false;
              item.closest('menupopup').activateItem(item);
              return true;
            }})()"""
        )
        if chosen is not True:
            raise AssertionError(f"the context menu has no item {label!r}")

    def press_shortcut(self, shortcut: str) -> None:
        """Run a keyboard shortcut such as "Alt+Shift+S" through the browser window's key bindings, where Firefox
        registers extension commands (WebDriver key input goes to the page, which never sees browser shortcuts)."""
        *modifiers, key = shortcut.split("+")
        xul_modifiers = ",".join(m.lower() for m in modifiers)
        ran = self.chrome_evaluate(
            f"""(() => {{
              const key = [...document.querySelectorAll('key')].find((k) => k.getAttribute('key') === {json.dumps(key)}
                && k.getAttribute('modifiers') === {json.dumps(xul_modifiers)});
              if (!key) return false;
              key.doCommand();
              return true;
            }})()"""
        )
        if ran is not True:
            raise AssertionError(f"no browser shortcut {shortcut} is registered")

    def pin_to_toolbar(self) -> None:
        """Pin the extension's button to the toolbar, as a user does from the extensions menu (Firefox starts it in
        that menu, where the badge is not shown)."""
        self.chrome_evaluate(
            f"CustomizableUI.addWidgetToArea({json.dumps(self._widget_id)}, CustomizableUI.AREA_NAVBAR)"
        )

    def toolbar_badge(self) -> str:
        """The badge text on the extension's pinned toolbar button ("" when there is none)."""
        return str(
            self.chrome_evaluate(
                f"""(() => {{
                  const node = document.getElementById({json.dumps(self._widget_id)});
                  if (!node) return '';
                  return (node.getAttribute('badge') ?? node.querySelector('[badge]')?.getAttribute('badge')) ?? '';
                }})()"""
            )
        )

    @property
    def _widget_id(self) -> str:
        # Firefox's makeWidgetId(): the add-on id, lower case, anything but [a-z0-9_-] as "_".
        return re.sub(r"[^a-z0-9_-]", "_", self.extension_id.lower()) + "-browser-action"

    def answer_permission_prompt(self, allow: bool) -> str:
        """Answer the doorhanger Firefox shows for the extension's `permissions.request` (Allow or Don't allow);
        returns what the prompt said."""
        found = "PopupNotifications.panel.querySelector('#addon-webext-permissions-notification')"
        wait_until(lambda: self.chrome_evaluate(f"{found} !== null") is True, "the permission prompt")
        said = str(self.chrome_evaluate(f"{found}.textContent.replace(/\\s+/g, ' ').trim()"))
        choice = "button" if allow else "secondaryButton"
        self.chrome_evaluate(f"{found}.{choice}.click()")
        return said

    def errors(self) -> list[str]:
        """Errors web pages logged (uncaught exceptions and console.error), one line each.
        Firefox does not report its extension pages (options, popup) through `log.entryAdded`."""
        return [
            f"{entry.get('source', {}).get('context', '?')}: {entry.get('text')}"
            for entry in self.log_entries
            if entry.get("level") == "error"
        ]
