"""The `papertray` command line: one small module per command (or group of commands), and entry.py, which parses
the command line and alone turns errors into words and exit codes.

    entry.py       the parser (COMMANDS), main(), main_entry(), exit_code(): errors → one sentence and exit code
    console.py     Console (stdout for results, stderr for errors, control sequences stripped); Handler, Commands
    args.py        argument types (port, limit, date) and the states `--state` takes
    run.py         `run`: the daemon in the foreground, with the tray on the main thread when there is one
    path_hint.py   how to run `papertray` when it is not on PATH (said by `run`)
    status.py      `status`, and the "Files" block `run` shows at the first start
    papers.py      `list`, `save`, `unsave`
    poll.py        `poll`
    backfill.py    `backfill`: past days, one request each, stopping at the first unreachable one
    tokens.py      `pair`, `token create|list|revoke`
    library.py     `open`, `export`, `import`
    secrets.py     `secrets set|delete|status`
    doctor.py      `doctor`
    autostart.py   `autostart enable|disable|status`
"""

from papertray.cli.entry import main, main_entry

__all__ = ["main", "main_entry"]
