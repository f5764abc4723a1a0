"""design.md: data flows one way and a module imports only from modules below it in the map."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "papertray"

# Lowest first. A module may import only modules that stand before it here.
LAYERS = [
    "errors",
    "safe_text",
    "wording",
    "models",
    "events",
    "atomic",
    "store_lock",
    "config",
    "runtime",
    "log_guard",
    "logs",
    "credentials",
    "netguard",
    "fetch",
    "parse",
    "store_files",
    "store_recovery",
    "store_health",
    "store",
    "poller",
    "rules",
    "notify",
    "bibtex_scan",
    "latex_text",
    "citations",
    "user_fields",
    "citation_formats",
    "library_http",
    "library_meta",
    "library_trash",
    "library",
    "search",
    "api",
    "reload",
    "terminal",
    "app",
    "tray",
    "autostart",
    "doctor",
    "client",
    "cli_args",
    "import_cmd",
    "command",
    "backfill",
    "open_cmd",
    "search_cmd",
    "mcp_access",
    "mcp_server",
    "cli",
]


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("papertray"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "papertray" and len(parts) > 1:
                    found.add(parts[1])
    return found


def test_every_module_has_a_place_in_the_map() -> None:
    modules = {_module_of(p) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__"}
    assert modules - set(LAYERS) == set(), "add new modules to LAYERS (and design.md's map)"


def test_modules_import_only_from_below() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_of(path)
        if module in ("__init__", "__main__"):
            continue
        rank = LAYERS.index(module)
        for imported in _imports(path) - {module, "__version__", "API_VERSION"}:
            if imported in LAYERS and LAYERS.index(imported) >= rank:
                violations.append(f"{path.relative_to(PACKAGE)} imports {imported}")
    assert violations == []


def test_third_party_libraries_live_in_one_module() -> None:
    owners = {
        "tinydb": {"store", "store_files"},
        "keyring": {"credentials"},
        "asyncinotify": {"reload"},
        "watchfiles": set(),  # bench/idle.py only
        "pystray": {"tray"},
        "desktop_notifier": {"notify"},
        "platformdirs": {"config"},
    }
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            for name in names:
                if name in owners:
                    assert _module_of(path) in owners[name], f"{path.name} imports {name}"
