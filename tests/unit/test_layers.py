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
    "timestamps",
    "atomic",
    "state_file",
    "store.lock",  # the data folder's lock, which runtime takes: below the rest of the store package
    "digest_settings",
    "config",
    "runtime",
    "log_guard",
    "logs",
    "credentials",
    "sources",
    "store",
    "poller",
    "rules",
    "notify",
    "citations",
    "user_fields",
    "library",
    "digest",
    "api",
    "reload",
    "terminal",
    "app",
    "tray",
    "autostart",
    "doctor",
    "client",
    "cli",
]


# Inside a package, lowest first: a submodule may import only the siblings that stand before it.
SUBLAYERS = {
    "sources": ["guard", "politeness", "daily_papers", "arxiv", "http"],
    "library": ["meta", "trash", "folder", "queue", "downloads", "reading_list"],
}
# aiohttp's server side (web, hdrs, an access logger) may be used by the API; everything else of aiohttp is its
# client, and only the sources layer's HTTP module may use that.
AIOHTTP_SERVER = {"aiohttp.web", "aiohttp.hdrs", "aiohttp.abc.AbstractAccessLogger"}
AIOHTTP_CLIENT_OWNER = "sources/http.py"


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    inner = ".".join(part.removesuffix(".py") for part in rel.parts[:2])
    return inner if inner in LAYERS else rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("papertray"):
            parts = node.module.split(".")
            if ".".join(parts[1:3]) in LAYERS:
                found.add(".".join(parts[1:3]))
            elif len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "papertray" and len(parts) > 1:
                    found.add(".".join(parts[1:3]) if ".".join(parts[1:3]) in LAYERS else parts[1])
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
        "tinydb": {"store"},  # store/files.py
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
