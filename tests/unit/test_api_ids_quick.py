"""The API's quick path for paper ids gives exactly what `models.canonical_id` gives, for the forms it takes
itself and for everything it hands on (hypothesis generates links, versions and near misses)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from papertray.api.ids import cached_canonical_id, quick_canonical_id
from papertray.models import canonical_id

PREFIXES = [
    "",
    "https://arxiv.org/abs/",
    "https://arxiv.org/pdf/",
    "https://arxiv.org/html/",
    "https://huggingface.co/papers/",
    "http://arxiv.org/abs/",
    "arXiv:",
    "https://arxiv.org/abs/hep-th/",
    "https://x.org/2301.00001/",
    "abs/",
]
SUFFIXES = ["", "v1", "v2", "v10", "v0", "V2", ".pdf", "v2.pdf", "#community", "1", "/", "x"]
EXAMPLES = [
    "2307.12345",
    "2307.1234",
    "2307.123456",
    "https://arxiv.org/abs/2307.12345v2",
    "https://huggingface.co/papers/2307.12345",
    "https://arxiv.org/abs/hep-th/9901001v2",
    "hep-th/9901001",
    "not a paper",
    "",
    "２３０７.１２３４５",  # full-width digits: \d takes them on both paths alike
]


def test_examples_agree() -> None:
    for ref in EXAMPLES:
        assert quick_canonical_id(ref) == canonical_id(ref), ref
        assert cached_canonical_id(ref) == canonical_id(ref), ref


@given(
    st.sampled_from(PREFIXES),
    st.from_regex(r"\A\d{4}\.\d{3,6}\Z", fullmatch=True),
    st.sampled_from(SUFFIXES),
)
def test_generated_links_agree(prefix: str, number: str, suffix: str) -> None:
    ref = prefix + number + suffix
    assert quick_canonical_id(ref) == canonical_id(ref)


@given(st.text(max_size=80))
def test_any_text_agrees(text: str) -> None:
    assert quick_canonical_id(text) == canonical_id(text)
