"""The config file: defaults on first run, environment overrides, and one-sentence errors naming the file,
the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.config import DEFAULT_PORT, Paths, load_config, parse_config
from papertray.errors import ConfigError


def paths_for(root: Path) -> Paths:
    return Paths.from_env({"PAPERTRAY_HOME": str(root)})


def test_first_run_writes_commented_defaults_that_load_back(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    config = load_config(paths, env={})
    text = paths.config_file.read_text()
    assert text.startswith("# papertray configuration")
    assert "[[rules]]" in text  # the rule format is shown, commented out
    assert config.port == DEFAULT_PORT
    assert config.hf_url == "https://huggingface.co"
    assert config.rules == ()
    # Loading the written file again gives the same settings.
    assert load_config(paths, env={}) == config


def test_home_layout(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    assert paths.config_file == tmp_path / "config.toml"
    assert {paths.data_dir.name, paths.cache_dir.name, paths.state_dir.name, paths.log_dir.name} == {
        "data",
        "cache",
        "state",
        "logs",
    }
    assert paths.daemon_file == tmp_path / "state" / "daemon.json"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    env = {
        "PAPERTRAY_PORT": "4242",
        "PAPERTRAY_HF_URL": "http://127.0.0.1:9/",
        "PAPERTRAY_ARXIV_URL": "http://127.0.0.1:8",
    }
    config = parse_config("[daemon]\nport = 5000\n", paths.config_file, paths, env)
    assert config.port == 4242
    assert config.hf_url == "http://127.0.0.1:9"
    assert config.arxiv_url == "http://127.0.0.1:8"


def test_rules_are_parsed(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    text = """
[[rules]]
name = "interpretability"
keywords = ["sparse autoencoder", "mechanistic interpretability"]
min_upvotes = 3

[[rules]]
name = "lecun"
authors = ["Yann LeCun"]
notify = false
"""
    config = parse_config(text, paths.config_file, paths, {})
    assert [r.name for r in config.rules] == ["interpretability", "lecun"]
    assert config.rules[0].keywords == ("sparse autoencoder", "mechanistic interpretability")
    assert config.rules[0].min_upvotes == 3
    assert config.rules[1].notify is False
    assert config.rules[0].exact is False


def test_i17_1_a_rule_opts_into_exact_matching(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    text = '[[rules]]\nname = "a"\nkeywords = ["LLM"]\nexact = true\n'
    assert parse_config(text, paths.config_file, paths, {}).rules[0].exact is True


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ('[daemon]\nport = "eighty"\n', 2, "port", "whole number"),
        ("[daemon]\nport = 70000\n", 2, "port", "from 0 to 65535"),
        ("[poll]\n\ninterval_minutes = 1\n", 3, "interval_minutes", "at least 5"),
        ('[notifications]\nquiet_hours = "late"\n', 2, "quiet_hours", "22:00-07:00"),
        ("[notifications]\nenabled = 1\n", 2, "enabled", "true or false"),
        ("[poll]\nintervall = 30\n", 2, "intervall", "unknown key"),
        ('[[rules]]\nkeywords = ["x"]\n', 1, "name", "needs a 'name'"),
        ('[[rules]]\nname = "a"\nkeywords = [""]\n', 3, "keywords", "non-empty strings"),
        ('[[rules]]\nname = "empty"\n', None, "keywords", "matches nothing"),
        ('[[rules]]\nname = "a"\nkeywords = ["x"]\nexact = "yes"\n', 4, "exact", "true or false"),
    ],
)
def test_invalid_values_name_file_line_and_key(
    tmp_path: Path, text: str, line: int | None, key: str, words: str
) -> None:
    paths = paths_for(tmp_path)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, paths.config_file, paths, {})
    error = caught.value
    message = str(error)
    assert str(paths.config_file) in message
    assert words in message
    assert error.key == key
    if line is not None:
        assert error.line == line
        assert f"line {line}" in message
    assert message.count("\n") == 0  # one sentence, one line


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    with pytest.raises(ConfigError) as caught:
        parse_config("[daemon]\nport = = 3\n", paths.config_file, paths, {})
    assert caught.value.line == 2
    assert "not valid TOML" in str(caught.value)


def test_bad_environment_port_is_a_clear_error(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    with pytest.raises(ConfigError, match="PAPERTRAY_PORT must be a port number"):
        parse_config("", paths.config_file, paths, {"PAPERTRAY_PORT": "http"})


def test_poll_interval_has_a_floor(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    config = parse_config("[poll]\ninterval_minutes = 7.5\n", paths.config_file, paths, {})
    assert config.poll_interval_seconds == 450


def test_error_in_second_rule_points_at_that_rule(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    text = '[[rules]]\nname = "a"\nkeywords = ["ok"]\n\n[[rules]]\nname = "b"\nkeywords = [1]\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, paths.config_file, paths, {})
    assert caught.value.line == 7


def test_unknown_table_is_reported(tmp_path: Path) -> None:
    paths = paths_for(tmp_path)
    with pytest.raises(ConfigError, match="unknown setting 'deamon'"):
        parse_config("[deamon]\nport = 1\n", paths.config_file, paths, {})
