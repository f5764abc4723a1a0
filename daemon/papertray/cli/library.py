"""`papertray open`, `export` and `import`: the reading list in the browser, and as citation files both ways.

`open` starts the browser on a launcher file (api/library_launch.py), never on a link with a secret in it: any
local user can read a process's command line.

`import FILE` takes BibTeX or CSL-JSON, with a progress bar and a report of what was changed or skipped, and why.
The file's format is read from its content (then its name); a file that is neither is refused in one sentence
(exit 1) instead of "Imported 0 papers". Records are checked here against the rules for tags and notes
(`user_fields`) before they are sent, so that no request is refused for one oversized record; the daemon checks
them again (it is the one that knows each paper's current tags) and reports what it changed too.
"""

from __future__ import annotations

import argparse
import json
import sys
import webbrowser
from pathlib import Path

from papertray import citations, user_fields
from papertray.citations import detect
from papertray.citations.formats import TABLE
from papertray.cli.args import STATES
from papertray.cli.console import Commands, Console
from papertray.client import DaemonClient
from papertray.config import Paths
from papertray.errors import DaemonAnswerError, PapertrayError
from papertray.safe_text import clean, json_clean
from papertray.wording import counted

_EXPORTS = [citations.NAMES[f] for f in citations.FORMATS]
EXPORT_WORDS = ", ".join(_EXPORTS[:-1]) + " or " + _EXPORTS[-1]  # "BibTeX, RIS, CSL-JSON, Markdown or JSON"
IMPORT_WORDS = " or ".join(citations.NAMES[f] for f in citations.IMPORT_FORMATS)  # "BibTeX or CSL-JSON"


def add_open(commands: Commands) -> None:
    opening = commands.add_parser("open", help="open the reading list in your browser")
    opening.add_argument("--end-sessions", action="store_true", help="end every reading-list session instead")
    opening.set_defaults(handler=cmd_open)


def add_export(commands: Commands) -> None:
    export = commands.add_parser("export", help=f"write papers as {EXPORT_WORDS}")
    export.add_argument("--format", choices=citations.FORMATS, help="default: from -o FILE's ending, else bibtex")
    # The default first, as the usage line shows it: saved, new, seen, read, all.
    export.add_argument("--state", choices=sorted(STATES, key=lambda s: s != "saved"), default="saved")
    export.add_argument("-o", "--output", help="write to this file (default: standard output)")
    export.set_defaults(handler=cmd_export)


def add_import(commands: Commands) -> None:
    importing = commands.add_parser("import", help=f"add papers to the reading list from {IMPORT_WORDS}")
    importing.add_argument("file", help="a .bib or .json file (Zotero's 'Better BibTeX' or 'CSL JSON' export)")
    importing.add_argument("--format", choices=citations.IMPORT_FORMATS, help="default: from the file's content")
    importing.set_defaults(handler=cmd_import)


def cmd_open(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    client = DaemonClient.connect(paths)
    if args.end_sessions:
        ended = client.delete("library/sessions")["sessions_ended"]
        console.out(f"Ended {ended} reading-list session{'' if ended == 1 else 's'}; open pages must be opened again.")
        return 0
    launcher = Path(client.post("library/login", {"launcher": True})["file"])
    console.out(f"Opening the reading list through {launcher} (it works once, for 2 minutes).")
    if not webbrowser.open(launcher.as_uri()):
        console.err("No browser could be started; open the file above in your browser yourself.")
    return 0


def cmd_export(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    args.format = detect.export_format(Path(args.output) if args.output else None, args.format)
    client = DaemonClient.connect(paths)
    status, body = client.request_raw("GET", f"export?format={args.format}&state={args.state}")
    if status >= 400:
        try:
            message = json.loads(body).get("error")
        except ValueError:
            message = None
        raise DaemonAnswerError(message or f"papertray answered HTTP {status}.", status)
    # A file the user will `cat` carries no control sequences either; JSON formats keep them as \u escapes.
    text = body.decode("utf-8")
    text = json_clean(text) if TABLE[args.format].is_json else clean(text)
    if args.output:
        target = Path(args.output)
        try:
            target.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise PapertrayError(f"Could not write {target} ({exc.strerror}).") from None
        console.err(f"Wrote {target} ({args.format}, {args.state} papers).")
    else:
        console.out(text, end="")
    return 0


def cmd_import(args: argparse.Namespace, paths: Paths, console: Console) -> int:
    from tqdm import tqdm

    source = Path(args.file)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PapertrayError(f"Could not read {source} ({getattr(exc, 'strerror', None) or exc}).") from None
    fmt = detect.import_format(source, text, args.format)
    parsed = citations.parse(text, fmt)
    if parsed.problem is not None:
        name = citations.NAMES[fmt]
        raise PapertrayError(f"{source.name} cannot be imported as {name}: {parsed.problem}")
    checked = user_fields.check_import(parsed.entries, lambda _paper_id: ())
    skipped = [(s.label, s.reason) for s in [*parsed.skipped, *checked.skipped]]
    adjusted = [(a.label, a.reason) for a in checked.adjusted]
    client = DaemonClient.connect(paths)
    imported = already = 0
    with tqdm(total=len(checked.entries), unit="paper", desc="import", file=sys.stderr, dynamic_ncols=True) as bar:
        for count, document in citations.csljson_chunks(checked.entries):
            report = client.post("import", {"format": "csljson", "content": document})
            imported += int(report.get("imported", 0))
            already += int(report.get("already_saved", 0))
            skipped += [(s["label"], s["reason"]) for s in report.get("skipped", ())]
            adjusted += [(a["label"], a["change"]) for a in report.get("adjusted", ())]
            bar.update(count)
    there = counted(already, "was", "were")
    console.out(f"Imported {counted(imported, 'paper')} into the reading list; {there} already there.")
    if adjusted:
        console.out(f"Changed {counted(len(adjusted), 'record')} to fit papertray's rules for tags:")
        for label, change in adjusted:
            console.out(f"  {label}: {change}")
    if skipped:
        console.out(f"Skipped {counted(len(skipped), 'record')}:")
        for label, reason in skipped:
            console.out(f"  {label}: {reason}")
    return 0
