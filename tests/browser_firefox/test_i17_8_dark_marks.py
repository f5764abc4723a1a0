"""Marks on Hugging Face's dark theme in real Firefox ESR (issue 17, item 8): huggingface.co puts `dark` on <html>;
Chromium followed it with :host-context(), which Firefox does not have, so there every mark stayed light on the
dark page. The same page in the light theme keeps light marks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser_firefox.test_extension import pair
from tests.support.daemon import DaemonProcess
from tests.support.firefox import Firefox, Tab
from tests.support.https_pages import DAY, FixtureSite

pytestmark = pytest.mark.browser

DARK_LIST = "/papers/trending"  # a second list address, served with the dark theme for this test alone
CLEAR = "rgba(0, 0, 0, 0)"  # a transparent background (the light button is a gradient, an unknown badge clear)


@pytest.fixture
def dark_page(site: FixtureSite) -> Iterator[str]:
    content_type, body = site.pages[f"/papers/date/{DAY}"]
    dark = body.replace(b'<html lang="en">', b'<html lang="en" class="dark">', 1)
    assert dark != body
    site.pages[DARK_LIST] = (content_type, dark)
    try:
        yield f"https://huggingface.co{DARK_LIST}"
    finally:
        del site.pages[DARK_LIST]


def colours(page: Tab) -> list[tuple[str, str, str]]:
    """(state, badge background, button background) of every mark, as Firefox draws them."""
    style = "(el) => [el, el.previousElementSibling].map((e) => getComputedStyle(e).backgroundColor)"
    return [(m.state, *page.call_on(style, m.ref)[::-1]) for m in page.marks()]


def luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_i17_8_marks_turn_dark_on_hugging_faces_dark_theme_in_firefox(
    firefox: Firefox, daemon: DaemonProcess, dark_page: str
) -> None:
    pair(firefox, daemon)
    page = firefox.open(dark_page)
    assert page.wait_marked()["marked"] == 50
    drawn = colours(page)
    assert len(drawn) == 50
    # Every badge and button is dark (the light theme's are near white), the New badge its dark blue.
    assert CLEAR not in {button for _state, _badge, button in drawn}
    assert all(luminance(badge) < 0.25 and luminance(button) < 0.25 for _state, badge, button in drawn), drawn[:3]
    assert ("new", "rgb(11, 42, 92)") in {(state, badge) for state, badge, _ in drawn}

    light = firefox.open(f"https://huggingface.co/papers/date/{DAY}")
    assert light.wait_marked()["marked"] == 50
    assert all(luminance(badge) > 0.7 for _state, badge, _button in colours(light) if badge != CLEAR)
    assert firefox.errors() == []
