"""The sources papertray follows beyond Hugging Face's daily list: `[arxiv] categories` (arXiv archives and
categories) and `[sources] hf_lists` (Hugging Face's weekly, monthly and trending lists). Parsed here, called from
config.py with its table reader (errors name the file, line and key like every other setting). Imports nothing
of papertray's, so config.py can import it."""

from __future__ import annotations

import re
from typing import Any, Protocol

KNOWN_KEYS = {"categories"}
HF_LISTS = ("week", "month", "trending")  # /api/daily_papers?week=…, ?month=…, ?sort=trending
# An archive (`cs`, `hep-th`, `astro-ph`) or a category (`cs.LG`, `math.AG`, `q-bio.NC`), as arXiv writes them;
# arXiv's own feed answers 400 for a name outside its taxonomy, which the poller reports in one sentence.
NAME = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]{2,3})?\Z", re.ASCII)
MAX_CATEGORIES = 40  # one listing URL carries them all; arXiv's own pages link at most a handful


class TableReader(Protocol):
    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any: ...

    def error(self, key: str, problem: str) -> Exception: ...


def read_categories(reader: TableReader) -> tuple[str, ...]:
    """The followed names in the order written, each once. Raises the reader's error naming the bad one."""
    raw = reader.get("categories", list, [])
    names: list[str] = []
    for item in raw:
        if not isinstance(item, str):
            raise reader.error("categories", f"'categories' must hold names like \"cs.LG\", not {item!r}")
        name = item.strip()
        if not NAME.match(name):
            raise reader.error(
                "categories",
                f"'categories' holds {item!r}, which is no arXiv archive or category (write them like \"cs\" or "
                '"cs.LG")',
            )
        if name not in names:
            names.append(name)
    if len(names) > MAX_CATEGORIES:
        raise reader.error("categories", f"'categories' may name at most {MAX_CATEGORIES} archives or categories")
    return tuple(names)


def read_hf_lists(reader: TableReader) -> tuple[str, ...]:
    """`hf_lists = ["week", "month", "trending"]` (none by default), each once, in the order written."""
    raw = reader.get("hf_lists", list, [])
    names: list[str] = []
    for item in raw:
        if item not in HF_LISTS:
            raise reader.error(
                "hf_lists", f"'hf_lists' holds {item!r}; the lists are {', '.join(repr(n) for n in HF_LISTS)}"
            )
        if item not in names:
            names.append(item)
    return tuple(names)
