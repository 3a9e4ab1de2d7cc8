"""Ranking the upgrade feed against the user's TELOS, by code: each item's title and text are
scored against each goal (BM25 over the items being ranked, the goal's words as the query),
weighted by the goal, times the source's priority, times a recency decay. The explanation names
the goals and the words that matched ("G2 — voice, linux; P1 — local models"). Same inputs,
same order; no model. Items that match nothing still rank, by recency and priority, below.

Words are matched with their simple variants (plural, -ing, -ed) by looking the goal's forms
up in each item's words: the items are never stemmed. An item's words are split as bytes (one
C-level translate and split, no regex), and only the goal words among them are counted, so
10,000 items rank against 30 goals in under 200 ms (benchmarks/rank_speed.py)."""

from __future__ import annotations

import math
import re
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
# The same words, quicker, for an item's text: its UTF-8 bytes through one table (A-Z lowered,
# word characters kept, every other byte a space: a non-ASCII character is all bytes >= 0x80)
# and split. Only two characters outside ASCII lower-case into a word character (U+0130 İ
# to "i̇", the Kelvin sign to "k"): text with one of them takes the regex.
_KEPT = b"abcdefghijklmnopqrstuvwxyz0123456789+#"
_TO_WORDS = bytes(byte + 32 if 65 <= byte <= 90 else byte if byte in _KEPT else 32
                  for byte in range(256))
_K1_1 = K1 + 1


@dataclass(frozen=True)
class Ranked:
    item_id: int
    score: float
    why: str


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP]


def item_words(text: str) -> list[bytes]:
    """`_WORD`'s words of `text` lower-cased (stop words kept), as ASCII bytes."""
    if not text.isascii() and ("\u0130" in text or "\u212a" in text):
        return [word.encode() for word in _WORD.findall(text.lower())]
    return text.encode("utf-8", "surrogatepass").translate(_TO_WORDS).split()


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
    owners: dict[str, list[int]] = {}
    for index, goal in enumerate(parsed):
        for form in goal.terms:
            owners.setdefault(form, []).append(index)
    docs = _MATCHES.of(items, owners)
    total = len(docs)
    average = (sum(length for _, length in docs) / total) if docs else 1.0
    df: dict[str, int] = {}
    for counted, _ in docs:
        for form in counted:
            df[form] = df.get(form, 0) + 1
    idf = {form: math.log(1 + (total - n + 0.5) / (n + 0.5)) for form, n in df.items()}
    average = average or 1.0
    zero = timedelta(0)
    ranked = []
    for record, (counted, length) in zip(items, docs, strict=True):
        if counted:
            relevance, why = _relevance(counted, length, average, parsed, owners, idf)
        else:
            relevance, why = 0.0, ""
        age = now - (record.item.published or record.found_at)
        fresh = 1.0 if age <= zero else max(OLDEST, 0.5 ** (age / HALF_LIFE))
        score = (UNMATCHED + relevance) * priorities.get(record.source, 1.0) * fresh
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
        forms = {form.encode(): form for form in sorted(vocabulary)}
        found = []
        for record in items:
            key = (record.source, record.item.key)
            matches = seen.get(key)
            if matches is None:
                matches = seen[key] = _matches(record, forms)
            found.append(matches)
        return found


_MATCHES = _Remembered()


def _matches(record: FeedItemRecord, forms: dict[bytes, str]) -> tuple[dict[str, int], int]:
    """The goal words in the item, counted (a title word counts TITLE_WEIGHT times), in
    alphabetical order (sums are added in the same order every run), and the item's length in
    words. The hot loop: C-level translate, split, set and count only."""
    title = item_words(record.item.title)
    text = item_words(record.item.summary[:TEXT_CHARS])
    found = forms.keys() & (title + text)  # looks each word up: no set of them all
    counted = {forms[word]: TITLE_WEIGHT * title.count(word) + text.count(word)
               for word in sorted(found)} if found else {}
    return counted, TITLE_WEIGHT * len(title) + len(text)


def _relevance(counted: dict[str, int], length: int, average: float, goals: list[_Goal],
               owners: dict[str, list[int]], idf: dict[str, float]) -> tuple[float, str]:
    norm = K1 * (1 - B + B * length / average)
    parts: dict[str, float] = {}
    scores: dict[int, float] = {}
    for form, tf in counted.items():
        part = parts[form] = idf[form] * tf * _K1_1 / (tf + norm)
        for index in owners[form]:
            scores[index] = scores.get(index, 0.0) + part
    if len(scores) == 1:  # the usual case: one goal, no order to find
        ((index, score),) = scores.items()
        goal = goals[index]
        return score * goal.weight, f"{goal.id} — {_shown(goal, parts)}"
    # Best first, then by goal id: the scores negated, so tuples sort without a key.
    found = sorted([(-(score * goals[index].weight), goals[index].id, index)
                    for index, score in scores.items()])
    why = "; ".join([f"{goal_id} — {_shown(goals[index], parts)}"
                     for _, goal_id, index in found[:SHOWN_GOALS]])
    return -sum([score for score, _, _ in found]), why


def _shown(goal: _Goal, parts: dict[str, float]) -> str:
    """The goal's words that matched, best first: each the sum of its forms' parts."""
    said: dict[str, float] = {}
    for form, part in parts.items():
        word = goal.terms.get(form)
        if word is not None:
            said[word] = said.get(word, 0.0) + part
    return ", ".join(_best(said))


def _best(parts: dict[str, float]) -> list[str]:
    if len(parts) == 1:
        return list(parts)
    return sorted(parts, key=lambda w: (-parts[w], w))[:SHOWN_WORDS]
