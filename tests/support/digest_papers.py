"""Papers for the digest tests: one a rule matches, one whose title carries markup and a header injection,
one with non-ASCII authors, and ordinary ones."""

from __future__ import annotations

from typing import Any

from tests.support.feed_server import day_ids, make_entry

RULES = '[[rules]]\nname = "SAE watch"\nkeywords = ["sparse autoencoder"]\n'
HOSTILE_TITLE = "<script>alert(1)</script> Bcc: victim@example.org\r\nSubject: pwned & <b>bold</b>"


def digest_day(day: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    ids = day_ids(day, 5)
    entries = [
        make_entry(ids[0], day, title="Sparse autoencoder features in small models", upvotes=42),
        make_entry(ids[1], day, title=HOSTILE_TITLE, summary="A sparse autoencoder <img src=x onerror=alert(1)>."),
        make_entry(
            ids[2],
            day,
            title="Équivariance et réseaux",
            authors=[{"_id": "x", "name": "Zoë Ångström-Łukasz", "hidden": False}],
            upvotes=7,
        ),
        make_entry(ids[3], day, upvotes=3),
        make_entry(ids[4], day, upvotes=1),
    ]
    names = {"match": ids[0], "hostile": ids[1], "unicode": ids[2]}
    return entries, names
