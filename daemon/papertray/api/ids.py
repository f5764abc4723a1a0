"""Paper ids as the API meets them: in a path (strict: one id, optionally versioned or `arXiv:`-prefixed) and
in lookup lists (any accepted form). A path id is validated here before it reaches the store or a file path.
"""

from __future__ import annotations

from functools import lru_cache

from papertray.api.responses import ApiError
from papertray.models import ARXIV_ID, MAX_ID_INPUT, canonical_id

# The route pattern: an optional archive part (`hep-th/`) then one segment, so `…/save` stays its own route.
ROUTE_ID = "{id:(?:[A-Za-z][A-Za-z:.-]*/)?[^/]+}"


def path_id(raw: str) -> str:
    """The canonical id of a path segment, or 400."""
    if len(raw) <= 64:
        match = ARXIV_ID.fullmatch(raw)
        if match is not None:
            return match["new"] if match["new"] else f"{match['arch'].lower()}/{match['num']}"
    raise ApiError(400, "The path does not hold an arXiv paper id (like 2307.12345 or hep-th/9901001).")


@lru_cache(maxsize=65_536)
def cached_canonical_id(ref: str) -> str | None:
    """canonical_id with a memory: the extension asks about the same links again and again."""
    if len(ref) > MAX_ID_INPUT:
        return None
    return canonical_id(ref)
