"""Ranking the upgrade feed against the user's TELOS, by code: each item's title and text are
scored against each goal (BM25 over the items being ranked, the goal's words as the query),
weighted by the goal, times the source's priority, times a recency decay. The explanation names
the goals and the words that matched ("G2 — voice, linux; P1 — local models"). Same inputs,
same order; no model. Items that match nothing still rank, by recency and priority, below.

Words are matched with their simple variants (plural, -ing, -ed) by looking the goal's forms
up in each item's words: the items are never stemmed, so 10,000 of them rank in well under a
second."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pai_tui.history.records import FeedItemRecord
from pai_tui.telos import TelosItem

K1, B = 1.2, 0.75
HALF_LIFE = timedelta(days=14)  # an item this old counts half
# ...and one months old counts this much: among a first fetch's backlog, relevance still orders.
OLDEST = 0.1
UNMATCHED = 0.1  # what relevance an item that matches no goal starts from
TEXT_CHARS = 1_500  # of an item's text that is ranked (and its title, always)
TITLE_WEIGHT = 2  # a word in the title counts as this many in the text
SHOWN_GOALS, SHOWN_WORDS = 3, 4

# Words are runs of letters, digits, + and # (c++, c#): gpt-4o is "gpt" and "4o" in a goal and
# in an item alike. One character class: the quickest scan re has.
_WORD = re.compile(r"[a-z0-9+#]+")
_STOP_WORDS = """a about above after again all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just me
more most my no nor not now of off on once only or other our ours out over own same she should so
some such than that the their them then there these they this those through to too under until
up very was we were what when where which while who whom why will with would you your yours new
make get use using used via one two"""
STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Ranked:
    item_id: int
    score: float
    why: str


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP]


def variants(word: str) -> tuple[str, ...]:
    """The forms of `word` an item may use (the goal says "agent", the item "agents")."""
    base = word
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            base = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    forms = {word, base, base + "s", base + "es", base + "ing", base + "ed"}
    if base.endswith("y"):
        forms.add(base[:-1] + "ies")
    if base.endswith("e"):
        forms |= {base + "d", base[:-1] + "ing"}
    return tuple(sorted(forms))


@dataclass(frozen=True)
class _Goal:
    id: str
    weight: float
    terms: dict[str, str]  # each form -> the goal's own word (what the explanation says)


def _goal(item: TelosItem) -> _Goal:
    said = words(" ".join([item.text, item.detail, *item.keywords, *item.keywords]))
    terms: dict[str, str] = {}
    for word in said:
        for form in variants(word):
            terms.setdefault(form, word)
    return _Goal(item.id, item.weight, terms)


def rank(items: Sequence[FeedItemRecord], goals: Sequence[TelosItem],
         priorities: dict[str, float], now: datetime) -> list[Ranked]:
    """Every item's score and why, best first (ties by newest id)."""
    parsed = [_goal(goal) for goal in goals]
    # Each form a goal matches on, with the goals that have it: an item's matches touch only
    # the goals they are in, not all of them.
    owners: dict[str, list[tuple[int, str]]] = {}
    for index, goal in enumerate(parsed):
        for form, word in goal.terms.items():
            owners.setdefault(form, []).append((index, word))
    docs = _MATCHES.of(items, owners)
    average = (sum(length for _, length in docs) / len(docs)) if docs else 1.0
    df: Counter[str] = Counter()
    for counted, _ in docs:
        df.update(counted.keys())
    total = len(docs)
    idf = {form: math.log(1 + (total - n + 0.5) / (n + 0.5)) for form, n in df.items()}
    ranked = []
    for record, (counted, length) in zip(items, docs, strict=True):
        relevance, why = _relevance(counted, length, average or 1.0, parsed, owners, idf)
        score = (UNMATCHED + relevance) * priorities.get(record.source, 1.0) * \
            _freshness(record, now)
        ranked.append(Ranked(record.id, round(score, 6), why))
    ranked.sort(key=lambda r: (-r.score, -r.item_id))
    return ranked


class _Remembered:
    """Each item's matches, kept while the goals' words stay the same: a poll adds a few items
    and ranks them all again, and an item's words never change."""

    LIMIT = 50_000  # items remembered; past it, the memory starts again

    def __init__(self) -> None:
        self._vocabulary: frozenset[str] = frozenset()
        self._seen: dict[tuple[str, str], tuple[dict[str, int], int]] = {}

    def of(self, items: Sequence[FeedItemRecord], owners: dict[str, object],
           ) -> list[tuple[dict[str, int], int]]:
        vocabulary = frozenset(owners)
        if vocabulary != self._vocabulary or len(self._seen) > self.LIMIT:
            self._vocabulary, self._seen = vocabulary, {}
        seen = self._seen
        found = []
        for record in items:
            key = (record.source, record.item.key)
            matches = seen.get(key)
            if matches is None:
                matches = seen[key] = _matches(record, owners)
            found.append(matches)
        return found


_MATCHES = _Remembered()


def _matches(record: FeedItemRecord, vocabulary: dict[str, object]) -> tuple[dict[str, int], int]:
    """The goal words in the item, counted (a title word counts TITLE_WEIGHT times), and the
    item's length in words. The hot loop: C-level regex, counting and set operations only."""
    title = _WORD.findall(record.item.title.lower())
    text = _WORD.findall(record.item.summary[:TEXT_CHARS].lower())
    titled, said = Counter(title), Counter(text)
    counted = {w: TITLE_WEIGHT * titled[w] + said[w]
               for w in (titled.keys() | said.keys()) & vocabulary.keys()}
    return counted, TITLE_WEIGHT * len(title) + len(text)


def _relevance(counted: dict[str, int], length: int, average: float, goals: list[_Goal],
               owners: dict[str, list[tuple[int, str]]],
               idf: dict[str, float]) -> tuple[float, str]:
    if not counted:
        return 0.0, ""
    norm = K1 * (1 - B + B * length / average)
    scores: dict[int, float] = {}
    matched: dict[int, dict[str, float]] = {}
    for form, tf in counted.items():
        part = idf[form] * tf * (K1 + 1) / (tf + norm)
        for index, word in owners[form]:
            scores[index] = scores.get(index, 0.0) + part
            words_of = matched.setdefault(index, {})
            words_of[word] = words_of.get(word, 0.0) + part
    found = sorted(((score * goals[index].weight, goals[index].id, index)
                    for index, score in scores.items()), key=lambda f: (-f[0], f[1]))
    why = "; ".join(f"{goal_id} — {', '.join(_best(matched[i]))}"
                    for _, goal_id, i in found[:SHOWN_GOALS])
    return sum(score for score, _, _ in found), why


def _best(parts: dict[str, float]) -> list[str]:
    return sorted(parts, key=lambda w: (-parts[w], w))[:SHOWN_WORDS]


def _freshness(record: FeedItemRecord, now: datetime) -> float:
    when = record.item.published or record.found_at
    age = max(timedelta(0), now - when)
    return max(OLDEST, 0.5 ** (age / HALF_LIFE))
