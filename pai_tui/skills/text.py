"""Words as the router sees them: lowercase, light stemming, stopwords, no formatting.

Routing rules, the scorer and (later) history search must agree on what a word is, so it is
decided here once. The scorer drops stopwords (including chat's generic verbs: "write", "make",
"fix"); chat markers and question openers are words that say a message is small talk or a
question. Terminal escape sequences and Rich-style bracket markup ("[bold red]", "\\x1b[31m")
are not words. Stemming is light: "summarise", "summarize", "summaries" and "summary" are one
word, so that keyword phrases and the scorer see word families, never dictionary forms.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# --- words -------------------------------------------------------------------------------------


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words, and verbs and adjectives so common in chat that they say nothing about which
# skill is wanted ("write", "make", "fix", "good"). Keyword phrases still see them.
STOPWORDS = word_set("""
a an the this that these those it its is are was were be been being am do does did done doing
to of in on at for with from by into onto about as and or but if so than then too very just also
i me my mine myself we us our ours you your yours he him his she her they them their theirs
please pls plz can could would will shall should may might must let lets im ive id ill youre
thats theres heres there here some any all each every own same such only ok okay not no yes
have has had get got gets want wanted need needs like read reads reading
go going goes make makes making made give gives giving take takes put use uses using used say
says said know see look come think tell work write writes writing wrote thing things stuff way
good great nice best better new old one two three more most less much many lot lots fix help
really actually now today again still even well back sure something anything everything
""")

# Words that mark a question or small talk: never evidence for a skill (not indexed), and in a
# message they count against every skill (see `scoring.confidence`). Question words and the
# auxiliary verbs of yes/no questions count only when they open a sentence ("what is X?", "is it
# Y?", not "look into what studies say"); the others count anywhere.
CHAT_MARKERS = word_set("""
explain explains explained mean means meaning definition define difference thanks thank hi hello
hey lol joke example examples opinion
""")
QUESTION_OPENERS = word_set("""
what whats why how hows who whos whom whose when where which is isnt are arent was were does
doesnt do dont did didnt has have should shall
""")

WORD = re.compile(r"[^\W_]+")
_APOSTROPHE = re.compile(r"['\u2019]")
# Contractions that would become another word without their apostrophe: "we're" is not "were"
# (a question's opening) nor "we'll" "well" (a filler): "we're rebuilding the deck" states.
_CONTRACTED = re.compile(r"\b(we)['\u2019](re|ll)\b", re.IGNORECASE)
_EXPANDED = {"re": "are", "ll": "will"}
_BRITISH = (("isations", "izations"), ("isation", "ization"), ("ising", "izing"),
            ("ised", "ized"), ("ises", "izes"), ("ise", "ize"), ("ysing", "yzing"),
            ("ysed", "yzed"), ("yses", "yzes"), ("yse", "yze"))
# Longest first; each (suffix, replacement). One is removed, then a doubled final consonant.
_SUFFIXES = (
    ("izations", ""), ("ization", ""), ("yzing", "y"), ("izing", ""), ("ations", "at"),
    ("ation", "at"), ("tions", "t"), ("tion", "t"), ("yzed", "y"), ("yzes", "y"), ("ysis", "y"),
    ("yses", "y"), ("ized", ""), ("izes", ""), ("izer", ""), ("ments", ""), ("ment", ""),
    ("ness", ""), ("ities", ""), ("ity", ""), ("ings", ""), ("ing", ""), ("yze", "y"),
    ("ize", ""), ("ies", ""), ("ly", ""), ("ed", ""), ("es", ""),
    ("s", ""), ("e", ""), ("y", ""),
)
_KEEP_S = ("ss", "us", "is")
_ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third"}  # "1st principles"
_stems: dict[str, str] = {}


def stem(word: str) -> str:
    """A light suffix stripper (lowercase input): enough that word families meet, never a
    dictionary form. Cached: a message's words are mostly seen before."""
    cached = _stems.get(word)
    if cached is not None:
        return cached
    result = _ORDINALS.get(word, word)
    if len(word) > 4 and not word.isdigit():
        for british, american in _BRITISH:
            if result.endswith(british) and len(result) - len(british) >= 3:
                result = result[: -len(british)] + american
                break
        for suffix, replacement in _SUFFIXES:
            if result.endswith(suffix) and len(result) - len(suffix) + len(replacement) >= 3:
                if suffix == "s" and result.endswith(_KEEP_S):
                    continue
                result = result[: -len(suffix)] + replacement
                if (suffix in ("ing", "ed", "er", "ers", "ings") and len(result) > 3
                        and result[-1] == result[-2] and result[-1] not in "lsz"):
                    result = result[:-1]
                break
    elif len(word) == 4 and word.endswith("s") and not word.endswith(_KEEP_S):
        result = word[:-1]
    if len(_stems) < 200_000:
        _stems[word] = result
    return result


