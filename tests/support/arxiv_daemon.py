"""The real daemon with arXiv and Hugging Face played by two `PaperServer`s on 127.0.0.1 (each host its own
politeness slot, as in life), downloads allowed to reach them, and no quiet hours: what the issue-13 tests of
new versions start, in the integration and the desktop tier alike."""

from __future__ import annotations

from pathlib import Path

from tests.support.daemon import DaemonProcess
from tests.support.paper_server import PaperServer

CONFIG = '[library]\nallowed_private_hosts = ["127.0.0.1"]\n[notifications]\nquiet_hours = ""\n'


def start_with_arxiv(home: Path, arxiv: PaperServer, hf: PaperServer, **env: str) -> DaemonProcess:
    """Start (or restart) the daemon of `home`; its config is written once, at the first start."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "config.toml"
    if not config.exists():
        config.write_text(CONFIG)
    return DaemonProcess(home, PAPERTRAY_HF_URL=hf.url, PAPERTRAY_ARXIV_URL=arxiv.url, **env).start()


def library_pdfs(home: Path, paper_id: str) -> list[str]:
    """The PDFs in a paper's library folder, by name (`2307.12345v1.pdf`, …)."""
    return sorted(p.name for p in (home / "data" / "library" / paper_id.replace("/", "_")).glob("*.pdf"))
