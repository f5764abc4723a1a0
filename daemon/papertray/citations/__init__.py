"""Citations: export the reading list as BibTeX, RIS, CSL-JSON, Markdown or JSON, and read BibTeX and CSL-JSON
(what Zotero, Mendeley and JabRef export) back as `ImportEntry`s with a report of what was skipped and why.

Pure functions only: no files, no store. `library.py` applies imported entries to the store; the CLI and the
API call the same functions, through the names below.

papertray keeps arXiv papers only: an imported record is kept when any of its fields (eprint, URL, DOI, number,
journal, note, id) holds an arXiv id, otherwise it is skipped with that reason. Tags travel as keywords and the
user's note as `annote` (BibTeX), `N1` (RIS) and `note` (CSL-JSON), so an export imports back to the same list.

    formats.py      the one table of formats (names, media types, writer and reader of each), export(), parse()
    detect.py       which format a file is in (content first, then its name), for import and export -o FILE
    keys.py         what a citation key may hold, and the readable key (author, year, word) of a new paper
    records.py      what every format shares: ImportEntry, Skipped, ParseResult, the year, arXiv links and ids
    bibtex.py       BibTeX written and read;  bibtex_scan.py  the linear record scanner;  latex.py  LaTeX → text
    csljson.py      CSL-JSON written and read, and the chunks an import is sent in
    ris.py, markdown.py   export only
"""

from papertray.citations.bibtex import bibtex_entry, cite_key, parse_bibtex, to_bibtex
from papertray.citations.csljson import csljson_chunks, parse_csljson
from papertray.citations.formats import FORMATS, IMPORT_FORMATS, NAMES, export, parse
from papertray.citations.records import MAX_IMPORT_CHARS, ImportEntry, PaperLike, ParseResult, Skipped

__all__ = [
    "FORMATS",
    "IMPORT_FORMATS",
    "MAX_IMPORT_CHARS",
    "NAMES",
    "ImportEntry",
    "PaperLike",
    "ParseResult",
    "Skipped",
    "bibtex_entry",
    "cite_key",
    "csljson_chunks",
    "export",
    "parse",
    "parse_bibtex",
    "parse_csljson",
    "to_bibtex",
]
