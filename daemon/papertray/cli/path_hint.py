"""Whether the `papertray` command the README and the banner name is on PATH, and if not, how to run it.

`make run` starts the venv's script directly and links it into ~/.local/bin only when that folder is on PATH
(packaging/link-command); a clone used otherwise, or a fresh login that has no ~/.local/bin on PATH yet,
would leave `papertray status` answering "command not found".
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def command_hint(path: str | None = None) -> str | None:
    """One sentence saying how to run papertray when `papertray` is not on PATH (`path`: PATH to search)."""
    if shutil.which("papertray", path=path) is not None:
        return None
    script = Path(sys.executable).with_name("papertray")
    if not script.is_file():  # run as `python -m papertray` from a source tree
        return f"The `papertray` command is not on your PATH: run it as `{sys.executable} -m papertray`."
    return (
        f"The `papertray` command is not on your PATH: run it as {script}, or link it into a folder on your "
        f"PATH (mkdir -p ~/.local/bin && ln -s {script} ~/.local/bin/papertray)."
    )
