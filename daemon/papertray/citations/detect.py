"""Which citation format a file is in: for `papertray import`, from its content first (then its name), and for
`papertray export -o FILE`, from the name of the file to write. Either says in one sentence when it cannot tell,
or when the file and `--format` disagree, instead of importing nothing or writing BibTeX into a `.json` file.
"""

from __future__ import annotations

from pathlib import PurePath

from papertray.citations import bibtex_scan, ris
from papertray.citations.formats import IMPORT_FORMATS, NAMES
from papertray.errors import PapertrayError

IMPORT_HINT = "papertray imports BibTeX (.bib) and CSL-JSON (.json) files, as Zotero, JabRef and papertray export them"
# What each file name ending holds; the first format is the one chosen when --format is not given.
BY_SUFFIX = {
    ".bib": ("bibtex",),
    ".bibtex": ("bibtex",),
    ".json": ("json", "csljson"),
    ".csljson": ("csljson",),
    ".csl": ("csljson",),
    ".ris": ("ris",),
    ".md": ("markdown",),
    ".markdown": ("markdown",),
}


def sniff(text: str) -> str | None:
    """The format `text` is written in, judged from its first characters and its record lines, or None."""
    start = text.lstrip("\ufeff \t\r\n")
    if start[:1] in ("[", "{"):
        return "csljson"  # JSON; papertray's own `json` export reads as CSL-JSON items with an arXiv id
    if start.startswith("TY  - ") or ris.RECORD_LINE.search(text[:4096]):
        return "ris"
    if bibtex_scan.RECORD_LINE.search(text):
        return "bibtex"
    if start.startswith("#") or start.startswith("- ["):
        return "markdown"
    return None


def import_format(path: PurePath, text: str, given: str | None) -> str:
    """The format to read `path` (holding `text`) as, or PapertrayError saying why it cannot be imported."""
    found = sniff(text)
    name = path.name
    if given is not None:
        if found is not None and found != given:
            hint = " (import it without --format)" if found in IMPORT_FORMATS else f"; {IMPORT_HINT}"
            raise PapertrayError(f"{name} holds {NAMES[found]}, not {NAMES[given]}{hint}.")
        return given
    if found in IMPORT_FORMATS:
        return found
    if found is not None:
        raise PapertrayError(f"{name} holds {NAMES[found]}, which papertray cannot import; {IMPORT_HINT}.")
    by_name = [f for f in BY_SUFFIX.get(path.suffix.lower(), ()) if f in IMPORT_FORMATS]
    if not text.strip():
        raise PapertrayError(f"{name} is empty; {IMPORT_HINT}.")
    if by_name:
        return by_name[0]  # the parser then says what is wrong with it
    raise PapertrayError(f"papertray cannot tell the format of {name}; {IMPORT_HINT}.")


def export_format(path: PurePath | None, given: str | None) -> str:
    """The format to write: `given`, else the one `path`'s ending names, else BibTeX. A `given` format that the
    ending contradicts is refused (PapertrayError) rather than written under a misleading name."""
    allowed = BY_SUFFIX.get(path.suffix.lower(), ()) if path is not None else ()
    if given is None:
        return allowed[0] if allowed else "bibtex"
    if allowed and given not in allowed:
        assert path is not None
        choices = " or ".join(f"--format {f}" for f in allowed)
        raise PapertrayError(
            f"{path.name} names a {NAMES[allowed[0]]} file but --format is {given}; use {choices}, "
            f"or a file name ending in {_suffix_of(given)}."
        )
    return given


def _suffix_of(fmt: str) -> str:
    return next(suffix for suffix, formats in BY_SUFFIX.items() if formats[0] == fmt)
