"""The configuration: a frozen `Config` read from TOML and the environment, validated with messages that name
the file, the line and the key. Owns platformdirs (where things live when PAPERTRAY_HOME is not set).

A missing file is written with commented defaults; missing keys take defaults. A reload builds a whole new
`Config` and swaps it; an invalid edit raises `ConfigError` and the caller keeps the old one.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from papertray.config_defaults import DEFAULT_ARXIV_URL, DEFAULT_CONFIG_TEXT, DEFAULT_HF_URL, DEFAULT_PORT
from papertray.digest_settings import KNOWN_KEYS as KNOWN_DIGEST_KEYS
from papertray.digest_settings import DigestSettings, read_digest
from papertray.errors import ConfigError
from papertray.source_settings import KNOWN_KEYS as KNOWN_ARXIV_KEYS
from papertray.source_settings import read_categories, read_hf_lists

APP_NAME = "papertray"
MIN_POLL_MINUTES = 5.0
# One rule for the port wherever it is given (config file, PAPERTRAY_PORT, `run --port`).
PORT_RULE = "a port number from 0 to 65535 (0: any free port, chosen at each start)"


def port_problem(port: int) -> str | None:
    """Why `port` cannot be the API port (one phrase), or None."""
    return None if 0 <= port <= 65535 else f"must be {PORT_RULE}, not {port}"


@dataclass(frozen=True, slots=True)
class Paths:
    """Where everything lives. With PAPERTRAY_HOME=DIR all of it sits under DIR."""

    config_file: Path
    data_dir: Path
    cache_dir: Path
    state_dir: Path
    log_dir: Path

    @property
    def config_dir(self) -> Path:
        return self.config_file.parent

    @property
    def daemon_file(self) -> Path:
        return self.state_dir / "daemon.json"

    @property
    def library_dir(self) -> Path:
        return self.data_dir / "library"

    def locations(self) -> dict[str, str]:
        """Where the user's files are, as `status`, `doctor` and the first run name them."""
        return {
            "config": str(self.config_file),
            "data": str(self.data_dir),
            "logs": str(self.log_dir),
            "state": str(self.state_dir),
            "cache": str(self.cache_dir),
        }

    def ensure(self) -> None:
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.state_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Paths:
        env = os.environ if env is None else env
        home = env.get("PAPERTRAY_HOME")
        if home:
            root = Path(home).expanduser().absolute()
            return cls(
                config_file=root / "config.toml",
                data_dir=root / "data",
                cache_dir=root / "cache",
                state_dir=root / "state",
                log_dir=root / "logs",
            )
        return cls(
            config_file=Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml",
            data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME)),
            state_dir=Path(platformdirs.user_state_dir(APP_NAME)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME)),
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """One interest rule as written in config.toml; `rules.py` decides what matches."""

    name: str
    keywords: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_upvotes: int = 0
    notify: bool = True
    exact: bool = False  # keywords and exclusions only as written: no plurals or other forms

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "keywords": list(self.keywords),
            "authors": list(self.authors),
            "orgs": list(self.orgs),
            "exclude": list(self.exclude),
            "min_upvotes": self.min_upvotes,
            "notify": self.notify,
            "exact": self.exact,
        }


@dataclass(frozen=True, slots=True)
class Config:
    paths: Paths
    port: int = DEFAULT_PORT
    hf_url: str = DEFAULT_HF_URL
    arxiv_url: str = DEFAULT_ARXIV_URL
    poll_interval_minutes: float = 30.0
    catch_up_days: int = 14
    notifications_enabled: bool = True
    daily_budget: int = 12
    quiet_hours: str = "22:00-07:00"
    notify_max_age_days: int = 2
    arxiv_categories: tuple[str, ...] = ()
    hf_lists: tuple[str, ...] = ()
    download_pdfs: bool = True
    max_pdf_mb: int = 80
    allowed_private_hosts: tuple[str, ...] = ()
    mcp_allow_writes: bool = False
    rules: tuple[Rule, ...] = field(default=())
    digest: DigestSettings = field(default_factory=DigestSettings)

    @property
    def poll_interval_seconds(self) -> float:
        return max(self.poll_interval_minutes, MIN_POLL_MINUTES) * 60.0


