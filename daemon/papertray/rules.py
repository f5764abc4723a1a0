"""Interest rules: does a paper match the user's rules, and which rule fired and why.

A rule (`config.Rule`, written as `[[rules]]` in config.toml) fires for a paper when

* at least one of its keywords, authors or orgs matches (a rule with none of these fires on upvotes alone),
* the paper has at least `min_upvotes` upvotes, and
* none of its `exclude` terms appears.

Keywords and exclusions are whole words or phrases, matched in the title, the abstract and the feed's
`ai_keywords` without regard to case or accents. Each word of a keyword also finds its plural or singular and,
for a keyword, its -ing and -ed forms (`inflection.py`: "sparse autoencoder" finds "Sparse Autoencoders");
a rule with `exact = true` matches its words only as written. Matching is Unicode-aware: text is normalised and
case-folded, a "word" character is any Unicode letter or digit, and the words of a phrase may be separated by
any run of spaces or hyphens ("sparse autoencoder" also finds "sparse-autoencoder" and a line break). Authors
and orgs match whole words inside an author's name or the paper's organisation, ignoring case and accents
("lecun" finds "Yann LeCun", "Scholkopf" finds "Bernhard Schölkopf"), never inflected.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from papertray.config import Rule
from papertray.inflection import word_forms
from papertray.models import Paper

# The separators allowed between the words of a phrase.
_GAP = r"[\s\-\u2010\u2011\u2012\u2013]+"


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One rule that fired for one paper: its name, whether it notifies, and why it fired."""

    rule: str
    notify: bool
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The reasons in one short phrase, for a notification or a log line."""
        return "; ".join(self.reasons)


def _fold(text: str) -> str:
    """Normalise for matching: case folded, accents dropped (Schölkopf ~ Scholkopf, naïve ~ naive)."""
    if text.isascii():  # most titles and abstracts: nothing to decompose (and 4x faster)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFKC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


# How a term's words are matched: as written, every form (keywords), or singular and plural only (exclusions).
_EXACT, _ALL_FORMS, _NUMBER_ONLY = "exact", "forms", "number"


def _forms(word: str, how: str) -> list[str]:
    if how == _EXACT:
        return [word]
    # Longest first, so that the alternation prefers "autoencoders" to "autoencoder" (both are whole words).
    return sorted(word_forms(word, verbs=how == _ALL_FORMS), key=lambda form: (-len(form), form))


def _common_prefix(words: list[str]) -> str:
    shortest = min(words, key=len)
    for end, letter in enumerate(shortest):
        if any(word[end] != letter for word in words):
            return shortest[:end]
    return shortest


def _term_pattern(term: str, how: str) -> tuple[re.Pattern[str], str] | None:
    """The pattern, and a piece of text every match contains (the cheap test before the regex)."""
    words = [word for word in re.split(_GAP, term) if word]
    if not words:
        return None
    alternatives = [_forms(word, how) for word in words]
    parts = ["(?:" + "|".join(re.escape(form) for form in forms) + ")" for forms in alternatives]
    literal = max((_common_prefix(forms) for forms in alternatives), key=len)
    # Look-arounds instead of \b so that terms starting or ending with a symbol ("c++", "llm.") still work.
    return re.compile(r"(?<!\w)" + _GAP.join(parts) + r"(?!\w)"), literal


@dataclass(frozen=True, slots=True)
class _Term:
    """A term as written, a piece every match contains (a cheap substring test before the regex), its pattern."""

    term: str
    literal: str
    pattern: re.Pattern[str]

    def search(self, text: str) -> bool:
        return self.literal in text and self.pattern.search(text) is not None


@dataclass(frozen=True, slots=True)
class _Compiled:
    keywords: tuple[_Term, ...]
    authors: tuple[_Term, ...]
    orgs: tuple[_Term, ...]
    exclude: tuple[_Term, ...]


def _patterns(terms: Iterable[str], how: str) -> tuple[_Term, ...]:
    compiled = []
    for term in terms:
        found = _term_pattern(_fold(term), how)
        if found is not None:
            pattern, literal = found
            compiled.append(_Term(term, literal, pattern))
    return tuple(compiled)


@functools.lru_cache(maxsize=256)
def _compile(rule: Rule) -> _Compiled:
    # Rules are frozen and hashable, so a reload that keeps a rule keeps its compiled patterns.
    return _Compiled(
        keywords=_patterns(rule.keywords, _EXACT if rule.exact else _ALL_FORMS),
        authors=_patterns(rule.authors, _EXACT),
        orgs=_patterns(rule.orgs, _EXACT),
        exclude=_patterns(rule.exclude, _EXACT if rule.exact else _NUMBER_ONLY),
    )


@dataclass(frozen=True, slots=True)
class _Text:
    """A paper's searchable fields, folded once for all rules."""

    fields: tuple[tuple[str, str], ...]
    authors: tuple[str, ...]
    organization: str

    @classmethod
    def of(cls, paper: Paper) -> _Text:
        return cls(
            fields=(
                ("title", _fold(paper.title)),
                ("abstract", _fold(paper.summary)),
                # A separator no phrase can span: two entries are not one phrase.
                ("ai_keywords", " | ".join(_fold(k) for k in paper.ai_keywords)),
            ),
            authors=tuple(_fold(a) for a in paper.authors),
            organization=_fold(paper.organization),
        )


def _first_field(text: _Text, term: _Term) -> str | None:
    for name, value in text.fields:
        if value and term.search(value):
            return name
    return None


def _match_rule(rule: Rule, paper: Paper, text: _Text) -> RuleMatch | None:
    compiled = _compile(rule)
    if paper.upvotes < rule.min_upvotes:
        return None
    for term in compiled.exclude:
        if _first_field(text, term) is not None:
            return None
    reasons: list[str] = []
    for term in compiled.keywords:
        where = _first_field(text, term)
        if where is not None:
            reasons.append(f'"{term.term}" in {where}')
    for term in compiled.authors:
        if any(term.search(author) for author in text.authors):
            reasons.append(f"author {term.term}")
    for term in compiled.orgs:
        if text.organization and term.search(text.organization):
            reasons.append(f"org {term.term}")
    has_terms = bool(rule.keywords or rule.authors or rule.orgs)
    if has_terms and not reasons:
        return None
    if rule.min_upvotes:
        reasons.append(f"{paper.upvotes} upvotes")
    return RuleMatch(rule=rule.name, notify=rule.notify, reasons=tuple(reasons))


def match(paper: Paper, rules: Sequence[Rule]) -> list[RuleMatch]:
    """Every rule that fires for `paper`, in the order the rules are written."""
    if not rules:
        return []
    text = _Text.of(paper)
    matches = []
    for rule in rules:
        found = _match_rule(rule, paper, text)
        if found is not None:
            matches.append(found)
    return matches


def as_written(rule: Rule) -> Rule:
    """The same rule matching its words only as written: what a rule caught only through word forms."""
    return replace(rule, exact=True)
