"""The forms of an English word that a rule's keyword should also find: "autoencoder" finds "autoencoders",
"policy" finds "policies", "hypothesis" finds "hypotheses", "prune" finds "pruning" and "pruned".

A small set of inflection rules rather than a stemmer: a stemmer (Porter, Snowball) maps "general" and
"generate", "university" and "universe", "ground" and "grounding" to one stem, and every such collision is a
wrong notification. Here a keyword only grows the endings English adds to it; it never loses letters except to
undo a plural ("autoencoders" → "autoencoder"), so "grounding" does not find "ground truth" and "reasoning"
does not find "for this reason". Words with digits or symbols, and words of three letters or fewer, are taken
as written (plus a plural s for the short ones: "llm" finds "LLMs").
"""

from __future__ import annotations

import functools

_VOWELS = frozenset("aeiou")
# Latin and Greek plurals that machine-learning titles use.
_IRREGULAR = (("sis", "ses"), ("ix", "ices"), ("ex", "ices"), ("um", "a"), ("on", "a"))
# Words where a trailing s is not a plural: "loss" is not "los" plus s, "news" is not "new" plus s.
_NOT_PLURAL_ENDINGS = ("ss", "us", "is", "ous", "ics")
_NOT_PLURAL = frozenset({"news", "lens", "series", "species"})


def _singulars(word: str) -> set[str]:
    """What `word` could be the plural of (nothing for a word that is not a plural)."""
    found: set[str] = set()
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith(("s", "a")):
        return found
    for singular, plural in _IRREGULAR:
        if word.endswith(plural) and len(word) > len(plural) + 2:
            found.add(word[: -len(plural)] + singular)
    if word.endswith("ies") and len(word) > 4:
        found.add(word[:-3] + "y")
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        found.add(word[:-2])
        found.add(word[:-1])  # "responses" → "response" as well as "boxes" → "box"
    elif word.endswith("s") and not word.endswith(_NOT_PLURAL_ENDINGS):
        found.add(word[:-1])
    return found


def _ends_cvc(word: str) -> bool:
    """A consonant-vowel-consonant ending doubles before -ing/-ed ("embed" → "embedding", "plan" → "planned")."""
    return (
        len(word) >= 3
        and word[-1] not in _VOWELS
        and word[-1] not in "wxy"
        and word[-2] in _VOWELS
        and word[-3] not in _VOWELS
    )


def _plurals(word: str) -> set[str]:
    found = {
        word[: -len(singular)] + plural
        for singular, plural in _IRREGULAR
        if word.endswith(singular) and len(word) > len(singular) + 2
    }
    if word.endswith("y") and word[-2] not in _VOWELS:
        found.add(word[:-1] + "ies")
    elif word.endswith(("s", "x", "z", "ch", "sh")):
        found.add(word + "es")
    elif word not in _NOT_PLURAL:
        found.add(word + "s")
    return found


def _verb_forms(word: str) -> set[str]:
    """-ing and -ed of a base form; not of a word that already carries an ending."""
    if word.endswith("ing") or (word.endswith("ed") and len(word) > 5):
        return set()
    if word.endswith("e"):
        return {word[:-1] + "ing", word + "d"}
    if word.endswith("y") and word[-2] not in _VOWELS:
        return {word + "ing", word[:-1] + "ied"}
    found = {word + "ing", word + "ed"}
    if _ends_cvc(word) and (len(word) <= 5 or word.endswith("l")):  # "planned", "modelled"; not "orderred"
        found |= {word + word[-1] + "ing", word + word[-1] + "ed"}
    return found


@functools.lru_cache(maxsize=4096)
def word_forms(word: str, *, verbs: bool = True) -> frozenset[str]:
    """Every form of a folded (lower-case) `word` that counts as the same word, `word` itself included.

    `verbs=False` gives only singular and plural: exclusions use that, since a veto that fires by accident hides
    a paper without a word, which is worse than one notification too many.
    """
    if not word.isalpha():
        return frozenset({word})
    if len(word) <= 3:
        return frozenset({word, word + "s"})
    forms = {word} | _singulars(word)
    if len(forms) > 1 and word.endswith("s"):
        # A plural (or a word like "bias" that only looks like one): no verb endings stacked on it.
        return frozenset(forms if word.endswith("es") else forms | _plurals(word))
    forms |= _plurals(word)
    if verbs:
        forms |= _verb_forms(word)
    return frozenset(forms)
