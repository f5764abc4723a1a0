"""What the CLI says: results on stdout, errors and warnings on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeAlias

from papertray.config import Paths
from papertray.safe_text import clean


class Console:
    """stdout for results, stderr for errors; one place so that tests can capture both, and the one place
    where outside text (feed titles, error texts) is stripped of terminal control sequences (safe_text)."""

    def out(self, text: str = "", *, end: str = "\n", lead: str = "") -> None:
        """`lead` is papertray's own markup (a coloured label), written as it is; `text` is cleaned."""
        sys.stdout.write(lead + clean(text) + end)

    def err(self, text: str) -> None:
        print(clean(text), file=sys.stderr)


# A command: its parsed arguments, the home's paths, the console → the exit code. What it cannot do it raises
# (a PapertrayError, with one sentence); entry.py alone turns errors into words and exit codes.
Handler: TypeAlias = Callable[[argparse.Namespace, Paths, Console], int]
# `papertray`'s subcommands, which each command module adds itself to (see entry.py).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
