"""The scorer's arithmetic: BM25 over skills, the confidence, the evidence, typo correction.

BM25 over each skill's name (weighted x3), its `USE WHEN` triggers and table triggers (x2) and
the rest of its description (x1). The confidence (0..1) is the share of the message's evidence
the best skill explains, lowered when a second skill comes close (see `confidence`) and x0.4
(`MENTION_FACTOR`) for a sentence that states something or asks about a word rather than asking
for a skill ("our red team exercise found bugs": `pai_tui.skills.mood`). Either way
the best skill also needs `Evidence` that the message asks for it, else it is plain chat: one of
its trigger phrases (`USE WHEN` list or table rows; a one-word trigger as typed, not after
"the"/"a"), or two of its distinctive words (its name counts once, a word of a third of the
skills not at all); a message of one or two words needs a trigger. So "alpha question" and "the
red team won the match" stay chat, and the reasons say which evidence was missing.

Words the index does not know are corrected when they are one typo away from a word it does
("reserch", "frist"; the router corrects table phrases' words the same way: see
`pai_tui.skills.typos`). The `Router` builds the index and adds these up; the pieces here hold
no state.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pai_tui.skills.model import Skill
from pai_tui.skills.routing_table import trigger_phrases
from pai_tui.skills.text import singular, stem, word_set, words

# --- BM25 and the confidence ----------------------------------------------------------------

K1, B = 1.2, 0.75
NAME_WEIGHT, TRIGGER_WEIGHT, DESCRIPTION_WEIGHT = 3, 2, 1
UNKNOWN_FACTOR = 0.4  # a word no skill has counts this share of its idf against every skill
MARKER_FACTOR = 3.0  # a chat marker counts at this many times the idf of a word no skill has
MENTION_FACTOR = 0.4  # times the confidence of a sentence that only mentions skills' words
TRIGGER_UNKNOWN_SHARE = 0.25  # ...and the weight of unknown words beside a trigger phrase
_USE_WHEN = re.compile(r"\buse when\b", re.IGNORECASE)
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def skill_fields(skill: Skill) -> list[tuple[str, int]]:
    """(text, weight) pairs a skill is scored on."""
    description = skill.description or ""
    split = _USE_WHEN.search(description)
    about, triggers = ((description[: split.start()], description[split.end():]) if split
                       else (description, ""))
    route_text = " ".join(f"{r.workflow} {r.trigger}" for r in skill.routes)
    name = CAMEL_BOUNDARY.sub(" ", skill.name)
    return [(name, NAME_WEIGHT), (triggers, TRIGGER_WEIGHT), (route_text, TRIGGER_WEIGHT),
            (about, DESCRIPTION_WEIGHT)]


def confidence(best: float, second: float, bound: float) -> float:
    """How sure the scorer is, 0..1: coverage times margin.

    Coverage is `best` (the top skill's BM25) over `bound`, the evidence the message holds: for
    each of its words, the best score any skill gets from it; a word no skill has adds
    UNKNOWN_FACTOR x the idf such a word would have, and a chat marker (or the opening of a
    question about the world rather than the user's own things) MARKER_FACTOR x that idf. So a
    message whose every word points at one skill scores 1, and one that merely mentions a
    skill's word among others ("my research paper got rejected", "what does red team mean?")
    scores low. The margin factor falls from 1 to 0.5 as the runner-up's score approaches the
    best."""
    if best <= 0 or bound <= 0:
        return 0.0
    coverage = min(1.0, best / bound)
    margin = (best - second) / best
    return round(coverage * (0.5 + 0.5 * margin), 4)


@dataclass
class SegmentScore:
    """The scorer's reading of one sentence: BM25 per skill (by index), the evidence bound and
    the part of it from words no skill knows, and whether the sentence only mentions skills'
    words (`pai_tui.skills.mood`)."""

    totals: dict[int, float]
    bound: float
    unknown: float
    mentioned: bool = False

    def __post_init__(self) -> None:
        self.top = [*heapq.nlargest(2, self.totals.values()), 0.0, 0.0]

    def confidence(self, relieved: bool = False) -> float:
        """`confidence` of the best skill, x MENTION_FACTOR for a mention; `relieved`: words no
        skill knows count TRIGGER_UNKNOWN_SHARE of their weight (the message holds a trigger
        phrase: they are what the skill is asked to work on)."""
        bound = self.bound - (self.unknown * (1 - TRIGGER_UNKNOWN_SHARE) if relieved else 0.0)
        sure = confidence(self.top[0], self.top[1], bound)
        return round(sure * MENTION_FACTOR, 4) if self.mentioned else sure


# --- evidence --------------------------------------------------------------------------------

SHORT_MESSAGE = 2  # a message of this many words or fewer (stopwords aside) needs a trigger
COMMON_SHARE = 1 / 3  # a word found in this share of the skills (and in 2+) is no evidence
PARTICLES = frozenset({"up", "down", "out", "apart", "over", "through"})
WORD_GAP = 2  # words allowed between a phrase's words ("sum this up", "find reliable sources")
SHORT_SCAN = 200  # characters read to tell a short message
ARTICLES = word_set("a an the this that these those")
# Verbs that ask for a thing named by a noun trigger: "make a flowchart", "I need a diagram".
MAKING = word_set("""
make create draw generate build write design give need want produce sketch prepare compile
render paint craft do run gimme
""")
RECEIVERS = word_set("me us him her them")
_OBJECT_WORDS = ARTICLES | RECEIVERS | word_set("it my our")


@dataclass(frozen=True)
class Trigger:
    """A phrase a skill declares, after `USE WHEN` or in its table rows.

    A one-word trigger matches that word as typed, give or take a plural "s" ("summarize", not
    "summary": stemming would make the noun a request), or a typo of it; and not after an
    article ("the research says..." names a thing, "research solar panels" asks) unless a verb
    of making comes before the article ("make a flowchart"). Longer ones match their stems in
    order, each at most WORD_GAP words after the one before ("sum up" matches "sum this up",
    "find sources" matches "find reliable sources")."""

    text: str  # as declared
    stems: tuple[str, ...]
    word: str | None = None  # a one-word trigger's word
    verb_only: bool = False  # a verb and its article or pronoun ("draw me", "sketch a")

    @classmethod
    def of(cls, phrase: str) -> Trigger | None:
        found = words(phrase)
        if not found:
            return None
        one = singular(found[0]) if len(found) == 1 else None
        return cls(phrase, tuple(stem(w) for w in found), one,
                   len(found) == 2 and found[1] in _OBJECT_WORDS)

    def found_in(self, typed: list[str], found: list[str], starts: dict[str, list[int]],
                 fixed: set[int]) -> bool:
        """Whether it occurs in a message: its words as typed, their stems (typos corrected),
        where each stem is, and where the typos were ("reserch" -> "research")."""
        if self.word is not None:
            return any((singular(typed[at]) == self.word or at in fixed) and _asked(typed, at)
                       for at in starts.get(self.stems[0], ()))
        return any(self.follows(found, start) for start in starts.get(self.stems[0], ()))

    def follows(self, found: list[str], start: int) -> bool:
        """Whether the phrase's other stems follow `start` in order, each at most WORD_GAP
        words after the one before, within the sentence."""
        at = start
        for term in self.stems[1:]:
            window = found[at + 1:at + 2 + WORD_GAP]
            if "" in window:  # a sentence ends
                window = window[:window.index("")]
            if term not in window:
                return False
            at += 1 + window.index(term)
        return True


def _asked(typed: list[str], at: int) -> bool:
    """Whether the one-word trigger at `at` is asked for: not after an article ("the research
    says..."), unless a verb of making comes before the article ("make a flowchart", "give me
    a recap")."""
    if at == 0 or typed[at - 1] not in ARTICLES:
        return True
    verb = at - 3 if at >= 3 and typed[at - 2] in RECEIVERS else at - 2  # "give me a recap"
    return verb >= 0 and typed[verb] in MAKING


def declared_triggers(skill: Skill) -> list[Trigger]:
    """The trigger phrases of a skill: its `USE WHEN` list and its table rows' triggers. Its name
    is not one: "the red team won" names red-team without asking for it."""
    description = skill.description or ""
    split = _USE_WHEN.search(description)
    phrases = trigger_phrases(description[split.end():]) if split else []
    for route in skill.routes:
        phrases += trigger_phrases(route.trigger)
    found = (Trigger.of(phrase) for phrase in dict.fromkeys(phrases))
    return [trigger for trigger in found if trigger is not None]


@dataclass(frozen=True)
class Frame:
    """Classes of words that, together in a sentence that asks, ask for a skill: a paraphrase
    its trigger phrases cannot list ("why might my pitch fail?", "how could our launch go
    wrong?" for red-team's "my plan + fail|wrong|flaw"). A skill declares them in its
    frontmatter, `metadata: frames: "my our + plan idea pitch + fail wrong flaw; ..."`: frames
    apart by ";", classes by "+", a class's words by spaces. Each word stands for its stem."""

    text: str  # as declared
    classes: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, text: str) -> Frame | None:
        classes = tuple(frozenset(stem(word) for word in words(part)) for part in text.split("+"))
        if len(classes) < 2 or not all(classes):
            return None  # one class is a trigger list, not a frame
        return cls(" + ".join(" ".join(sorted(words(part))) for part in text.split("+")),
                   classes)

    def found_in(self, terms: set[str]) -> bool:
        """Whether every class has a word among `terms` (stems)."""
        return all(not group.isdisjoint(terms) for group in self.classes)

    def touches(self, terms: set[str]) -> bool:
        """Whether any class has a word among `terms`."""
        return any(not group.isdisjoint(terms) for group in self.classes)


def declared_frames(skill: Skill) -> list[Frame]:
    """The frames a skill declares (`metadata: frames`, see `Frame`)."""
    found = (Frame.of(part) for part in skill.metadata.get("frames", "").split(";"))
    return [frame for frame in found if frame is not None]


@dataclass(frozen=True)
class Evidence:
    """What in a message points at one skill, beyond its score: the skill's declared triggers
    found, and its distinctive words found (as typed; words shared by many skills apart, the
    words of its name counted once: "red team" is one mention, not two hints).

    A score alone is not a request: "alpha question" scores high for first-principles because
    "question" is its word and "alpha" nobody's. So a skill chosen by score needs a trigger, or
    two distinctive words of it; and a message of one or two words needs a trigger."""

    skill: str
    length: int  # the message's words, stopwords aside
    triggers: tuple[str, ...] = ()
    name: str = ""  # the skill's name as typed, when all its words are in the message
    own: tuple[str, ...] = ()  # other distinctive words of the skill, as typed
    common: tuple[tuple[str, int], ...] = ()  # (word, how many skills have it)
    skills: int = 0  # how many skills are installed

    def shortfall(self) -> str | None:
        """Why this is not enough to choose the skill, or None when it is."""
        if self.triggers:
            return None
        found = [*([f'its name "{self.name}"'] if self.name else []),
                 *([f"its word{'s' if len(self.own) > 1 else ''} {_quoted(self.own)}"]
                   if self.own else [])]
        has = f"only {' and '.join(found)}" if found else "none of its distinctive words"
        common = "".join(f' ("{word}" is a word of {count} of the {self.skills} skills, too '
                         f'common to count)' for word, count in self.common)
        if self.length <= SHORT_MESSAGE:
            return (f"a message of {self.length} content word{'s' if self.length > 1 else ''} "
                    f"needs a trigger phrase of {self.skill} and has none ({has}){common}")
        if len(self.own) + bool(self.name) < 2:
            return (f"the message has no trigger phrase of {self.skill} and {has}{common}: one "
                    f"word (or the skill's name) in common is not a request for it")
        return None

    def describe(self) -> str:
        """The evidence, for the reasons of a decision."""
        if self.triggers:
            plural = "s" if len(self.triggers) > 1 else ""
            return f"evidence: trigger phrase{plural} {_quoted(self.triggers)} of {self.skill}"
        named = f'its name "{self.name}" and ' if self.name else ""
        return f"evidence: {named}{_quoted(self.own)}, distinctive words of {self.skill}"


def _quoted(items: Iterable[str]) -> str:
    return ", ".join(f'"{item}"' for item in items)
