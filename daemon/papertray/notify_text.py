"""What the notifications that are not about one poll's matches say: the catch-up's single line. Pure."""

from __future__ import annotations

from typing import Any

from papertray.safe_text import one_line


def caught_up_text(data: dict[str, Any]) -> tuple[str, str]:
    """Title and body for a `poll.caught_up` event: {"papers": N, "lists": [...], "since": day, "until": day}."""
    count = int(data.get("papers") or 0)
    lists = ", ".join(one_line(str(name)) for name in data.get("lists") or []) or "arXiv"
    noun = "paper" if count == 1 else "papers"
    since, until = data.get("since"), data.get("until")
    span = f" announced {since} to {until}" if since and until and since != until else ""
    body = (
        f"{lists}: {count} {noun}{span}, fetched after papertray was away. Papers that old get no notification of "
        "their own; they are in your list."
    )
    return f"Caught up: {count} {noun}", body
