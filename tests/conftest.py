"""Fixtures every tier shares. Tier-specific fixtures live in each tier's conftest.py."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.https_pages import FixtureSite, make_certificate

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


# Where programs write per-user files when these are unset; each points into the temporary home below.
HOME_VARIABLES = {
    "HOME": "",
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_CACHE_HOME": ".cache",
    "XDG_STATE_HOME": ".local/state",
}


@pytest.fixture(scope="session", autouse=True)
def temporary_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test writes into the user's real home (browsers made ~/Downloads, ~/.config/chromium and
    ~/.config/mozilla): before any other fixture starts a browser, a daemon or a desktop session, HOME and the
    XDG folders point at a temporary home, and everything launched inherits that environment."""
    real = Path.home()
    root = tmp_path_factory.mktemp("user-home")
    saved = {key: os.environ.get(key) for key in [*HOME_VARIABLES, "PIP_CONFIG_FILE", "NPM_CONFIG_USERCONFIG"]}
    # pip and npm find their package index in the user's config: keep reading it (never writing) from there.
    if saved["PIP_CONFIG_FILE"] is None and (real / ".config" / "pip" / "pip.conf").is_file():
        os.environ["PIP_CONFIG_FILE"] = str(real / ".config" / "pip" / "pip.conf")
    if saved["NPM_CONFIG_USERCONFIG"] is None and (real / ".npmrc").is_file():
        os.environ["NPM_CONFIG_USERCONFIG"] = str(real / ".npmrc")
    for key, below in HOME_VARIABLES.items():
        folder = root / below
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[key] = str(folder)
    try:
        yield root
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh PAPERTRAY_HOME for this test (also exported, for code that reads the environment)."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("PAPERTRAY_HOME", str(root))
    yield root


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FixtureSite]:
    """The fixture Hugging Face and arXiv pages over HTTPS, for both browser tiers (Chromium and Firefox)."""
    cert, key = make_certificate(tmp_path_factory.mktemp("tls"))
    fixture = FixtureSite(cert, key).start()
    yield fixture
    fixture.stop()
