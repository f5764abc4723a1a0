"""Writing the user's interests into config.toml as a `[[rules]]` table, keeping every comment and the layout of
the rest of the file (tomlkit edits the document it parsed instead of re-writing it).

The first run, the matches inbox's "Add your interests" form (which the tray and the extension's popup open)
both come here. The new text is checked with `config.parse_config` before it replaces the file (atomically),
so a bad value is refused with the config's own one-sentence error and the file stays as it was; the running
daemon's config watcher then applies it within a second, as for any edit.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence

import tomlkit
from tomlkit.exceptions import TOMLKitError

from papertray.atomic import write_atomic
from papertray.config import Config, Paths, parse_config
from papertray.errors import ConfigError

RULE_NAME = "my interests"
MAX_TERMS = 50


def split_terms(text: str) -> tuple[str, ...]:
    """ "sparse autoencoders, Yann LeCun; Meta" → the terms, trimmed, empty ones and repeats dropped."""
    terms = [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",")]
    return tuple(dict.fromkeys(term for term in terms if term))


def add_interests(
    paths: Paths, *, keywords: Sequence[str] = (), authors: Sequence[str] = (), orgs: Sequence[str] = ()
) -> Config:
    """Add a rule with these terms to config.toml (named "my interests", or "my interests 2" … when taken) and
    return the config as it now reads. Raises ConfigError in one sentence; the file is then unchanged."""
    path = paths.config_file
    if not (keywords or authors or orgs):
        raise ConfigError("Give at least one keyword, author or organisation.", path=str(path))
    if max(len(keywords), len(authors), len(orgs)) > MAX_TERMS:
        raise ConfigError(f"At most {MAX_TERMS} terms of each kind at once.", path=str(path))
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc}).", path=str(path)) from None
    current = parse_config(text, path, paths, {})  # a file that is already invalid is not edited
    taken = {rule.name for rule in current.rules}
    name = RULE_NAME
    number = 2
    while name in taken:
        name, number = f"{RULE_NAME} {number}", number + 1
    try:
        document = tomlkit.parse(text)
        rule = tomlkit.table()
        rule.add("name", name)
        for key, terms in (("keywords", keywords), ("authors", authors), ("orgs", orgs)):
            if terms:
                rule.add(key, list(terms))
        rules = document.get("rules")
        if rules is None:
            rules = tomlkit.aot()
            document.add("rules", rules)
        rules.append(rule)
        new_text = tomlkit.dumps(document)
        tomllib.loads(new_text)
    except (TOMLKitError, tomllib.TOMLDecodeError, AttributeError, TypeError) as exc:
        raise ConfigError(f"{path}: the rule could not be added ({exc}).", path=str(path)) from None
    config = parse_config(new_text, path, paths, {})
    write_atomic(path, new_text.encode("utf-8"), mode=0o600)
    return config
