"""Paper ids as the API meets them: in a path (strict: one id, optionally versioned or `arXiv:`-prefixed) and
in lookup lists (any accepted form). A path id is validated here before it reaches the store or a file path.
"""

from __future__ import annotations

import re
from functools import lru_cache

from papertray.errors import HttpError
from papertray.models import ARXIV_ID, MAX_ID_INPUT, canonical_id, is_issued_number

# The route pattern: an optional archive part (`hep-th/`) then one segment, so `…/save` stays its own route.
ROUTE_ID = "{id:(?:[A-Za-z][A-Za-z:.-]*/)?[^/]+}"


def path_id(raw: str) -> str:
    """The canonical id of a path segment, or 400."""
    if len(raw) <= 64:
        match = ARXIV_ID.fullmatch(raw)
        if match is not None and (match["new"] is None or is_issued_number(match["new"])):
            return match["new"] if match["new"] else f"{match['arch'].lower()}/{match['num']}"
    raise HttpError(400, "The path does not hold an arXiv paper id (like 2307.12345 or hep-th/9901001).")


# The forms the extension sends most, matched whole: a bare new-style id, or one behind an arXiv abs/pdf/html or
# a Hugging Face paper link, optionally versioned. `canonical_id` finds the same id in these (their prefixes
# hold no digit and no other id), but its search tries every position of the string, which costs up to 10 µs
# for a link; anything that does not match whole goes that long way.
COMMON_FORM = re.compile(
    r"(?:https://(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/))?([0-9]{4}\.[0-9]{4,5})(?:v[1-9][0-9]*)?"
)


def quick_canonical_id(ref: str) -> str | None:
    """`canonical_id(ref)`, faster for the common forms."""
    if len(ref) > MAX_ID_INPUT:
        return None
    match = COMMON_FORM.fullmatch(ref)
    return match[1] if match is not None and is_issued_number(match[1]) else canonical_id(ref)


# The mapping is pure, so a memory is always right: the extension asks about the same links again and again.
cached_canonical_id = lru_cache(maxsize=65_536)(quick_canonical_id)
