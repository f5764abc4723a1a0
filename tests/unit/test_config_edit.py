"""Adding interests to config.toml (issue 17, item 1, first run): a [[rules]] table is added, every comment of the
file stays, the result loads back, and bad input is refused in one sentence with the file unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.config import Paths, load_config
from papertray.config_edit import add_interests, split_terms
from papertray.errors import ConfigError


def fresh(tmp_path: Path) -> Paths:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(tmp_path)})
    load_config(paths, env={})  # the first run writes the commented defaults
    return paths


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_i17_1_interests_become_a_rule_and_every_comment_stays(tmp_path: Path) -> None:
    paths = fresh(tmp_path)
    before = paths.config_file.read_text(encoding="utf-8")
    assert load_config(paths, env={}).rules == ()  # the default config has no rules
    config = add_interests(paths, keywords=split_terms("sparse autoencoders, world models"), authors=("Yann LeCun",))
    after = paths.config_file.read_text(encoding="utf-8")
    assert comments(after) == comments(before)
    assert after.startswith(before.rstrip("\n"))  # nothing above was rewritten
    rule = config.rules[0]
    assert (rule.name, rule.keywords, rule.authors) == (
        "my interests",
        ("sparse autoencoders", "world models"),
        ("Yann LeCun",),
    )
    assert load_config(paths, env={}).rules == config.rules
    second = add_interests(paths, orgs=("Meta",))
    assert [r.name for r in second.rules] == ["my interests", "my interests 2"]


def test_i17_1_bad_interests_are_refused_and_the_file_is_unchanged(tmp_path: Path) -> None:
    paths = fresh(tmp_path)
    before = paths.config_file.read_bytes()
    with pytest.raises(ConfigError, match="at least one keyword"):
        add_interests(paths, keywords=split_terms(" , ;"))
    with pytest.raises(ConfigError, match="non-empty strings"):
        add_interests(paths, keywords=("ok", ""))
    assert paths.config_file.read_bytes() == before


def test_i17_1_split_terms() -> None:
    assert split_terms(" a , b;c\nb,, ") == ("a", "b", "c")
