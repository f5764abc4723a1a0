"""The hostile-page tier: the shared fixture site serves the attack pages of pages.py under huggingface.co, and the
real daemon holds one paper in each state, so a page that learned anything would see a difference."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.hostile.pages import hostile_page
from tests.support.daemon import DaemonProcess
from tests.support.https_pages import UNKNOWN_IDS, FixtureSite, feed_entries

IDS = [e["paper"]["id"] for e in feed_entries(50)]


@dataclass(frozen=True)
class Probes:
    """One id per state the page would like to tell apart, and an old paper in no feed that the user saved."""

    new: str = IDS[0]
    saved: str = IDS[1]
    read: str = IDS[2]
    seen: str = IDS[3]
    unknown: str = UNKNOWN_IDS[0]
    old_saved: str = UNKNOWN_IDS[3]

    def all(self) -> list[str]:
        return [self.new, self.saved, self.read, self.seen, self.unknown, self.old_saved]


PROBES = Probes()
# On the "invisible" page: cards at opacity 0 and 0.02, hidden, filtered to nothing, of zero size, clipped away, a
# title in 1px type ...
HIDDEN_FROM_EVERY_BROWSER = (IDS[21], IDS[22], IDS[23], IDS[24], IDS[26], IDS[27], IDS[29])
# ... and two whose titles are under a white sheet that lets the pointer through (the card's own ::after, a sheet
# over the card): only occlusion tracking (Chromium's IntersectionObserver v2) sees those, not a hit test.
HIDDEN_FROM_HIT_TESTS = (IDS[25], IDS[28])


def store(daemon: DaemonProcess, ids: list[str]) -> dict[str, tuple[str, bool, bool]]:
    """(state, saved, read) of each id, as the daemon's lookup answers it."""
    status, body = daemon.post("lookup", {"ids": ids})
    assert status == 200, body
    papers: dict[str, Any] = body["papers"]
    out = {}
    for pid in ids:
        paper = papers.get(pid) or {"state": "unknown", "saved": False, "read": False}
        out[pid] = (paper["state"], bool(paper.get("saved")), bool(paper.get("read")))
    return out


@pytest.fixture
def states(daemon: DaemonProcess) -> Iterator[Probes]:
    """The daemon with the probe papers in their states (the rest of the feed stays new)."""
    assert daemon.post(f"papers/{PROBES.saved}/save")[0] == 200
    assert daemon.request("PATCH", f"papers/{PROBES.read}", {"read": True})[0] == 200
    assert daemon.post("seen", {"ids": [PROBES.seen]})[0] == 200
    assert daemon.post(f"papers/{PROBES.old_saved}/save")[0] == 200
    yield PROBES


@pytest.fixture
def hostile(site: FixtureSite) -> Iterator[dict[str, str]]:
    """URLs of the attack pages, added to the shared fixture site for this test."""
    html_type = "text/html; charset=utf-8"
    pages = {
        "probe": hostile_page("Probe", [(pid, "") for pid in PROBES.all()]),
        # A page whose policy forbids inline styles: if that kept the marks' own styles out, their size would
        # follow their words again.
        "csp": hostile_page("Strict", [(pid, "") for pid in PROBES.all()], csp="style-src 'none'"),
        "decoy": hostile_page("Decoy", [(IDS[10], ""), (IDS[11], ""), (IDS[12], ""), (IDS[13], ""), (IDS[14], "")]),
        "invisible": hostile_page(
            "Invisible",
            [
                (IDS[20], ""),
                (IDS[21], "opacity: 0"),
                (IDS[22], "opacity: 0.02"),
                (IDS[23], "visibility: hidden"),
                (IDS[24], "filter: opacity(0)"),
                (IDS[25], "position: relative"),
                (IDS[26], "width: 0; height: 0; padding: 0; border: 0; overflow: hidden"),
                (IDS[27], "clip-path: inset(50%)"),
                (IDS[28], ""),
                (IDS[29], ""),
            ],
            css=f'article[data-id="{IDS[25]}"]::after {{ content: ""; position: absolute; inset: -2px; '
            "background: #fff; pointer-events: none; }"
            f'article[data-id="{IDS[29]}"] h3 {{ font-size: 1px; line-height: 1px; }}',
            covered=(IDS[28],),
        ),
    }
    paths = {}
    for name, body in pages.items():
        path = f"/papers/hostile-{name}"
        site.pages[path] = (html_type, body.encode())
        paths[name] = f"https://huggingface.co{path}"
    yield paths
    for url in paths.values():
        site.pages.pop(url.removeprefix("https://huggingface.co"), None)
