"""First run (issue 17, item 1): the default config has no rules, so a new user would never be notified and
nothing said why. `papertray run` says so and, on a first run in a terminal, asks for interests; `papertray
rules add` and the matches inbox's form write them into config.toml with its comments kept, and the running
daemon applies them."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.daemon import REPO, DaemonProcess, daemon_env, run_cli


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def wait_for_rules(daemon: DaemonProcess, names: list[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if [r["name"] for r in daemon.get("status")[1]["rules"]] == names:
            return
        time.sleep(0.1)
    raise AssertionError(f"the daemon never applied the rules {names}")


def test_i17_1_run_without_rules_says_so_and_rules_add_writes_one_the_daemon_applies(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with DaemonProcess(home, terminal=True, verbose=False, PAPERTRAY_HF_URL="http://127.0.0.1:1") as daemon:
        screen = daemon.read_terminal_until("is running on")
        assert "You have no interests yet, so papertray will not notify you" in screen
        before = (home / "config.toml").read_text(encoding="utf-8")
        added = run_cli(
            home,
            "rules",
            "add",
            "--keywords",
            "sparse autoencoders, world models",
            "--orgs",
            "Meta",
            env=daemon.env,
        )
        assert added.returncode == 0, added.stderr
        assert 'Added the rule "my interests"' in added.stdout
        after = (home / "config.toml").read_text(encoding="utf-8")
        assert comments(after) == comments(before)
        wait_for_rules(daemon, ["my interests"])
        refused = run_cli(home, "rules", "add", env=daemon.env)
        assert refused.returncode == 1 and "at least one keyword" in refused.stderr
        assert (home / "config.toml").read_text(encoding="utf-8") == after


def test_i17_1_a_first_run_in_a_terminal_asks_for_interests(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = daemon_env(home, PAPERTRAY_HF_URL="http://127.0.0.1:1", PAPERTRAY_PORT="0")
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "papertray", "run", "--no-tray"],
        env=env,
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=REPO,
    )
    os.close(child)
    screen = ""

    def until(text: str) -> None:
        nonlocal screen
        deadline = time.monotonic() + 60
        while text not in screen:
            assert time.monotonic() < deadline, f"never saw {text!r}:\n{screen}"
            if select.select([parent], [], [], 1)[0]:
                screen += os.read(parent, 65536).decode("utf-8", "replace")

    try:
        until("Topics, in a few words: ")
        os.write(parent, b"sparse autoencoders, mechanistic interpretability\n")
        until("Authors: ")
        os.write(parent, b"Chris Olah\n")
        until("Organisations: ")
        os.write(parent, b"\n")
        until("is running on")
    finally:
        proc.terminate()
        proc.wait(15)
        os.close(parent)
    assert 'Added the rule "my interests"' in screen
    config = (home / "config.toml").read_text(encoding="utf-8")
    assert "# keywords match whole words or phrases" in config  # the commented defaults are still there
    assert re.search(r'keywords = \["sparse autoencoders", "mechanistic interpretability"\]', config)
    assert 'authors = ["Chris Olah"]' in config
    assert "You have no interests yet" not in screen


def test_i17_1_the_inbox_form_writes_interests_through_the_page_session_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with DaemonProcess(home, PAPERTRAY_HF_URL="http://127.0.0.1:1") as daemon:
        status, link = daemon.post("library/login", {"view": "inbox"})
        assert status == 200 and link["url"].endswith("&view=inbox")
        with urllib.request.urlopen(link["url"], timeout=30) as answer:
            page = answer.read().decode()
        assert "What do you follow?" in page
        sid = re.search(r'name="papertray-session" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        origin = f"http://127.0.0.1:{daemon.port}"
        body = json.dumps({"keywords": "world models", "authors": "Yann LeCun", "orgs": ""}).encode()

        def post(headers: dict[str, str]) -> int:
            request = urllib.request.Request(
                f"{origin}/library/api/interests",
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", **headers},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    return answer.status
            except urllib.error.HTTPError as error:
                return error.code

        assert post({"X-Papertray-Session": sid, "Origin": "https://evil.example"}) == 403
        assert post({"Origin": origin}) == 401
        assert "world models" not in (home / "config.toml").read_text(encoding="utf-8")
        assert post({"X-Papertray-Session": sid, "Origin": origin}) == 201
        wait_for_rules(daemon, ["my interests"])
