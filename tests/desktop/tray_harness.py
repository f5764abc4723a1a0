"""Runs the real tray (`papertray.tray.run_tray`) on this process's main thread, as the daemon does, with a
bridge whose actions are printed as JSON lines on stdout. Commands arrive as JSON lines on stdin:

    {"state": {"new_count": 3, "new_today": [["2511.00001", "Title"]], "failing": ["hf: …"], "paused": false,
               "source_states": [{"name": "hf", "last_success_at": "…", …}]}}   SourceState fields, as the daemon's
    {"activate": ["New today", "Title"]}      run a menu item from code, as pystray's menu would
    {"menu": true}                            print the menu: [{"text", "checked", "enabled", "visible"}]
    {"submenu": ["Sources"]}                  print that submenu's items the same way
    {"pairing_copy": true}                    the pairing window's Copy, run on GTK's thread
    {"close": true}                           bridge.close(): the daemon stopped
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from papertray import tray
from papertray.models import SourceState
from papertray.tray_sources import tray_sources


def emit(**data: Any) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def main() -> int:
    reason = tray.prepare()
    if reason is not None:
        emit(unavailable=reason)
        return 3
    bridge = tray.TrayBridge(
        poll_now=lambda: emit(action="poll_now"),
        toggle_pause=lambda: emit(action="toggle_pause"),
        pair_code=lambda: "K7Q-4MX",
        open_reading_list=lambda: emit(action="open_reading_list"),
        open_config=lambda: emit(action="open_config"),
        open_paper=lambda paper_id: emit(action="open_paper", id=paper_id),
        quit=lambda: emit(action="quit"),
        end_sessions=lambda: emit(action="end_sessions"),
    )
    app = tray.TrayApp(bridge)

    def find(path: list[str]) -> Any:
        items = list(app.icon.menu.items)
        for depth, text in enumerate(path):
            found = next(i for i in items if i.visible and i.text == text)
            if depth == len(path) - 1:
                return found
            items = list(found.submenu.items)
        raise LookupError(path)

    def said(item: Any) -> dict[str, Any]:
        return {"text": item.text, "checked": item.checked, "enabled": item.enabled, "visible": item.visible}

    def commands() -> None:
        emit(ready=app.backend)
        for line in sys.stdin:
            command = json.loads(line)
            if "state" in command:
                raw = command["state"]
                state = tray.TrayState(
                    new_count=raw.get("new_count", 0),
                    new_today=tuple(tray.TrayPaper(i, t) for i, t in raw.get("new_today", [])),
                    failing=tuple(raw.get("failing", [])),
                    paused=raw.get("paused", False),
                    mcp_writes=raw.get("mcp_writes", False),
                    # as tray_feed.snapshot builds them, from the pollers' SourceStates
                    sources=tray_sources([SourceState(**fields) for fields in raw.get("source_states", [])]),
                )
                bridge.publish(state)
                deadline = time.monotonic() + 10
                while app.state != state and time.monotonic() < deadline:  # the tray applies it on its thread
                    time.sleep(0.02)
                emit(applied=app.state == state)
            elif "activate" in command:
                try:
                    item = find(command["activate"])
                except (LookupError, StopIteration, AttributeError):
                    emit(error=f"no menu item {command['activate']}")
                    continue
                item(app.icon)
            elif "menu" in command:
                emit(menu=[said(i) for i in app.icon.menu.items])
            elif "submenu" in command:
                try:
                    items = list(find(command["submenu"]).submenu.items)
                except (LookupError, StopIteration, AttributeError):
                    emit(error=f"no submenu {command['submenu']}")
                    continue
                emit(submenu=[said(i) for i in items])
            elif "pairing_copy" in command:
                # Copy, as the window's button does, on GTK's thread.
                from gi.repository import GLib

                def copy() -> bool:
                    app.pairing.copy()
                    emit(copied=True)
                    return False  # run once

                GLib.idle_add(copy)
            elif "close" in command:
                bridge.close()
                return

    threading.Thread(target=commands, daemon=True).start()
    app.run()  # as run_tray does: blocks this main thread until Quit or close
    emit(stopped=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
