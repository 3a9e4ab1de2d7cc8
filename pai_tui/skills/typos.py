"""Typos of the skills' words: "reserch", "summerize", "skil", "crete a new skill".

Only the installed skills' own vocabulary is ever a correction (never English at large), so a
word no skill uses stays as typed. Two lookups, both by one-letter deletions that meet on either
side (a symmetric-delete index: no distance is computed against the whole vocabulary):

- stems against the skills' stems, for stems of five letters or more ("reserching" ->
  "research");
- the word as typed against the words the skills' descriptions and triggers use, where the
  stem alone misleads ("summerize" stems to "summer", a real word one letter from "summar").

What counts as one typo depends on length, because short real words sit one letter apart: a
changed letter only in words of seven letters or more (in short ones "thank" becomes "think");
in a word of four or five letters, no letter missing or extra but a doubled one ("skil",
"skils"; not "reed" -> "red", "never" -> "ever"); and words of `REAL_WORDS`, one letter from
a skill's word but common in chat, never.
"""

from __future__ import annotations

from collections.abc import Iterable

from pai_tui.skills.text import QUESTION_OPENERS, STOPWORDS, word_set

_SKIPPED = STOPWORDS | QUESTION_OPENERS

MIN_STEM = 5  # stems shorter than this are never corrected
MIN_WORD = 4  # nor typed words shorter than this
MIN_CHANGED = 7  # a changed letter only in words this long
MIN_FREE = 6  # shorter words lose or gain no letter but a doubled one
CACHE = 100_000  # words whose lookup is remembered
# Common words one letter from a skill's word ("sketch" of "sketches" aside): typed, they
# mean themselves.
REAL_WORDS = word_set("""
reed tell test tests team teams plane planes start post posts past paste arts part parts
card cards goad goat gold load loud road read lead seed need feed skin skit kill still spill
fill will sill sum sums summer sure spec space pace place plan plain pain main mail tool tools
tall fall wall idea ideas ideal deal steal steam stream cream dream drama drams tree three
there where whole while with wait what that than then them they their sort sorts short shirt
shot sport spot stop step steps stem stems site sites side sides size word words world work
works form forms from data date dates rate rated late later layer player prayer paper papers
country countries lifelong model models share shared sitting setting mode modes
""")


def one_typo(typed: str, known: str) -> bool:
    """One letter missing, one extra, or two neighbours swapped; a changed letter only in long
    words. The deletion lookup pairs only words at most one letter apart in length."""
    if len(typed) != len(known):
        if len(typed) < MIN_FREE:  # "skil" -> "skill", not "reed" -> "red"
            return len(known) == len(typed) + 1 and _missing_double(typed, known)
        return True
    diff = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        return typed[diff[0]] == known[diff[1]] and typed[diff[1]] == known[diff[0]]
    return len(diff) == 1 and len(typed) >= MIN_CHANGED


def _missing_double(typed: str, known: str) -> bool:
    """Whether `known` is `typed` with one of its letters doubled ("skil" -> "skill")."""
    return any(known[i] == known[i + 1] and known[:i] + known[i + 1:] == typed
               for i in range(len(known) - 1))


def deletions(term: str) -> list[str]:
    return [term[:i] + term[i + 1:] for i in range(len(term))]


class Typos:
    """The skills' stem a typed word is a typo of. Built once per skill index."""

    def __init__(self, known_stems: Iterable[str], known_words: dict[str, str]):
        """`known_stems`: the index's terms; `known_words`: the words the skills use, as
        written, each with its stem."""
        self._stems = _deletion_index(term for term in known_stems if len(term) >= MIN_STEM - 1)
        self._words = _deletion_index(word for word in known_words if len(word) >= MIN_WORD)
        self._word_stems = known_words
        self._cache: dict[str, str] = {}

    def fix(self, word: str, term: str) -> str:
        """The skills' stem that `word` (stemmed: `term`) is a typo of, or "" for none. The
        caller has checked that `term` is not a skill's stem."""
        if len(word) < MIN_WORD or word in _SKIPPED or word in REAL_WORDS:
            return ""
        found = self._cache.get(word)
        if found is None:
            found = self._lookup(word, term)
            if len(self._cache) < CACHE:
                self._cache[word] = found
        return found

    def _lookup(self, word: str, term: str) -> str:
        if word in self._word_stems:
            return ""  # a word a skill uses, whose stem differs: it is no typo
        if len(term) >= MIN_STEM:
            found = _nearest(self._stems, term)
            if found:
                return found
        found = _nearest(self._words, word)
        return self._word_stems[found] if found else ""


def _deletion_index(known: Iterable[str]) -> dict[str, str]:
    """Each known word and its one-letter deletions -> the word (the first in sorted order)."""
    index: dict[str, str] = {}
    for word in sorted(known):
        for variant in (word, *deletions(word)):
            index.setdefault(variant, word)
    return index


def _nearest(index: dict[str, str], typed: str) -> str:
    """A word of `index` one typo away from `typed`, or ""."""
    for variant in (typed, *deletions(typed)):
        found = index.get(variant)
        if found is not None and found != typed and one_typo(typed, found):
            return found
    return ""
