"""Whether a desktop notification would be seen: the D-Bus probe behind `papertray doctor`. Owns dbus-fast (which
desktop-notifier uses on Linux to send what `notify.py` decides); kept apart so the doctor needs none of the
notifier's store, rules or budget to ask.
"""

from __future__ import annotations

import asyncio
import sys


async def notification_server() -> tuple[bool, str]:
    """Is a notification server reachable? (ok, one sentence). Only Linux/BSD use D-Bus; elsewhere the OS has one."""
    if sys.platform in ("darwin", "win32"):
        return True, "the system notification centre is used (not probed)"
    from dbus_fast import Message as DBusMessage
    from dbus_fast import MessageType
    from dbus_fast.aio import MessageBus

    try:
        bus = await asyncio.wait_for(MessageBus().connect(), timeout=3)
    except Exception as exc:
        return False, f"no D-Bus session bus ({exc})"
    try:
        reply = await asyncio.wait_for(
            bus.call(
                DBusMessage(
                    destination="org.freedesktop.Notifications",
                    path="/org/freedesktop/Notifications",
                    interface="org.freedesktop.Notifications",
                    member="GetServerInformation",
                )
            ),
            timeout=5,
        )
    except Exception as exc:
        return False, f"the notification server did not answer ({exc})"
    finally:
        bus.disconnect()
    if reply is None or reply.message_type != MessageType.METHOD_RETURN:
        error = reply.error_name if reply is not None else "no reply"
        return False, f"no notification server on the session bus ({error})"
    name, vendor, version = [*reply.body, "", "", ""][:3]
    return True, f"{name} {version} ({vendor}) answers on the session bus"
