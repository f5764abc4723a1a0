"""Fixtures every tier shares. Tier-specific fixtures live in each tier's conftest.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.https_pages import FixtureSite, make_certificate

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


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
