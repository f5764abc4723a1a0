"""Outside text (feed titles, error texts, paper notes) made safe to show: on a terminal, in a file the user may
`cat`, in the log, in a desktop notification. One home for what counts as a dangerous character.

Dangerous are the characters a terminal or a reader acts on instead of showing: C0 controls (ESC starts CSI and
OSC sequences: colours, the window title, OSC 8 links, clipboard writes), DEL, C1 controls (U+009B is CSI on its
own in some terminals), the line and paragraph separators, and the bidirectional overrides and isolates that
make text read differently from how it is stored ("Trojan source"). Tab and newline are kept where a block of
text is expected; a carriage return never is (it overwrites the line before it).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape as xml_escape

_UNSAFE_CLASS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
# Whole escape sequences go, not just their ESC, so no "[31m" or "]0;title" litter is left behind: CSI
# (colours, cursor moves), OSC/DCS/PM/APC/SOS strings up to their terminator (or the next control), and the
# short ESC sequences (charset switches, reset). Their 8-bit C1 forms too.
SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    r"|(?:\x1b[\]P^_X]|[\x90\x98\x9d\x9e\x9f])[^\x00-\x1f\x7f-\x9f]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
UNSAFE_OR_WHITESPACE_CONTROL = re.compile(f"[{_UNSAFE_CLASS}\t\n]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def clean(text: str) -> str:
    """`text` without dangerous characters; tabs and newlines stay (a block of text, a file)."""
    return UNSAFE.sub("", SEQUENCE.sub("", text))


def one_line(text: str) -> str:
    """`text` as one line: newlines and tabs become spaces, other dangerous characters are dropped, so a
    title cannot start a forged line of its own in a listing."""
    return UNSAFE_OR_WHITESPACE_CONTROL.sub(_space_or_nothing, SEQUENCE.sub("", text))


def _space_or_nothing(match: re.Match[str]) -> str:
    return " " if match[0] in "\t\n\x0b\x0c\r\u2028\u2029" else ""


def escape(text: str) -> str:
    """`text` with every dangerous character (newlines and tabs included) written as a visible escape
    (`\\n`, `\\x1b`, `\\u202e`): for the log, where the evidence must stay readable but never act."""
    return UNSAFE_OR_WHITESPACE_CONTROL.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    char = match[0]
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """JSON for a terminal: non-ASCII text stays readable, yet no dangerous character appears raw."""
    return json_clean(json.dumps(value, indent=indent, ensure_ascii=False))


def json_clean(text: str) -> str:
    """JSON text (as any encoder writes it) with dangerous characters as `\\uXXXX`: the same data. Encoders
    escape C0 controls themselves; the others can only stand inside strings, where the escape is valid."""
    return UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def markup_text(text: str) -> str:
    """`text` for a notification server that renders Pango markup (the freedesktop body; dunst the summary
    too): shown literally, never as tags, sizes or colours. Servers decode the entities back to `<`, `&`, `>`."""
    return xml_escape(clean(text))
