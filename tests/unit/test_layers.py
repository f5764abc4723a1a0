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
BASE = {"errors", "safe_text", "wording", "models", "events", "backoff", "timestamps", "atomic"}

# module or package -> the papertray modules it may import, besides BASE (the leaves import only what they list).
# `store.lock` is a row of its own: runtime takes the data folder's lock, and the rest of the store needs runtime.
MAY_IMPORT: dict[str, set[str]] = {
    # leaves
    "errors": set(),
    "safe_text": set(),
    "wording": set(),
    "models": set(),
    "events": set(),
    "backoff": set(),
    "timestamps": set(),
    "atomic": {"errors", "timestamps"},
    # files, settings, process, secrets
    "state_file": set(),
    "digest_settings": set(),
    "source_settings": set(),
    "config_defaults": set(),
    "config": {"config_defaults", "digest_settings", "source_settings"},
    "config_edit": {"config"},
    "store.lock": set(),
    "runtime": {"config", "store.lock"},
    "log_guard": set(),
    "logs": {"config", "log_guard"},
    "credentials": {"state_file"},
    # sources: the network and what it returns
    "sources": {"config"},
    "source_state": set(),
    # the store, and what reads it: polling, rules, notifications, citations, the reading list
    "store": {"runtime", "state_file"},
    "poll_schedule": set(),
    "poller": {"config", "poll_schedule", "source_state", "sources", "store"},
    "arxiv_catchup": {"config", "sources", "store"},
    "arxiv_poller": {"arxiv_catchup", "config", "poll_schedule", "source_state", "sources", "store"},
    "hf_lists": {"config", "poll_schedule", "source_state", "sources", "store"},
    "pollers": {"arxiv_poller", "hf_lists", "poller"},
    "inflection": set(),
    "rules": {"config", "inflection"},
    "notify_text": {"rules"},
    "notify": {"config", "notify_text", "rules", "store"},
    "notify_probe": set(),
    "citations": set(),
    "user_fields": {"citations"},
    "library": {"citations", "config", "sources", "store"},
    # saved papers' new versions: the daily export-API check, and the watcher that decides, tells and queues
    "version_check": {"config", "sources", "store"},
    "versions": {"store", "version_check"},
    # features over the store (each reads the store; none writes another's data). Planned rows are allowed.
    "ranking": {"config", "rules", "store"},
    "digest": {"config", "credentials", "digest_settings", "ranking", "rules", "store"},
    "search": {"config", "store"},
    # serving
    "api": {"citations", "config", "config_edit", "digest", "library", "ranking", "rules", "search", "state_file"}
    | {"store", "user_fields", "versions"},
    "reload": {"config"},
    "terminal": set(),
    "app": {"api", "arxiv_poller", "config", "credentials", "digest", "hf_lists", "library", "notify", "poller"}
    | {"pollers", "ranking", "reload", "runtime", "search", "sources", "store", "version_check", "versions"},
    "tray": {"tray_backend", "tray_pairing", "tray_sources"},
    "tray_sources": set(),
    "tray_backend": set(),
    "tray_pairing": set(),
    "tray_feed": {"store", "tray", "tray_sources"},
    "desktop": {"app", "config", "notify", "tray", "tray_feed"},
    # the command line
    "autostart": {"config"},
    "doctor": {"config", "credentials", "notify_probe", "runtime", "tray"},
    "client": {"config", "runtime"},
    "mcp_access": {"client", "config", "runtime"},
    "mcp_server": {"config", "library", "mcp_access", "rules"},
    "cli": {"app", "autostart", "citations", "client", "config", "config_edit", "credentials", "desktop", "digest"}
    | {"doctor"}
    | {"logs", "mcp_server", "notify", "ranking", "rules", "runtime", "search", "terminal", "tray", "user_fields"},
}

# third-party library -> the modules or packages that alone may import it. `aiohttp.web` is the server;
# `aiohttp` (anything else of it: sessions, connectors, resolvers) the client, which only sources/http.py uses
# (test_aiohttp_client_lives_in_sources_http_only).
OWNERS: dict[str, set[str]] = {
    "aiohttp": {"sources"},
    "aiohttp.web": {"api", "app", "digest"},
    "yarl": {"library", "sources"},
    "orjson": {"api", "digest", "ranking", "state_file", "store"},
    "tinydb": {"store"},
    "keyring": {"credentials"},
    "platformdirs": {"config"},
    "tomlkit": {"config_edit"},
    "asyncinotify": {"reload"},
    "watchfiles": set(),  # bench/idle.py only
    "pystray": {"tray", "tray_backend"},
    "PIL": {"tray"},
    "gi": {"tray_backend", "tray_pairing"},
    "desktop_notifier": {"notify"},
    "dbus_fast": {"notify_probe"},
    "tqdm": {"cli"},
    "aiosmtplib": {"digest"},
    "sklearn": {"ranking"},
    "numpy": {"ranking"},
    "scipy": {"ranking"},
    "pypdf": {"search"},
    "tantivy": {"search"},
    "mcp": {"mcp_server"},
}

# Inside a package, lowest first: a submodule may import only the siblings that stand before it.
SUBLAYERS = {
    "sources": ["guard", "politeness", "daily_papers", "arxiv", "arxiv_listing", "http"],
    "library": ["meta", "trash", "folder", "queue", "downloads", "cite_keys", "bibfile", "reading_list"],
}
# aiohttp's server side (web, hdrs, an access logger) may be used by the API; everything else of aiohttp is its
# client, and only the sources layer's HTTP module may use that.
AIOHTTP_SERVER = {"aiohttp.web", "aiohttp.hdrs", "aiohttp.abc.AbstractAccessLogger"}
AIOHTTP_CLIENT_OWNER = "sources/http.py"


def _unit(dotted: list[str]) -> str:
    """The row a module path (`["store", "lock"]`) belongs to: a package is one row, `store.lock` its own."""
    return ".".join(dotted[:2]) if ".".join(dotted[:2]) in MAY_IMPORT else dotted[0]


def _module_of(path: Path) -> str:
    return _unit([part.removesuffix(".py") for part in path.relative_to(PACKAGE).parts])


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
                ours.update([_unit(parts[1:])] if len(parts) > 1 else [alias.name for alias in node.names])
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
                    ours.update([_unit(parts[1:])] if len(parts) > 1 else [])
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


def test_submodules_import_only_from_below_inside_their_package() -> None:
    violations = []
    for package, order in SUBLAYERS.items():
        files = {p.stem for p in (PACKAGE / package).glob("*.py")} - {"__init__"}
        assert files == set(order), f"add {package}/ modules to SUBLAYERS"
        for name in order:
            tree = ast.parse((PACKAGE / package / f"{name}.py").read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module:
                    targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                    for target in targets:
                        parts = target.split(".")
                        inside = parts[:2] == ["papertray", package] and len(parts) > 2 and parts[2] in order
                        if inside and order.index(parts[2]) >= order.index(name):
                            violations.append(f"{package}/{name}.py imports {parts[2]}")
    assert violations == []


def test_aiohttp_client_lives_in_sources_http_only() -> None:
    users = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.split(".")[0] == "aiohttp"]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aiohttp":
                names = [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if not any(name == s or name.startswith(s + ".") for s in AIOHTTP_SERVER):
                    users.add(str(path.relative_to(PACKAGE)))
    assert users == {AIOHTTP_CLIENT_OWNER}