def _key_line(text: str, table: str | None, key: str, occurrence: int = 1) -> int | None:
    """Line number of `key` inside the `occurrence`-th `[table]` (or `[[table]]`); the table's header line when
    the key is missing there. tomllib reports lines only for syntax errors, so we find them ourselves."""
    current: str | None = None
    seen = 0
    header_line: int | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            if header_line is not None and current == table and seen == occurrence:
                return header_line  # left the table without finding the key
            current = header.group(1)
            if current == table:
                seen += 1
                if seen == occurrence:
                    header_line = number
            continue
        in_table = table is None or (current == table and seen == occurrence)
        if in_table and re.match(rf"^{re.escape(key)}\s*=", line):
            return number
    return header_line


class _Reader:
    """Reads typed values from one TOML table, raising ConfigError that names file, line and key."""

    def __init__(
        self, path: Path, text: str, table: str, data: Mapping[str, Any], known: set[str], occurrence: int = 1
    ):
        self.path, self.text, self.table, self.data, self.occurrence = path, text, table, data, occurrence
        unknown = sorted(set(data) - known)
        if unknown:
            raise self.error(unknown[0], f"unknown key '{unknown[0]}' (known keys: {', '.join(sorted(known))})")

    def error(self, key: str, problem: str) -> ConfigError:
        line = _key_line(self.text, self.table, key, self.occurrence)
        where = f"{self.path}, line {line}" if line else str(self.path)
        return ConfigError(f"{where}: [{self.table}] {problem}.", path=str(self.path), line=line, key=key)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else ()):
            raise self.error(key, f"'{key}' must be {_kind_name(kind)}, not true/false")
        if not isinstance(value, kind):
            raise self.error(key, f"'{key}' must be {_kind_name(kind)}, not {type(value).__name__}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key, list, [])
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise self.error(key, f"'{key}' must be a list of non-empty strings")
        return tuple(item.strip() for item in value)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false", list: "a list"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


QUIET_HOURS = re.compile(r"^\s*\Z|^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]\Z")


def parse_config(text: str, path: Path, paths: Paths, env: Mapping[str, str] | None = None) -> Config:
    """Build a Config from TOML text plus environment overrides. Raises ConfigError on any invalid value."""
    env = os.environ if env is None else env
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line_match = re.search(r"line (\d+)", str(exc))
        line = int(line_match.group(1)) if line_match else None
        where = f"{path}, line {line}" if line else str(path)
        raise ConfigError(f"{where}: this is not valid TOML ({exc}).", path=str(path), line=line) from None

    known_tables = {"daemon", "poll", "sources", "arxiv", "notifications", "library", "mcp", "rules", "digest"}
    for name, value in data.items():
        if name not in known_tables:
            raise ConfigError(
                f"{path}: unknown setting '{name}' (known tables: {', '.join(sorted(known_tables))}).",
                path=str(path),
                line=_key_line(text, None, name),
                key=name,
            )
        if name != "rules" and not isinstance(value, dict):
            raise ConfigError(f"{path}: '{name}' must be a table.", path=str(path), key=name)

    daemon = _Reader(path, text, "daemon", data.get("daemon", {}), {"port"})
    port = daemon.get("port", int, DEFAULT_PORT)
    problem = port_problem(port)
    if problem:
        raise daemon.error("port", f"'port' {problem}")

    poll = _Reader(path, text, "poll", data.get("poll", {}), {"interval_minutes", "catch_up_days"})
    interval = float(poll.get("interval_minutes", (int, float), 30))
    if interval < MIN_POLL_MINUTES:
        raise poll.error("interval_minutes", f"'interval_minutes' must be at least {MIN_POLL_MINUTES:g}")
    catch_up = poll.get("catch_up_days", int, 14)
    if not 0 <= catch_up <= 60:
        raise poll.error("catch_up_days", "'catch_up_days' must be between 0 and 60")

    sources = _Reader(path, text, "sources", data.get("sources", {}), {"hf_url", "arxiv_url", "hf_lists"})
    hf_lists = read_hf_lists(sources)
    hf_url = _url(sources, "hf_url", DEFAULT_HF_URL)
    arxiv_url = _url(sources, "arxiv_url", DEFAULT_ARXIV_URL)

    categories = read_categories(_Reader(path, text, "arxiv", data.get("arxiv", {}), KNOWN_ARXIV_KEYS))

    notes = _Reader(
        path,
        text,
        "notifications",
        data.get("notifications", {}),
        {"enabled", "daily_budget", "quiet_hours", "max_age_days"},
    )
    enabled = notes.get("enabled", bool, True)
    budget = notes.get("daily_budget", int, 12)
    if budget < 0:
        raise notes.error("daily_budget", "'daily_budget' must be 0 or more")
    quiet = notes.get("quiet_hours", str, "22:00-07:00")
    if not QUIET_HOURS.match(quiet):
        raise notes.error("quiet_hours", "'quiet_hours' must look like \"22:00-07:00\" (or be empty)")
    max_age = notes.get("max_age_days", int, 2)
    if not 0 <= max_age <= 60:
        raise notes.error("max_age_days", "'max_age_days' must be between 0 and 60")

    library = _Reader(
        path, text, "library", data.get("library", {}), {"download_pdfs", "max_pdf_mb", "allowed_private_hosts"}
    )
    download = library.get("download_pdfs", bool, True)
    max_pdf = library.get("max_pdf_mb", int, 80)
    if not 1 <= max_pdf <= 2048:
        raise library.error("max_pdf_mb", "'max_pdf_mb' must be between 1 and 2048")
    allowed = library.strings("allowed_private_hosts")

    mcp = _Reader(path, text, "mcp", data.get("mcp", {}), {"allow_writes"})
    mcp_writes = mcp.get("allow_writes", bool, False)

    rules = _rules(path, text, data.get("rules", []))
    digest = read_digest(_Reader(path, text, "digest", data.get("digest", {}), KNOWN_DIGEST_KEYS))

    if env.get("PAPERTRAY_PORT"):
        raw = env["PAPERTRAY_PORT"].strip()
        if not (raw.isascii() and raw.isdigit()):
            raise ConfigError(f"PAPERTRAY_PORT must be {PORT_RULE}, not {raw!r}.")
        port = int(raw)
        problem = port_problem(port)
        if problem:
            raise ConfigError(f"PAPERTRAY_PORT {problem}.")
    hf_url = env.get("PAPERTRAY_HF_URL") or hf_url
    arxiv_url = env.get("PAPERTRAY_ARXIV_URL") or arxiv_url

    return Config(
        paths=paths,
        port=port,
        hf_url=hf_url.rstrip("/"),
        arxiv_url=arxiv_url.rstrip("/"),
        poll_interval_minutes=interval,
        catch_up_days=catch_up,
        notifications_enabled=enabled,
        daily_budget=budget,
        quiet_hours=quiet.strip(),
        notify_max_age_days=max_age,
        arxiv_categories=categories,
        hf_lists=hf_lists,
        download_pdfs=download,
        max_pdf_mb=max_pdf,
        allowed_private_hosts=allowed,
        mcp_allow_writes=mcp_writes,
        rules=rules,
        digest=digest,
    )


def _url(reader: _Reader, key: str, default: str) -> str:
    value: str = reader.get(key, str, default)
    if not re.match(r"^https?://[^\s/]+", value):
        raise reader.error(key, f"'{key}' must be an http(s) URL")
    return value


def _rules(path: Path, text: str, raw: Any) -> tuple[Rule, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: 'rules' must be written as [[rules]] tables.", path=str(path), key="rules")
    rules: list[Rule] = []
    names: set[str] = set()
    known = {"name", "keywords", "authors", "orgs", "exclude", "min_upvotes", "notify", "exact"}
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ConfigError(f"{path}: rule {index} must be a [[rules]] table.", path=str(path), key="rules")
        reader = _Reader(path, text, "rules", item, known, occurrence=index)
        name = reader.get("name", str, "").strip()
        if not name:
            raise reader.error("name", f"rule {index} needs a 'name' (it is shown in notifications)")
        if name in names:
            raise reader.error("name", f"two rules are named '{name}'")
        names.add(name)
        rule = Rule(
            name=name,
            keywords=reader.strings("keywords"),
            authors=reader.strings("authors"),
            orgs=reader.strings("orgs"),
            exclude=reader.strings("exclude"),
            min_upvotes=reader.get("min_upvotes", int, 0),
            notify=reader.get("notify", bool, True),
            exact=reader.get("exact", bool, False),
        )
        if not (rule.keywords or rule.authors or rule.orgs or rule.min_upvotes):
            raise reader.error(
                "keywords", f"rule '{name}' matches nothing: give keywords, authors, orgs or min_upvotes"
            )
        rules.append(rule)
    return tuple(rules)


def load_config(paths: Paths | None = None, env: Mapping[str, str] | None = None, *, create: bool = True) -> Config:
    """Read the config file (writing the commented defaults first when it is missing)."""
    paths = paths or Paths.from_env(env)
    path = paths.config_file
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the file is not UTF-8 text.", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).", path=str(path)) from None
    return parse_config(text, path, paths, env)
