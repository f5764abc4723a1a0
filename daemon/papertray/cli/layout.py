"""How the CLI lays a table out in a terminal: the terminal's width, columns whose text wraps at word boundaries
(never inside a word), and colour for ok / failing where the terminal shows it (`NO_COLOR` turns it off,
https://no-color.org; so do a pipe, a file and `TERM=dumb`)."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import TextIO

# Below this a table cannot be laid out sensibly; wrap as if the terminal were this wide.
MIN_COLUMNS = 40
_COLOURS = {"ok": "32", "fail": "1;31", "note": "33", "dim": "2"}


def columns(stream: TextIO | None = None) -> int | None:
    """The width to lay text out in: COLUMNS, else the terminal's; None (one line per row, however long) when
    the output goes to a pipe or a file, where a script reads it line by line."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    if not os.environ.get("COLUMNS") and not (isatty and isatty()):
        return None
    return max(MIN_COLUMNS, shutil.get_terminal_size((80, 24)).columns)


def wrap(text: str, width: int | None, start: int, indent: int) -> list[str]:
    """`text` in lines that end by column `width`: the first starts at column `start` (the caller writes what
    comes before it), the others are indented by `indent` spaces. A word longer than a line (a path, a URL)
    stays whole on a line of its own rather than being cut. `width` None: one line."""
    if width is None:
        return [text]
    width = max(width, indent + 20, start + 20)
    lines = textwrap.wrap(
        text,
        width,
        initial_indent=" " * start,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]
    return [lines[0][start:], *lines[1:]]


def colour_on(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, kind: str, on: bool) -> str:
    """`text` in the colour for `kind` (ok, fail, note, dim) when `on`; as it is otherwise."""
    return f"\033[{_COLOURS[kind]}m{text}\033[0m" if on else text