# Formatting that is not words: terminal escape sequences (colour codes pasted from a terminal:
# "\x1b[31m" would otherwise leave the word "31mred") and Rich-style bracket markup ("[bold red]",
# "[/]"), whose style names ("red") would count as a skill's words. A Markdown link's text
# ("[the summary](url)") is kept.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~])?")
_BRACKET_MARKUP = re.compile(r"\[/?(?:[a-z#@][^\[\]\n]{0,60})?\](?!\()", re.IGNORECASE)


def without_markup(text: str) -> str:
    """`text` without escape sequences and bracket markup (see `_ESCAPES`, `_BRACKET_MARKUP`)."""
    if "\x1b" in text:
        text = _ESCAPES.sub("", text)
    return _BRACKET_MARKUP.sub(" ", text) if "[" in text else text


def _plain(text: str) -> str:
    """`text` lowercase, without formatting or apostrophes, contractions that would read as
    another word spelled out ("we're" -> "we are")."""
    text = without_markup(text).lower()
    if "'" in text or "\u2019" in text:
        text = _APOSTROPHE.sub("", _CONTRACTED.sub(lambda m: f"{m[1]} {_EXPANDED[m[2]]}", text))
    return text


def words(text: str) -> list[str]:
    """Lowercase words, apostrophes dropped ("devil's" -> "devils"), formatting ignored."""
    return WORD.findall(_plain(text))


# A word, or a mark ending a sentence or a clause where a space follows ("draw.io" and
# "1,000" go on), a dash (which ends a clause: "my goals \u2014 are they realistic?"), or a line
# break (which ends a sentence).
_TOKEN = re.compile(r"[^\W_]+|([.!?]+|[;:,]+)(?=\s|$)|([\u2013\u2014]+)|\n")


class Clause(NamedTuple):
    """The words of a clause and the punctuation that ends it ("?", ":", "," ... or "")."""

    words: list[str]
    end: str


def sentence_clauses(text: str) -> list[list[Clause]]:
    """The clauses of each sentence, empty ones dropped: their words together are exactly
    `words(text)`. One pass over the text, as `words` makes."""
    sentences: list[list[Clause]] = []
    clauses: list[Clause] = []
    current: list[str] = []
    for match in _TOKEN.finditer(_plain(text)):
        mark = match.group(1) or match.group(2)
        if mark is None and match.group() != "\n":
            current.append(match.group())
            continue
        if current:
            clauses.append(Clause(current, mark[0] if mark else ""))
            current = []
        if (not mark or mark[0] in ".!?") and clauses:
            sentences.append(clauses)
            clauses = []
    if current:
        clauses.append(Clause(current, ""))
    return [*sentences, clauses] if clauses else sentences


def clauses(text: str) -> list[Clause]:
    """The clauses, sentence after sentence."""
    return [clause for sentence in sentence_clauses(text) for clause in sentence]


def stems(text: str) -> list[str]:
    """Every word stemmed, stopwords kept: what keyword phrases match against."""
    return [stem(w) for w in words(text)]


def terms(text: str) -> list[str]:
    """Stemmed words without stopwords: what the scorer weighs (chat markers kept whole)."""
    return [w if w in CHAT_MARKERS else stem(w) for w in words(text)
            if w not in STOPWORDS and w not in QUESTION_OPENERS]


def singular(word: str) -> str:
    """`word` without a plural (or third-person) "s"/"es": "diagrams" -> "diagram",
    "researches" -> "research"; nothing else changes."""
    if len(word) > 4 and word.endswith("es") and word[:-2].endswith(("s", "x", "ch", "sh")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word

