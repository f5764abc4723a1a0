"""Issue 15: the email digest against a real SMTP server (aiosmtpd with AUTH and STARTTLS on a self-signed
certificate the test trusts through SSL_CERT_FILE). The scheduler runs in-process on a clock the test drives:
sleeping across digest time, a failing server then a working one, a restart right after sending."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from papertray.config import parse_config
from papertray.credentials import Credentials
from papertray.digest import smtp
from papertray.digest.schedule import Record
from papertray.digest.service import DigestService
from papertray.events import EventBus
from papertray.models import Paper
from papertray.tray import TrayBridge, tooltip
from papertray.tray_feed import follow, snapshot
from tests.support.digest_world import DAY1, World, world_fixture  # noqa: F401 (the `world` fixture)
from tests.support.smtp_server import PASSWORD, REFUSED, SmtpServer, hanging_server, make_certificate


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("smtp-tls")
    return {"trusted": make_certificate(folder, "trusted"), "stranger": make_certificate(folder, "stranger")}


@pytest.fixture(autouse=True)
def trust(certs: dict[str, tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certs["trusted"][0]))  # the system CA store, as Python reads it


@pytest.fixture
def server(certs: dict[str, tuple[Path, Path]]) -> Iterator[SmtpServer]:
    running = SmtpServer(*certs["trusted"]).start()
    yield running
    running.stop()


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_the_digest_arrives_once_as_text_and_html_after_sleeping_across_digest_time(
    world: World, server: SmtpServer
) -> None:
    world.configure(server.port)
    service = world.service()
    assert (await service.scheduler.tick()).status == "not due"  # 07:00: counting starts at the latest slot
    world.clock.at = DAY1 + timedelta(hours=3, days=3)  # asleep from Monday 07:00 to Thursday 10:00
    outcome = await service.scheduler.tick()
    assert outcome.status == "sent", outcome.message
    assert len(server.box.messages) == 1  # three missed days folded into one digest
    assert server.box.recipients == [["me@example.org"]]

    message = parse(server.box.messages[0])
    assert message["Subject"] == "papertray digest for 2026-03-05: 3 papers"
    assert message["Bcc"] is None and "pwned" not in str(message["Subject"])  # no header injection
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    plain, markup = text.get_content(), html.get_content()
    expected = [
        "Rule matches",
        "Sparse autoencoder features in small models",
        "rule “SAE watch”",
        "42 upvotes",
        "https://arxiv.org/abs/2603.01001",
        "https://arxiv.org/pdf/2603.01001",
        "https://huggingface.co/papers/2603.01001",
        "Trending you have not seen",
        "Zoë Ångström-Łukasz",
    ]
    for words in expected:
        assert words in plain, words
    assert "Sparse autoencoder features in small models" in markup and "Zoë Ångström-Łukasz" in markup
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "<img" not in markup
    assert "&lt;img src=x" in markup and 'src="' not in markup  # no remote images, no tracking pixels

    # Later the same day, and after a restart right after sending: nothing is sent again.
    world.clock.at += timedelta(minutes=30)
    assert (await service.scheduler.tick()).status == "not due"
    assert (await world.service().scheduler.tick()).status == "not due"
    assert len(server.box.messages) == 1


async def test_a_failing_server_then_a_working_one_sends_the_digest_once(
    world: World, certs: dict[str, tuple[Path, Path]]
) -> None:
    down = SmtpServer(*certs["trusted"])  # its port, with nothing listening yet
    world.configure(down.port)
    service = world.service()
    await service.scheduler.tick()
    world.clock.at = DAY1 + timedelta(hours=2)
    failed = await service.scheduler.tick()
    assert failed.status == "failed" and failed.message.startswith("Could not connect to 127.0.0.1:")
    assert service.problems() == [
        f"The email digest was not sent (attempt 1; next try {(world.clock.at + timedelta(minutes=1)):%H:%M}): "
        + failed.message
    ]
    assert (await service.scheduler.tick()).status == "not due"  # backing off, not hammering the server
    world.clock.at += timedelta(seconds=61)
    down.start()
    try:
        assert (await service.scheduler.tick()).status == "sent"
        assert len(down.box.messages) == 1 and service.problems() == []
        world.clock.at += timedelta(hours=1)
        assert (await service.scheduler.tick()).status == "not due"
        assert len(down.box.messages) == 1
    finally:
        down.stop()


async def test_implicit_tls_works_too(world: World, certs: dict[str, tuple[Path, Path]]) -> None:
    server = SmtpServer(*certs["trusted"], mode="tls").start()
    try:
        world.configure(server.port, smtp_security="tls")
        assert (await world.service().send_now(force_empty=False)).status == "sent"
        assert len(server.box.messages) == 1
    finally:
        server.stop()


async def bad_send(world: World, port: int, password: str = PASSWORD, **digest: Any) -> str:
    """One scheduled send that must fail: returns its sentence, after checking the digest is still pending."""
    world.configure(port, **digest)
    service = world.service(password)
    await service.scheduler.tick()
    world.clock.at = DAY1 + timedelta(hours=2)
    outcome = await service.scheduler.tick()
    assert outcome.status == "failed"
    record = world.record()
    assert record.covered_until == (DAY1.replace(hour=8) - timedelta(days=1)).isoformat()  # the slot is still due
    assert record.sent == [] and record.attempts == 1 and record.last_error == outcome.message  # not lost
    assert outcome.message.count(". ") == 0 and outcome.message.endswith(".")  # one sentence
    return outcome.message


async def test_wrong_password_is_one_sentence_with_the_servers_words(world: World, server: SmtpServer) -> None:
    said = await bad_send(world, server.port, password="wrong")
    assert said.startswith(f"127.0.0.1:{server.port} refused the login for 'me': ")
    assert "535" in said or "Authentication" in said
    assert server.box.messages == []


async def test_a_server_without_starttls_gets_nothing(world: World, certs: dict[str, tuple[Path, Path]]) -> None:
    plain = SmtpServer(*certs["trusted"], mode="plain").start()
    try:
        said = await bad_send(world, plain.port)
        assert "does not offer STARTTLS" in said and "never falls back" in said
        assert plain.box.messages == []
    finally:
        plain.stop()


async def test_a_certificate_that_does_not_verify_is_refused(world: World, certs: dict[str, tuple[Path, Path]]) -> None:
    stranger = SmtpServer(*certs["stranger"]).start()
    try:
        said = await bad_send(world, stranger.port)
        assert said.startswith(f"The certificate of 127.0.0.1:{stranger.port} did not verify")
        assert stranger.box.messages == []
    finally:
        stranger.stop()


async def test_a_rejected_recipient_is_named(world: World, server: SmtpServer) -> None:
    said = await bad_send(world, server.port, to=REFUSED)
    assert said.startswith(f"127.0.0.1:{server.port} refused the recipient {REFUSED}: ")
    assert "User unknown" in said and server.box.messages == []


async def test_a_hanging_server_times_out(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smtp, "TIMEOUT_SECONDS", 1.0)
    with hanging_server() as port:
        said = await bad_send(world, port)
    assert said == f"127.0.0.1:{port} did not answer within 1 seconds; the digest will be retried."


async def test_an_empty_digest_is_not_sent_unless_asked(world: World, server: SmtpServer) -> None:
    world.configure(server.port)
    service = world.service()
    assert (await service.send_now(force_empty=False)).status == "sent"
    assert (await service.send_now(force_empty=False)).status == "empty"  # every paper was already mailed
    assert len(server.box.messages) == 1
    assert (await service.send_now(force_empty=True)).status == "sent"
    assert "Nothing new matched" in parse(server.box.messages[1]).get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_i15_3_a_failed_scheduled_send_shows_in_the_tray_at_once_in_the_servers_words(
    world: World, server: SmtpServer
) -> None:
    """The daemon's own timer sends and fails (wrong password): the tray's tooltip and menu show the server's words
    right then, not at the next poll."""
    world.configure(server.port)
    config = parse_config(world.config_text, world.paths.config_file, world.paths, env={})
    credentials = Credentials(world.paths.state_dir, env={"PAPERTRAY_SMTP_PASSWORD": "wrong"})
    Record(covered_until=(DAY1 - timedelta(days=2)).isoformat()).save(world.paths.state_dir / "digest.json")
    bus = EventBus()
    poll_later = (datetime.now().astimezone() + timedelta(hours=1)).isoformat()  # no poll is coming soon
    service = DigestService(
        lambda: config, world.store, bus, credentials, now=world.clock, next_poll_at=lambda: poll_later
    )
    bridge = TrayBridge(
        poll_now=lambda: None,
        toggle_pause=lambda: None,
        pair_code=lambda: "",
        open_reading_list=lambda: None,
        open_config=lambda: None,
        open_paper=lambda _id: None,
        quit=lambda: None,
    )
    tray = asyncio.create_task(follow(bridge, bus, lambda: snapshot(world.store, problems=service.problems), settle=0))
    running: asyncio.Task[None] | None = None
    try:
        assert (await asyncio.to_thread(bridge.states.get, True, 5)).failing == ()
        running = asyncio.create_task(service.run())
        state = await asyncio.to_thread(bridge.states.get, True, 30)
        assert state.failing and state.failing[0].startswith("The email digest was not sent (attempt 1; next try")
        shown = tooltip(state)
        assert f"127.0.0.1:{server.port} refused the login for 'me': " in shown, shown
        assert server.box.messages == []
    finally:
        for task in (tray, running):
            if task is not None:
                task.cancel()
        await asyncio.gather(tray, *([running] if running else []), return_exceptions=True)


async def test_i15_1_each_new_version_is_mailed_once_even_after_the_paper_went_out_as_a_match(
    world: World, server: SmtpServer
) -> None:
    """A paper mailed as a rule match, then saved: its v2 is still news, mailed once with v2's links; when v3
    comes, only v3 (v2 is old news by then), and then nothing more."""
    world.configure(server.port)
    match = "2603.01001"
    found: list[tuple[str, int, int | None, str]] = []
    config = parse_config(world.config_text, world.paths.config_file, world.paths, env={})
    credentials = Credentials(world.paths.state_dir, env={"PAPERTRAY_SMTP_PASSWORD": PASSWORD})
    service = DigestService(
        lambda: config, world.store, EventBus(), credentials, now=world.clock, versions=lambda: found
    )
    assert (await service.send_now(force_empty=False)).status == "sent"
    assert "Sparse autoencoder features in small models" in parse(server.box.messages[0]).as_string()

    await world.store.update_state(match, saved=True)
    found.insert(0, (match, 2, 1, "2026-03-02T06:00:00Z"))
    assert (await service.send_now(force_empty=False)).status == "sent"
    text = parse(server.box.messages[1]).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "New versions of your saved papers" in text and "* v2 of Sparse autoencoder features" in text
    assert f"https://arxiv.org/pdf/{match}v2" in text and text.count("* ") == 1

    found.insert(0, (match, 3, 2, "2026-03-02T06:30:00Z"))
    assert (await service.send_now(force_empty=False)).status == "sent"
    text = parse(server.box.messages[2]).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "* v3 of Sparse autoencoder features" in text and "v2 of" not in text
    assert (await service.send_now(force_empty=False)).status == "empty"
    assert len(server.box.messages) == 3


async def test_i15_2_trending_comes_from_the_weekly_and_monthly_lists_when_followed_leaving_out_dismissed(
    world: World, server: SmtpServer
) -> None:
    """With `[sources] hf_lists` on, the Trending group is those lists' papers the user has not seen, saved or
    dismissed, most upvoted first; a paper there that is also a rule match is listed once, as a match."""
    world.configure(server.port)
    world.config_text += '[sources]\nhf_lists = ["week", "month"]\n'

    def listed(n: int, title: str, day: str, upvotes: int, source: str) -> Paper:
        return Paper(id=f"2602.0200{n}", title=title, daily_date=day, upvotes=upvotes, sources=(source,))

    listed_papers = [
        listed(1, "The week's favourite", "2026-02-24", 120, "hf:week"),
        listed(2, "The month's favourite", "2026-02-03", 250, "hf:month"),
        listed(3, "Dismissed, never again", "2026-02-25", 400, "hf:week"),
        listed(4, "Already saved", "2026-02-25", 300, "hf:month"),
    ]
    await world.store.add_papers(listed_papers)
    await world.store.update_state("2602.02003", dismissed=True)
    await world.store.update_state("2602.02004", saved=True)
    assert (await world.service().send_now(force_empty=False)).status == "sent"
    text = parse(server.box.messages[0]).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    trending = text.split("Trending you have not seen", 1)[1]
    assert trending.index("The month's favourite") < trending.index("The week's favourite")
    assert "of the month" in trending and "of the week" in trending
    assert "Dismissed, never again" not in text and "Already saved" not in text
    assert "Équivariance et réseaux" not in trending  # today's unseen paper is not trending once lists are followed
    assert text.count("Sparse autoencoder features in small models") == 1
