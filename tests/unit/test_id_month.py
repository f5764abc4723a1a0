"""The month an arXiv id was issued, read from the id (11.20: a known date, never the day a paper was saved)."""

from __future__ import annotations

import pytest

from papertray.models import id_month


@pytest.mark.parametrize(
    ("paper_id", "month"),
    [
        ("2307.12345", "2023-07"),
        ("0704.0001", "2007-04"),  # the first new-style id
        ("hep-th/9108001", "1991-08"),  # arXiv's first month
        ("hep-th/9901001", "1999-01"),
        ("math/0703001", "2007-03"),  # the last old-style month
        ("2313.00001", None),  # month 13
        ("not an id", None),
    ],
)
def test_u20_the_issue_month_comes_from_the_id(paper_id: str, month: str | None) -> None:
    assert id_month(paper_id) == month
