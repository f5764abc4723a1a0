"""The one rule for tags: what PATCH, the page and import accept (issue 11, item 16)."""

from __future__ import annotations

import pytest

from papertray.api import bodies
from papertray.user_fields import TAG


@pytest.mark.parametrize("tag", ["to-read\n", "to-read\r", "\x1b[31mred", "a" * 65, ""])
def test_s16_a_tag_with_a_trailing_newline_or_control_character_is_refused(tag: str) -> None:
    # `$` matched before a final newline, so "to-read\n" passed PATCH's check and was stored with it.
    assert not TAG.match(tag)
    assert bodies.TAG is TAG


@pytest.mark.parametrize("tag", ["to-read", "sparse autoencoders", "Schölkopf", "a" * 64])
def test_s16_ordinary_tags_are_accepted(tag: str) -> None:
    assert TAG.match(tag)
