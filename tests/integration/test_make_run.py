"""Item 17: the README's first command leaves a working `papertray` command, and `make run` passes options.

The link script `make run` calls is run for real with a temporary HOME; the Makefile is asked what it would run
(`make -n`, so nothing is installed into the shared venv); the first-run banner is read from a real daemon."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.daemon import REPO, DaemonProcess

LINK = REPO / "packaging" / "link-command"


def link(home: Path, target: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": path}
    return subprocess.run(["bash", str(LINK), str(target)], env=env, capture_output=True, text=True, timeout=30)


def test_u17_make_run_links_papertray_into_the_users_bin_folder(tmp_path: Path) -> None:
    target = tmp_path / "clone" / ".venv" / "bin" / "papertray"
    target.parent.mkdir(parents=True)
    target.write_text("#!/bin/sh\necho papertray 0.1.0\n")
    target.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    bindir = home / ".local" / "bin"
    path = f"{bindir}:/usr/bin:/bin"

    first = link(home, target, path)
    assert first.returncode == 0 and "linked" in first.stdout
    found = subprocess.run(["sh", "-c", "papertray"], env={"PATH": path}, capture_output=True, text=True)
    assert found.stdout.strip() == "papertray 0.1.0"  # a new terminal finds the command
    assert link(home, target, path).stdout == ""  # a second `make run` has nothing to say

    # a dangling link (a deleted clone) is replaced; a command of the user's is left alone and named
    (bindir / "papertray").unlink()
    (bindir / "papertray").symlink_to(tmp_path / "gone" / "papertray")
    assert "linked" in link(home, target, path).stdout and (bindir / "papertray").resolve() == target
    (bindir / "papertray").unlink()
    (bindir / "papertray").write_text("#!/bin/sh\necho mine\n")
    kept = link(home, target, path)
    assert "left alone" in kept.stdout and str(target) in kept.stdout
    assert (bindir / "papertray").read_text() == "#!/bin/sh\necho mine\n"


def test_u17_without_the_bin_folder_on_path_it_says_exactly_what_to_run(tmp_path: Path) -> None:
    target = tmp_path / "venv" / "bin" / "papertray"
    home = tmp_path / "home"
    home.mkdir()
    said = link(home, target, "/usr/bin:/bin")
    assert said.returncode == 0 and not (home / ".local").exists()
    assert f"ln -s {target} {home}/.local/bin/papertray" in said.stdout


def test_u17_make_run_passes_options_to_papertray_run() -> None:
    if not shutil.which("make"):
        pytest.skip("no make")
    # As a user types it: not a sub-make of `make test` (whose MAKEFLAGS would add "Entering directory" lines).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    dry = subprocess.run(
        ["make", "-n", "run", "ARGS=--no-tray --port 9000 -v", "VENV=/nonexistent/venv"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dry.returncode == 0, dry.stderr
    commands = dry.stdout.splitlines()
    assert 'bash packaging/link-command "/nonexistent/venv/bin/papertray"' in commands
    assert commands[-1] == "/nonexistent/venv/bin/papertray run --no-tray --port 9000 -v"


def test_u17_first_run_says_how_to_run_papertray_when_it_is_not_on_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with DaemonProcess(home, verbose=False, PATH=os.pathsep.join(["/usr/bin", "/bin"])) as daemon:
        pass
    banner = daemon.output()
    assert "The `papertray` command is not on your PATH: run it as " in banner
