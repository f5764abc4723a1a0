"""The module map as a table (docs/architecture.md): what each module or package of daemon/papertray may import,
and which module alone imports each third-party library. Data flows one way (sources -> parse -> store ->
rank / notify / api), so the table has no cycle.

To add a module or package: give it a row in MAY_IMPORT naming the papertray modules it needs (a package is one
row: `papertray.store.files` counts as `store`), and, if it brings a third-party library, a row in OWNERS.
Rows for modules that do not exist yet are allowed, so a planned package can be written down before it lands.
"""

from __future__ import annotations

import ast
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "papertray"

# Leaves every module may import: no papertray imports of their own beyond each other.
BASE = {"errors", "safe_text", "wording", "models", "events", "backoff", "atomic"}

# module or package -> the papertray modules it may import, besides BASE (the leaves import only what they list).
MAY_IMPORT: dict[str, set[str]] = {
    # leaves
    "errors": set(),
    "safe_text": set(),
    "wording": set(),
    "models": set(),
    "events": set(),
    "backoff": set(),
    "atomic": {"errors"},
    # settings, process, secrets
    "config": {"errors"},
    "store_lock": {"errors"},
    "runtime": {"config", "store_lock"},
    "log_guard": {"safe_text"},
    "logs": {"config", "log_guard"},
    "credentials": set(),
    # sources: the network and what it returns (sources/ replaces netguard, fetch and library_http)
    "netguard": set(),
    "fetch": {"netguard"},
    "library_http": {"config", "fetch", "netguard"},
    "sources": {"config"},
    "parse": set(),
    # the store (store/ replaces store_files, store_recovery, store_health and store)
    "store_files": set(),
    "store_recovery": {"store_files"},
    "store_health": set(),
    "store": {"runtime", "store_files", "store_health", "store_recovery"},
    # reading the store: polling, rules, notifications; citations and the reading list
    "poller": {"config", "fetch", "netguard", "parse", "store", "sources"},
    "rules": {"config"},
    "notify": {"config", "rules", "store"},
    "bibtex_scan": set(),
    "latex_text": set(),
    "citations": {"bibtex_scan", "latex_text"},
    "user_fields": {"citations"},
    "citation_formats": set(),
    "library_meta": set(),
    "library_trash": set(),
    "library": {"citations", "config", "library_http", "library_meta", "library_trash", "store", "sources"},
    # features over the store (planned: each reads the store, none writes another's data)
    "ranking": {"config", "store"},
    "digest": {"config", "store", "ranking", "citations"},
    "search": {"config", "store"},
    # serving
    "api": {"citations", "config", "library", "store", "user_fields", "ranking", "digest", "search"},
    "mcp": {"config", "store", "search", "api"},
    "reload": {"config"},
    "terminal": set(),
    "app": {"api", "config", "credentials", "library", "notify", "poller", "reload", "runtime", "store", "mcp"},
    "tray": {"store"},
    "desktop": {"app", "config", "notify", "tray"},
    # the command line
    "autostart": {"config"},
    "doctor": {"config", "credentials", "notify", "runtime", "tray"},
    "client": {"config", "runtime"},
    "cli_args": {"config"},
    "import_cmd": {"citation_formats", "citations", "client", "config", "user_fields"},
    "command": set(),
    "backfill": set(),
    "open_cmd": {"client", "config"},
    "cli": {
        *("app", "autostart", "backfill", "citation_formats", "cli_args", "client", "command", "config"),
        *("credentials", "desktop", "doctor", "import_cmd", "logs", "open_cmd", "terminal", "citations"),
    },
}

# third-party library -> the modules or packages that alone may import it. `aiohttp.web` is the server;
# `aiohttp` (anything else of it: sessions, connectors, resolvers) the client.
OWNERS: dict[str, set[str]] = {
    "aiohttp": {"netguard", "fetch", "library_http", "sources"},  # the client: sources/http.py once it lands
    "aiohttp.web": {"api", "app"},
    "yarl": {"netguard", "library_http", "library", "sources"},
    "orjson": {"store", "store_files", "store_recovery", "credentials", "api"},
    "tinydb": {"store", "store_files"},
    "keyring": {"credentials"},
    "platformdirs": {"config"},
    "asyncinotify": {"reload"},
    "watchfiles": set(),  # bench/idle.py only
    "pystray": {"tray"},
    "PIL": {"tray"},
    "gi": {"tray"},
    "desktop_notifier": {"notify"},
    "dbus_fast": {"notify"},
    "tqdm": {"import_cmd", "backfill"},
}


def _module_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _modules() -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_of(path)
        if module not in ("__init__", "__main__"):
            found.setdefault(module, []).append(path)
    return found


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(papertray modules, third-party libraries) that `path` imports, at any depth of the file."""
    ours: set[str] = set()
    theirs: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] == "papertray":
                ours.update([parts[1]] if len(parts) > 1 else [alias.name for alias in node.names])
            elif parts[0] == "aiohttp" and (parts[1:2] == ["web"] or any(a.name == "web" for a in node.names)):
                theirs.add("aiohttp.web")
                theirs.update("aiohttp" for a in node.names if a.name not in ("web", "hdrs"))
            elif parts[0] == "aiohttp" and all(a.name == "hdrs" for a in node.names):
                continue  # header names only: server and client alike
            else:
                theirs.add(parts[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "papertray":
                    ours.update(parts[1:2])
                elif alias.name.startswith("aiohttp.web"):
                    theirs.add("aiohttp.web")
                else:
                    theirs.add(parts[0])
    return ours - {"__version__", "API_VERSION"}, theirs - set(sys.stdlib_module_names)


def test_every_module_has_a_row() -> None:
    missing = set(_modules()) - set(MAY_IMPORT)
    assert missing == set(), f"give {sorted(missing)} a row in MAY_IMPORT (and a place in docs/architecture.md)"


def test_the_table_has_no_cycle() -> None:
    """One-way flow: no module may (even by the table) import something that may import it back."""
    graph = {module: allowed | (set() if module in BASE else BASE) for module, allowed in MAY_IMPORT.items()}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        raise AssertionError(f"the table allows a cycle: {exc.args[1]}") from None


def test_modules_import_only_what_their_row_allows() -> None:
    violations = []
    for module, paths in _modules().items():
        allowed = MAY_IMPORT.get(module, set()) | {module}
        if module not in BASE:
            allowed |= BASE
        for path in paths:
            ours, _ = _imports(path)
            violations += [f"{path.relative_to(PACKAGE)} imports {name}" for name in sorted(ours - allowed)]
    assert violations == []


def test_third_party_libraries_live_in_their_owners() -> None:
    violations = []
    for module, paths in _modules().items():
        for path in paths:
            _, theirs = _imports(path)
            for library in sorted(theirs):
                if library not in OWNERS:
                    violations.append(f"{path.relative_to(PACKAGE)} imports {library}, which has no row in OWNERS")
                elif module not in OWNERS[library]:
                    violations.append(f"{path.relative_to(PACKAGE)} imports {library}")
    assert violations == []
