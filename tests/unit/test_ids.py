"""Paper id canonicalisation on every form papertray meets (reference/feeds.md §3.5)."""

from __future__ import annotations

import pytest

from papertray.models import canonical_id, is_canonical_id, parse_paper_ref

CASES = [
    # bare new-style ids, 4- and 5-digit numbers, with and without version
    ("2307.12345", ("2307.12345", None)),
    ("2307.12345v2", ("2307.12345", 2)),
    ("0704.0001", ("0704.0001", None)),
    ("1501.00001v10", ("1501.00001", 10)),
    # prefixes
    ("arXiv:2307.12345v3", ("2307.12345", 3)),
    ("arxiv:2307.12345", ("2307.12345", None)),
    # arXiv URLs: abs, pdf (with and without .pdf), html
    ("https://arxiv.org/abs/2307.12345", ("2307.12345", None)),
    ("http://arxiv.org/abs/2609.20822v1", ("2609.20822", 1)),
    ("https://arxiv.org/pdf/2307.12345v2", ("2307.12345", 2)),
    ("https://arxiv.org/pdf/2307.12345.pdf", ("2307.12345", None)),
    ("https://arxiv.org/pdf/2307.12345v2.pdf", ("2307.12345", 2)),
    ("https://arxiv.org/html/2307.12345v1", ("2307.12345", 1)),
    # RSS guid
    ("oai:arXiv.org:2509.13338v1", ("2509.13338", 1)),
    # Hugging Face paper pages
    ("https://huggingface.co/papers/2603.16790#community", ("2603.16790", None)),
    ("/papers/2603.16790", ("2603.16790", None)),
    # the arXiv DOI, bare and as a URL
    ("10.48550/arXiv.2307.12345", ("2307.12345", None)),
    ("https://doi.org/10.48550/arXiv.2307.12345", ("2307.12345", None)),
    # old-style ids: archive lower-cased, subject class dropped, version kept beside
    ("hep-th/9901001", ("hep-th/9901001", None)),
    ("hep-th/9901001v1", ("hep-th/9901001", 1)),
    ("arXiv:hep-th/9901001", ("hep-th/9901001", None)),
    ("HEP-TH/9901001", ("hep-th/9901001", None)),
    ("math.GT/0309136v2", ("math/0309136", 2)),
    ("math.GT/0309136", ("math/0309136", None)),
    ("https://arxiv.org/abs/math.GT/0309136v2", ("math/0309136", 2)),
]

NOT_IDS = [
    "",
    "hello world",
    "1234",
    "2307.123",  # too short
    "2307.123456",  # too long
    "12307.12345",  # inside a longer number
    "v2307.12345",  # inside a word
    "https://huggingface.co/papers/date/2025-07-31",
    "https://huggingface.co/papers/trending",
    "2307.12345" + "x" * 3000,  # absurdly long input is refused before matching
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_every_accepted_form_gives_the_canonical_id_and_version(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_paper_ref(text) == expected
    assert canonical_id(text) == expected[0]
    assert is_canonical_id(expected[0])


@pytest.mark.parametrize("text", NOT_IDS)
def test_strings_without_a_paper_id_are_refused(text: str) -> None:
    assert parse_paper_ref(text) is None
    assert canonical_id(text) is None


def test_versions_of_one_paper_share_one_identity() -> None:
    forms = ["2307.12345", "2307.12345v1", "arXiv:2307.12345v4", "https://arxiv.org/pdf/2307.12345v2.pdf"]
    assert {canonical_id(form) for form in forms} == {"2307.12345"}
