"""Issue 15: `[digest]` in config.toml exactly as the issue shows it, and a clear sentence naming file, line
and key for every value that cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.config import Paths, parse_config
from papertray.digest_settings import DigestSettings
from papertray.errors import ConfigError

ISSUE_EXAMPLE = """
[digest]
schedule = "daily"            # daily | weekly | off (the default)
at = "08:00"                  # local time
to = "me@example.org"
smtp_host = "smtp.example.org"
smtp_port = 587
smtp_security = "starttls"    # starttls | tls
smtp_user = "me"              # optional; the password comes from the keyring
"""


def parse(text: str, tmp_path: Path) -> DigestSettings:
    paths = Paths.from_env({"PAPERTRAY_HOME": str(tmp_path)})
    return parse_config(text, paths.config_file, paths, {}).digest


def test_15_the_issues_digest_table_parses(tmp_path: Path) -> None:
    settings = parse(ISSUE_EXAMPLE, tmp_path)
    assert settings == DigestSettings("daily", "08:00", "me@example.org", "smtp.example.org", 587, "starttls", "me")
    assert settings.enabled and settings.hour_minute == (8, 0)


def test_15_the_digest_is_off_by_default_and_tls_defaults_to_port_465(tmp_path: Path) -> None:
    assert not parse("", tmp_path).enabled
    tls = parse('[digest]\nschedule = "weekly"\nto = "a@b.org"\nsmtp_host = "h.org"\nsmtp_security = "tls"\n', tmp_path)
    assert tls.smtp_port == 465 and tls.schedule == "weekly"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('schedule = "hourly"', '[digest] \'schedule\' must be "daily", "weekly" or "off".'),
        ('at = "8am"', "[digest] 'at' must be a local time like \"08:00\"."),
        ('at = "24:00"', "[digest] 'at' must be a local time like \"08:00\"."),
        ('to = "me@example.org\\r\\nBcc: x@y.org"', "[digest] 'to' must be one email address like \"me@example.org\"."),
        ('to = "a@b.org, c@d.org"', "[digest] 'to' must be one email address like \"me@example.org\"."),
        ('smtp_host = "smtp.example.org/evil"', "[digest] 'smtp_host' must be a host name like \"smtp.example.org\"."),
        ("smtp_port = 0", "[digest] 'smtp_port' must be between 1 and 65535."),
        ('smtp_port = "587"', "[digest] 'smtp_port' must be a whole number, not str."),
        ('smtp_security = "none"', '[digest] \'smtp_security\' must be "starttls" or "tls" (there is no plain mode).'),
        ('smtp_user = "m\\te"', "[digest] 'smtp_user' must be printable text."),
        ('password = "hunter2"', "[digest] unknown key 'password'"),
    ],
)
def test_15_a_bad_digest_setting_is_one_clear_sentence(tmp_path: Path, line: str, said: str) -> None:
    text = ISSUE_EXAMPLE + line + "\n"
    text = "\n".join(t for t in text.splitlines() if t.split("=")[0].strip() != line.split("=")[0].strip()) + "\n"
    text += line + "\n"
    with pytest.raises(ConfigError) as caught:
        parse(text, tmp_path)
    message = str(caught.value)
    assert said in message and "config.toml, line " in message


def test_15_an_enabled_digest_needs_a_recipient_and_a_server(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[digest\] 'to' is needed when 'schedule' is \"daily\""):
        parse('[digest]\nschedule = "daily"\nsmtp_host = "h.org"\n', tmp_path)
    with pytest.raises(ConfigError, match=r"'smtp_host' is needed"):
        parse('[digest]\nschedule = "daily"\nto = "a@b.org"\n', tmp_path)
