"""safe_text, the one home of "what a terminal, a log or a notification server must not receive raw"."""

from __future__ import annotations

import json

import pytest

from papertray.safe_text import clean, escape, json_text, markup_text, one_line


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("\x1b]0;window title\x07Title", "Title"),  # OSC: the window title
        ("\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("\x1b[31mred\x1b[0m", "red"),  # CSI colours
        ("\x9b2Jcleared", "cleared"),  # C1 CSI
        ("\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07copied", "copied"),  # OSC 52: write the clipboard
        ("bell\x07 and\x00 nul", "bell and nul"),
        ("abc\u202etxt.exe", "abctxt.exe"),  # a bidi override
        ("over\rwrite", "overwrite"),  # a carriage return redraws the line
        ("\x1b]0;never terminated", ""),  # as a terminal would, it swallows the rest
    ],
)
def test_s5_clean_leaves_only_what_is_shown(hostile: str, shown: str) -> None:
    assert clean(hostile) == shown


def test_s5_one_line_keeps_a_title_on_its_line_and_blocks_keep_layout() -> None:
    assert one_line("A title\nPapertray: forged\tline\u2028x") == "A title Papertray: forged line x"
    assert clean("@article{x,\n\ttitle = {A}\n}") == "@article{x,\n\ttitle = {A}\n}"
    assert clean("Édouard Lucas — 東京") == "Édouard Lucas — 東京"  # text is text


def test_s5_json_for_a_terminal_keeps_the_data_as_escapes() -> None:
    value = {"title": "\x1b[2J\x9b\u202eÉ"}
    text = json_text(value)
    assert clean(text) == text
    assert json.loads(text) == value


def test_s11_escape_makes_every_control_visible() -> None:
    assert escape("a\nb\r\t\x1b[2J\u202e") == "a\\nb\\r\\t\\x1b[2J\\u202e"


def test_s6_markup_text_is_literal_for_pango() -> None:
    assert (
        markup_text('<span size="xx-large">A & B</span>\x1b[31m')
        == '&lt;span size="xx-large"&gt;A &amp; B&lt;/span&gt;'
    )
