"""arXiv's listing feed (issue 13 item 2): every announce_type, cross-lists, replacements, old-style ids,
duplicates, and the bad input of the issue, against the real captures and feeds built in the serializer's format."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertray.config import Paths, parse_config
from papertray.errors import ConfigError, FeedError
from papertray.sources.arxiv_listing import arxiv_rss_base, followed_sources, parse_listing
from tests.support.arxiv_server import Item, rss_feed

# shared/fixtures sits beside the checkout (/work/main) or two levels up (a worktree under /work/wt)
REAL = next(p / "shared/fixtures/real" for p in Path(__file__).parents if (p / "shared/fixtures/real").is_dir())
LOCAL = Path(__file__).resolve().parents[1] / "fixtures" / "arxiv"
FOLLOWED = ("cs.LG", "cs.CL")
DAY = "2026-12-01"  # a Tuesday


def test_i13_2_every_announce_type_one_paper_each_with_sources_versions_and_day() -> None:
    items = [
        Item("2611.00001", kind="new", categories=("cs.LG", "stat.ML"), authors=("Ada Lovelace", "Alan Turing")),
        Item("2611.00002", kind="cross", categories=("cs.CV", "cs.CL")),
        Item("2605.01234", version=3, kind="replace", categories=("cs.CL", "cs.LG")),
        Item("2604.04321", version=2, kind="replace-cross", categories=("math.OC", "cs.LG")),
    ]
    listing = parse_listing(rss_feed("cs.LG+cs.CL", DAY, items), FOLLOWED)
    assert listing.error is None and listing.day == DAY
    new, cross, replaced, replaced_cross = listing.papers
    assert (new.id, new.version, new.categories) == ("2611.00001", 1, ("cs.LG", "stat.ML"))
    assert new.authors == ("Ada Lovelace", "Alan Turing")
    assert new.summary == "Abstract of 2611.00001."
    assert new.sources == ("arxiv:cs.LG",) and new.daily_date == DAY
    assert new.versions == ((1, "2026-12-01T04:00:00Z"),) and new.published_at == "2026-12-01T04:00:00Z"
    assert cross.sources == ("arxiv:cs.CL",) and cross.categories[0] == "cs.CV"  # primary first
    assert replaced.version == 3 and replaced.versions == ((3, "2026-12-01T04:00:00Z"),)
    assert replaced.sources == ("arxiv:cs.LG", "arxiv:cs.CL") and replaced.published_at is None
    assert replaced_cross.version == 2 and replaced_cross.sources == ("arxiv:cs.LG",)


def test_i13_2_old_style_ids_duplicates_and_unknown_types_are_counted_not_lost() -> None:
    items = [
        Item("math.GT/0309136", version=2, kind="replace", categories=("math.GT",)),
        Item("hep-th/9901001", kind="new", categories=("hep-th",)),
        Item("2611.00001", kind="new"),
        Item("2611.00001", kind="cross", categories=("cs.CL",)),  # listed twice: one paper, both lists
        Item("2611.00003", kind="absonly"),
    ]
    listing = parse_listing(rss_feed("cs+math+hep-th", DAY, items), ("cs", "math", "hep-th"))
    ids = [p.id for p in listing.papers]
    assert ids == ["math/0309136", "hep-th/9901001", "2611.00001"]
    assert (listing.duplicates, listing.unknown_types, listing.error) == (1, 1, None)
    assert listing.papers[0].sources == ("arxiv:math",) and listing.papers[0].version == 2


def test_i13_2_the_real_weekend_feed_is_empty_without_error_but_an_empty_weekday_is_one() -> None:
    weekend = parse_listing((REAL / "arxiv_rss_cs.CL_2026-08-01_weekend_empty.xml").read_bytes(), ("cs.CL",))
    assert (weekend.papers, weekend.day, weekend.error) == ((), "2026-08-01", None)
    weekday = parse_listing(rss_feed("cs.CL", DAY, []), ("cs.CL",))
    assert weekday.error == (
        "arXiv's listing for cs.CL of 2026-12-01 has no papers although arXiv announces on weekdays; "
        "papertray will ask again later."
    )


def test_i13_2_a_cut_off_feed_keeps_the_whole_items_before_the_cut() -> None:
    body = rss_feed("cs.LG", DAY, [Item(f"2611.{n:05d}") for n in range(1, 5)])
    cut = body[: body.index(b"<item>", body.index(b"2611.00003")) - 200]
    listing = parse_listing(cut, ("cs.LG",))
    assert [p.id for p in listing.papers] == ["2611.00001", "2611.00002"]
    assert listing.error is not None and listing.error.startswith("arXiv's listing for cs.LG was cut off")
    assert "the 2 whole items before the cut were kept" in listing.error
    # the real capture, cut by its source mid-abstract: nothing whole, said in one sentence
    real = parse_listing((LOCAL / "rss_cs.CV_head.xml.partial").read_bytes(), ("cs.CV",))
    assert real.papers == () and real.day == "2025-09-18" and "nothing in it was usable" in (real.error or "")


@pytest.mark.parametrize(
    "body",
    [b"<!DOCTYPE html><html><body>Captive portal</body></html>", b"<html><body>unclosed<br></body></html>", b""],
)
def test_i13_2_html_or_nothing_is_a_feed_error_in_one_sentence(body: bytes) -> None:
    with pytest.raises(FeedError, match=r"^arXiv answered the listing for cs\.LG with something that is not an RSS"):
        parse_listing(body, ("cs.LG",))


def test_i13_2_archives_follow_their_categories_and_the_test_base_serves_every_path() -> None:
    assert followed_sources(("cs.LG", "math.OC"), ("cs", "math.OC", "stat")) == ("arxiv:cs", "arxiv:math.OC")
    assert followed_sources(("q-bio.NC",), ("cs",)) == ("arxiv",)
    assert arxiv_rss_base("https://arxiv.org") == "https://rss.arxiv.org"
    assert arxiv_rss_base("http://127.0.0.1:8123/") == "http://127.0.0.1:8123"


def _paths(tmp_path: Path) -> Paths:
    return Paths(tmp_path / "config.toml", tmp_path / "d", tmp_path / "c", tmp_path / "s", tmp_path / "l")


def test_i13_1_arxiv_categories_are_read_and_a_bad_one_is_named(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    config = parse_config('[arxiv]\ncategories = ["cs.LG", "cs", "cs.LG", "hep-th"]\n', paths.config_file, paths, {})
    assert config.arxiv_categories == ("cs.LG", "cs", "hep-th")
    assert parse_config("", paths.config_file, paths, {}).arxiv_categories == ()
    with pytest.raises(ConfigError) as err:
        parse_config('\n[arxiv]\ncategories = ["cs.LG", "cs LG"]\n', paths.config_file, paths, {})
    assert str(err.value) == (
        f"{paths.config_file}, line 3: [arxiv] 'categories' holds 'cs LG', which is no arXiv archive or category "
        '(write them like "cs" or "cs.LG").'
    )
    with pytest.raises(ConfigError, match=r"'max_age_days' must be between 0 and 60"):
        parse_config("[notifications]\nmax_age_days = -1\n", paths.config_file, paths, {})
