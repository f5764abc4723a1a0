"""The CLI's argument types: each turns one command-line word into a value or refuses it with one sentence,
which argparse prints with the usage and exit code 2. The rules themselves live with their nouns (the port's in
config.py); this module only applies them to command-line words."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta

from papertray.config import PORT_RULE, port_problem
from papertray.errors import PapertrayError
from papertray.models import ACCEPTED_FORMS, LISTED_STATES, SOURCE_NAME, parse_paper_ref

# What `list --state` and `export --state` take: every state a stored paper can be in, or all of them.
STATES = (*LISTED_STATES, "all")


def _whole_number(text: str) -> int | None:
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in "+-" else stripped
    if not (digits.isascii() and digits.isdigit()):
        return None
    return int(stripped)


def port_arg(text: str) -> int:
    port = _whole_number(text)
    if port is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not {PORT_RULE}")
    problem = port_problem(port)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return port


def limit_arg(text: str) -> int:
    """`list --limit N`: N papers at most, 1 or more (the CLI pages through the API, so there is no ceiling)."""
    limit = _whole_number(text)
    if limit is None or limit < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of papers, 1 or more, not {text!r} (default: all)")
    return limit


def source_arg(text: str) -> str:
    """`list --source hf|arxiv|arxiv:cs.LG`: a list papers come from (models.SOURCE_NAME)."""
    if not SOURCE_NAME.match(text):
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is not a source like hf, arxiv or arxiv:cs.LG")
    return text


def date_arg(text: str) -> str:
    today = datetime.now(UTC).date()
    lowered = text.strip().lower()
    if lowered == "today":
        return today.isoformat()
    if lowered == "yesterday":
        return (today - timedelta(days=1)).isoformat()
    if lowered.endswith("d") and lowered[:-1].isascii() and lowered[:-1].isdigit():
        return (today - timedelta(days=int(lowered[:-1]))).isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-07-31") from None


def paper_id_of(ref: str) -> str:
    """The canonical id a command line argument names; one sentence listing the accepted forms otherwise."""
    parsed = parse_paper_ref(ref)
    if parsed is None:
        raise PapertrayError(f"{ref!r} is not an arXiv id: papertray takes {ACCEPTED_FORMS}.")
    return parsed[0]
