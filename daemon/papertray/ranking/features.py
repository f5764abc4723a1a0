"""A paper as features: prefixed tokens a linear model can weigh and a person can read back.

`w:` a word or a two-word phrase of the title or abstract (title words count twice: a title says what a paper
is about), `a:` an author, `c:` an arXiv category (counted twice too: the field a paper is in), `k:` an HF
keyword. Stop words and numbers are dropped, so the explanation names topics rather than "the" or "2".
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from papertray.models import Paper

# Two letters or more (a one-letter word says nothing about a topic), so the regex itself leaves them out.
_WORD = re.compile(r"[^\W\d_][\w-]*[^\W_]", re.UNICODE)
_MATH = re.compile(r"\$[^$]*\$")
# scikit-learn's English list, trimmed to what appears in abstracts; kept here so scoring needs no library.
_STOP = """a about above across after again against all almost also although always am among an and another any are
    as at be because been before being below between both but by can could did do does doing done down during each
    either else enough even ever every few for from further had has have having he her here hers him his how however
    i if in into is it its itself just least less many may me more most much must my neither no nor not now of off
    often on once one only onto or other others otherwise our ours out over own per perhaps rather same several she
    should since so some still such than that the their them then there these they this those though through thus
    to too toward towards under until up upon us very via was we well were what whatever when where whereas whether
    which while who whom whose why will with within without would yet you your paper propose proposed present
    presents show shows novel approach method methods based using use used new results result work study introduce
    introduces demonstrate existing first two three further significantly achieve achieves state art"""
STOP_WORDS = frozenset(_STOP.split())
PREFIXES = {"w": "word", "a": "author", "c": "category", "k": "keyword"}


@dataclass(frozen=True, slots=True)
class Doc:
    """What the ranker reads of a paper."""

    id: str
    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    date: str = ""


def doc_from_paper(paper: Paper) -> Doc:
    """The ranker's view of a stored paper (its arXiv categories, primary first, as the sources gave them)."""
    return Doc(
        id=paper.id,
        title=paper.title,
        abstract=paper.summary,
        authors=paper.authors,
        categories=paper.categories,
        keywords=paper.ai_keywords,
        date=paper.daily_date or (paper.published_at or "")[:10],
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """Content words of `text`: case-folded, LaTeX math dropped, stop words and numbers left out."""
    return [w for w in _WORD.findall(_fold(_MATH.sub(" ", text))) if w not in STOP_WORDS]


def _phrases(seq: list[str]) -> list[str]:
    return seq + [f"{a} {b}" for a, b in itertools.pairwise(seq)]


def features(doc: Doc) -> list[str]:
    """The feature tokens of `doc`, with repeats (the trainer and scorer count them as term frequency)."""
    title = ["w:" + t for t in _phrases(words(doc.title))]
    out = title + title
    out += ["w:" + t for t in _phrases(words(doc.abstract))]
    out += [f"a:{_fold(name).strip()}" for name in doc.authors[:20] if name.strip()]
    categories = [f"c:{cat.strip()}" for cat in doc.categories if cat.strip()]
    out += categories + categories  # twice, as the title: a field says much (bench/ranking: p@10 +0.02, kept +0.5 %)
    out += [f"k:{_fold(kw).strip()}" for kw in doc.keywords if kw.strip()]
    return out


def readable(feature: str) -> str:
    """How a feature is said to the user: the word itself, an author's name, `cs.LG`, a keyword."""
    _, _, text = feature.partition(":")
    return text


def kind(feature: str) -> str:
    return PREFIXES.get(feature.partition(":")[0], "word")
