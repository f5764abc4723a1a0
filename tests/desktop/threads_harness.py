"""The threads of design.md, wired the way app.py can wire them: the tray on the main thread, the daemon's
asyncio loop (Store, Notifier, tray_feed.follow, ConfigWatcher) in one worker thread, tray actions crossing with
`loop.call_soon_threadsafe`, state crossing through the bridge's queue. Quit stops the loop, then the tray.

Run with PAPERTRAY_HOME set. Prints JSON lines: {"loop": "started"}, {"poll_now": true}, {"paused": bool},
{"stopped": "clean"}. A line on stdin with a paper title adds that paper (as a poll would).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Any

from papertray import tray, tray_feed
from papertray.config import Paths, load_config
from papertray.events import EventBus
from papertray.models import Paper
from papertray.notify import Notifier
from papertray.reload import ConfigWatcher
from papertray.store import Store


def emit(**data: Any) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def main() -> int:
    paths = Paths.from_env()
    paths.ensure()
    holder = {"config": load_config(paths)}
    loop = asyncio.new_event_loop()
    stopped = threading.Event()
    parts: dict[str, Any] = {}

    async def daemon() -> None:
        bus = EventBus()
        store = Store.open(paths.data_dir, bus)
        notifier = Notifier(lambda: holder["config"], store, bus, reading_list_url=lambda: "http://127.0.0.1/")
        watcher = ConfigWatcher(paths, lambda c: holder.update(config=c), bus)
        parts.update(store=store, notifier=notifier, bus=bus)
        state = lambda: tray_feed.snapshot(  # noqa: E731
            store, paused=lambda: notifier.paused, problems=lambda: [e for e in [watcher.current_error] if e]
        )
        tasks = [
            asyncio.create_task(notifier.run()),
            asyncio.create_task(watcher.run()),
            asyncio.create_task(tray_feed.follow(bridge, bus, state)),
        ]
        emit(loop="started")
        try:
            await asyncio.Event().wait()  # until the loop is stopped
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await store.close()

    def in_loop(fn: Any) -> None:
        loop.call_soon_threadsafe(fn)

    async def toggle() -> None:
        emit(paused=await parts["notifier"].toggle_pause())

    def quit_daemon() -> None:
        async def shutdown() -> None:
            main_task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)

    bridge = tray.TrayBridge(
        poll_now=lambda: in_loop(lambda: emit(poll_now=True)),
        toggle_pause=lambda: in_loop(lambda: loop.create_task(toggle())),
        pair_code=lambda: "PAIR-42",
        open_reading_list=lambda: in_loop(lambda: emit(open="reading_list")),
        open_config=lambda: in_loop(lambda: emit(open="config")),
        open_paper=lambda paper_id: in_loop(lambda: emit(open=paper_id)),
        open_inbox=lambda: in_loop(lambda: emit(open="inbox")),
        quit=quit_daemon,
    )

    publish = bridge.publish

    def publish_and_tell(state: tray.TrayState) -> None:
        publish(state)
        emit(state={"new_count": state.new_count, "paused": state.paused})

    bridge.publish = publish_and_tell  # type: ignore[method-assign]

    def worker() -> None:
        global main_task
        asyncio.set_event_loop(loop)
        main_task = loop.create_task(daemon())
        try:
            loop.run_until_complete(main_task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()
            stopped.set()
            bridge.close()  # the daemon stopped: take the tray down too

    def feed() -> None:
        for line in sys.stdin:
            title = line.strip()
            paper = Paper(id=f"2511.{abs(hash(title)) % 99999:05d}", title=title, daily_date=_today())
            asyncio.run_coroutine_threadsafe(parts["store"].add_papers([paper]), loop).result(10)

    thread = threading.Thread(target=worker, name="papertray-daemon")
    thread.start()
    threading.Thread(target=feed, daemon=True).start()
    shown = tray.run_tray(bridge)
    thread.join(15)
    emit(stopped="clean" if stopped.is_set() and not thread.is_alive() else "stuck", tray=shown)
    return 0


def _today() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).date().isoformat()


main_task: asyncio.Task[None]

if __name__ == "__main__":
    sys.exit(main())
