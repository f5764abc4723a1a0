"""The reading-list page as a browser sees it, over plain HTTP to a real daemon: the one-time login link's
answer carries the session secret (in a meta tag the page's script moves into sessionStorage), then GETs that
send it as the page's header."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from http.cookies import SimpleCookie

from tests.support.daemon import DaemonProcess

SESSION_META = re.compile(rb'<meta name="papertray-session" content="([A-Za-z0-9_-]+)">')


def page_get(daemon: DaemonProcess, session: str, path: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{daemon.port}{path}", headers={"X-Papertray-Session": session})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), ""


def session_from(page: bytes) -> str:
    """The session secret in the login answer's page."""
    found = SESSION_META.search(page)
    assert found, "the login answer carries a session"
    return found.group(1).decode()


def login(daemon: DaemonProcess) -> str:
    status, body = daemon.post("library/login")
    assert status == 200
    with urllib.request.urlopen(body["url"], timeout=30) as response:
        assert response.status == 200
        cookies = SimpleCookie(response.headers.get("Set-Cookie", ""))
        assert all(morsel.value == "" for morsel in cookies.values()), "no cookie carries a session"
        return session_from(response.read())
