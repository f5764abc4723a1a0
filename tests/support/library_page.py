"""The reading-list page as a browser sees it, over plain HTTP to a real daemon: the one-time login link's
cookie, then GETs that send it."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from tests.support.daemon import DaemonProcess


def page_get(daemon: DaemonProcess, cookie: str, path: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{daemon.port}{path}", headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def login(daemon: DaemonProcess) -> str:
    status, body = daemon.post("library/login")
    assert status == 200
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(body["url"], timeout=30)
    except urllib.error.HTTPError as err:
        assert err.code == 303
        return str(err.headers["Set-Cookie"]).split(";", 1)[0]
    raise AssertionError("the login link did not redirect")
