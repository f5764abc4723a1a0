"""LaTeX in BibTeX field values as plain Unicode text: accents composed, escapes undone, braces dropped.

One regex pass whose whitespace runs are possessive (`*+`, never given back): the old pattern backtracked
quadratically on a long run of spaces after an accent command (one 250 KB import held the daemon for seconds).
"""

from __future__ import annotations

import re
import unicodedata

ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
}
SYMBOLS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textendash": "–",
    "textemdash": "—",
    "ldots": "…",
    "dots": "…",
}
LATEX_TOKEN = re.compile(
    r"\\(?P<accent>['`^\"~=.]|[uvHckr](?![A-Za-z]))\s*+(?:\{\s*+(?P<abody>\\?[A-Za-z]?)\s*+\}|(?P<achar>[A-Za-z]))"
    r"|\\(?P<escaped>[{}&%$#_ ,;!])"
    r"|\\(?P<cmd>[A-Za-z]++)\s?(?:\{\})?"
    r"|(?P<brace>[{}])"
    r"|(?P<tilde>~)"
)


def latex_to_text(value: str) -> str:
    """BibTeX field text as plain Unicode: accents composed, escapes undone, grouping braces dropped."""

    def replace(match: re.Match[str]) -> str:
        if match.group("accent"):
            body = match.group("abody") or match.group("achar") or ""
            if body.startswith("\\"):
                body = SYMBOLS.get(body[1:], body[1:])
            return unicodedata.normalize("NFC", body + ACCENTS[match.group("accent")]) if body else ""
        if match.group("escaped"):
            char = match.group("escaped")
            return " " if char in " ,;!" else char
        if match.group("cmd"):
            name = match.group("cmd")
            return SYMBOLS.get(name, "")
        if match.group("tilde"):
            return " "
        return ""

    return LATEX_TOKEN.sub(replace, value)
