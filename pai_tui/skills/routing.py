"""Deterministic routing: which skill (or plain chat) a message goes to, and why.

The order, first match wins:

1. `/name args` runs the installed skill `name` (any case, `_` or `-`), always. A slash command
   defined by a rule (`slash = "/redteam"`) comes next; an unknown `/x` is a decision with no skill
   and a "no skill named x" error suggesting close names.
2. The routing table (`$PAI_HOME/routing.toml` if it exists, else the bundled
   `assets/routing.toml`): ordered `[[rule]]`s matching `keywords` or a `regex`.
3. The `| Workflow | Trigger | File |` rows of the skills' SKILL.md (PAI's routing tables), in
   skill order, each quoted trigger a keyword phrase.
4. BM25 over each skill's name (weighted x3), its `USE WHEN` triggers and table triggers (x2) and
   the rest of its description (x1). The confidence (0..1) is the share of the message's
   evidence the best skill explains, lowered when a second skill comes close (see
   `confidence`). At or above `skills.threshold` the best skill wins; below it the decision is
   "model" with the top candidates when `skills.model_routing` is on, else plain chat. Either
   way the best skill also needs `Evidence` that the message asks for it, else it is plain chat:
   one of its trigger phrases (`USE WHEN` list or table rows; a one-word trigger as typed, not
   after "the"/"a"), or two of its distinctive words (its name counts once, a word of a third of
   the skills not at all); a message of one or two words needs a trigger. So "alpha question"
   and "the red team won the match" stay chat, and the reasons say which evidence was missing.

A skill chosen by a slash command or a rule that names neither a workflow nor a tool gets the
workflow of its own table row matching the text, if one does (`/telos update my goals` runs
Update).

The scorer drops stopwords (including chat's generic verbs: "write", "make", "fix") and
corrects one-letter typos against the index's vocabulary ("reserch", "frist"). Terminal escape
sequences and Rich-style bracket markup ("[bold red]", "\\x1b[31m") are not words. Tuned on
`benchmarks/routing_labels.tsv` (see `benchmarks/route_accuracy.py`): threshold 0.5.

Keyword phrases match whole words in order, after the same light stemming the scorer uses
("summarise", "summarize", "summaries" and "summary" are one word); a rule with `match = "all"`
needs every phrase, the default (`"any"`) one of them. Rules read the first 4,000 and last 1,000
characters of a message; the scorer reads the first and the last sentence (requests sit at the
start or the end of pasted text) and keeps the better of the two.
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pai_tui.config import ConfigError, SkillsSettings, parse_toml
from pai_tui.paths import HomePaths, bundled, pai_home
from pai_tui.skills.model import Finding, Skill, skill_key

if TYPE_CHECKING:
    from pai_tui.config import Config

How = Literal["slash", "rule", "table", "score", "model", "chat"]

RULE_FIELDS = ("slash", "keywords", "match", "regex", "skill", "workflow", "tool")
MATCHERS = ("slash", "keywords", "regex")
RULE_HEAD_CHARS = 4000  # rules read this much of the start of a message...
RULE_TAIL_CHARS = 1000  # ...and this much of its end
SEGMENT_WORDS = 40  # words of the first / last sentence the scorer reads
TOP_SCORES = 5
MODEL_CANDIDATES = 3

# --- words -------------------------------------------------------------------------------------


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words, and verbs and adjectives so common in chat that they say nothing about which
# skill is wanted ("write", "make", "fix", "good"). Keyword phrases still see them.
STOPWORDS = _word_set("""
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
# message they count against every skill (see `confidence`). Question words and the auxiliary
# verbs of yes/no questions count only when they open a sentence ("what is X?", "is it Y?", not
# "look into what studies say"); the others count anywhere.
CHAT_MARKERS = _word_set("""
explain explains explained mean means meaning definition define difference thanks thank hi hello
hey lol joke
""")
QUESTION_OPENERS = _word_set("""
what whats why how hows who whos whom whose when where which is isnt are arent was were does
doesnt do dont did didnt has have should shall
""")
UNKNOWN_FACTOR = 0.4  # a word no skill has counts this share of its idf against every skill
MARKER_FACTOR = 3.0  # a chat marker counts at this many times the idf of a word no skill has

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHE = re.compile(r"['\u2019]")
_BRITISH = (("isations", "izations"), ("isation", "ization"), ("ising", "izing"),
            ("ised", "ized"), ("ises", "izes"), ("ise", "ize"), ("ysing", "yzing"),
            ("ysed", "yzed"), ("yses", "yzes"), ("yse", "yze"))
# Longest first; each (suffix, replacement). One is removed, then a doubled final consonant.
_SUFFIXES = (
    ("izations", ""), ("ization", ""), ("yzing", "y"), ("izing", ""), ("ations", "at"),
    ("ation", "at"), ("tions", "t"), ("tion", "t"), ("yzed", "y"), ("yzes", "y"), ("ysis", "y"),
    ("yses", "y"), ("ized", ""), ("izes", ""), ("izer", ""), ("ments", ""), ("ment", ""),
    ("ness", ""), ("ities", ""), ("ity", ""), ("ings", ""), ("ing", ""), ("yze", "y"),
    ("ize", ""), ("ies", ""), ("ers", ""), ("ly", ""), ("er", ""), ("ed", ""), ("es", ""),
    ("s", ""), ("e", ""), ("y", ""),
)
_KEEP_S = ("ss", "us", "is")
_stems: dict[str, str] = {}


def stem(word: str) -> str:
    """A light suffix stripper (lowercase input): enough that word families meet, never a
    dictionary form. Cached: a message's words are mostly seen before."""
    cached = _stems.get(word)
    if cached is not None:
        return cached
    result = word
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
_MARKUP = re.compile(r"\[/?(?:[a-z#@][^\[\]\n]{0,60})?\](?!\()", re.IGNORECASE)


def without_markup(text: str) -> str:
    """`text` without escape sequences and bracket markup (see `_ESCAPES`, `_MARKUP`)."""
    if "\x1b" in text:
        text = _ESCAPES.sub("", text)
    return _MARKUP.sub(" ", text) if "[" in text else text


def words(text: str) -> list[str]:
    """Lowercase words, apostrophes dropped ("devil's" -> "devils"), formatting ignored."""
    return _WORD.findall(_APOSTROPHE.sub("", without_markup(text).lower()))


def stems(text: str) -> list[str]:
    """Every word stemmed, stopwords kept: what keyword phrases match against."""
    return [stem(w) for w in words(text)]


def terms(text: str) -> list[str]:
    """Stemmed words without stopwords: what the scorer weighs (chat markers kept whole)."""
    return [w if w in CHAT_MARKERS else stem(w) for w in words(text)
            if w not in STOPWORDS and w not in QUESTION_OPENERS]


def is_question(text: str) -> bool:
    """Whether a sentence opens like a question ("what is...", "is it...", "does this..."),
    not a request ("can you...", "do you...")."""
    found = words(text[:80])
    return bool(found) and found[0] in QUESTION_OPENERS and (
        len(found) < 2 or found[1] not in ("you", "u"))


# --- the routing table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One way to reach a skill: a `[[rule]]` of a routing table or a row of a SKILL.md's
    `| Workflow | Trigger | File |` table."""

    skill: str
    path: Path
    line: int | None
    label: str  # "rule 3" or "table row 'Update'", for reasons
    kind: Literal["rule", "table"] = "rule"  # from a routing table, or a SKILL.md's table
    slash: str | None = None  # skill_key form, without the "/"
    phrases: tuple[str, ...] = ()  # as written
    match_all: bool = False
    regex: re.Pattern[str] | None = None
    workflow: str | None = None
    tool: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def describe(self) -> str:
        if self.slash:
            what = f"slash /{self.slash}"
        elif self.regex is not None:
            what = f"regex `{self.regex.pattern}`"
        else:
            joined = ", ".join(f'"{p}"' for p in self.phrases)
            what = f"keywords ({'all' if self.match_all else 'any'} of) {joined}"
        return f"{self.where}: {self.label}: {what}"


@dataclass
class RoutingTable:
    """The ordered rules of one routing.toml and what was wrong in it (bad rules are skipped,
    never fatal: each finding names the file, the line, the rule and the field)."""

    path: Path
    rules: list[Rule] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = True  # False when the file as a whole could not be read as TOML

    @classmethod
    def read(cls, path: Path) -> RoutingTable:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            return cls(path, findings=[_error(path, None, f"not UTF-8 text ({error.reason})")],
                       readable=False)
        except OSError as error:
            return cls(path, findings=[_error(path, None, f"cannot read: {error.strerror}")],
                       readable=False)
        return cls.parse(path, text)

    @classmethod
    def parse(cls, path: Path, text: str) -> RoutingTable:
        table = cls(path)
        try:
            data = parse_toml(path, text)
        except ConfigError as error:
            table.findings.append(_error(path, error.line, error.message))
            table.readable = False
            return table
        lines = _RuleLines(text)
        for key in data:
            if key != "rule":
                table.findings.append(_error(path, lines.top_key(key),
                                             f"unknown key '{key}' (a routing table holds "
                                             f"only [[rule]] entries)"))
        raw_rules = data.get("rule", [])
        if not isinstance(raw_rules, list):
            table.findings.append(_error(path, lines.top_key("rule"),
                                         "'rule' must be written as [[rule]] tables"))
            return table
        for index, raw in enumerate(raw_rules, start=1):
            try:
                table.rules.append(_rule(path, index, raw, lines))
            except _RuleProblem as problem:
                about = f", field '{problem.field}'" if problem.field else ""
                table.findings.append(_error(path, lines.field(index, problem.field),
                                             f"rule {index}{about}: {problem.message}"))
        return table


def _error(path: Path, line: int | None, message: str) -> Finding:
    return Finding(path, message, line, severity="error")


def table_path(home: HomePaths | None = None) -> Path:
    """The user's routing table: `$PAI_HOME/routing.toml`."""
    return (home or HomePaths(pai_home())).root / "routing.toml"


def bundled_table_path() -> Path:
    return bundled("assets") / "routing.toml"


def load_table(home: HomePaths | None = None) -> RoutingTable:
    """The user's routing table if the file exists, else the bundled default. A user's file that
    cannot be read as TOML at all falls back to the bundled table, with the error kept in
    `findings`; a readable file with bad rules keeps its good rules."""
    user = table_path(home)
    if user.is_file():
        table = RoutingTable.read(user)
        if table.readable:
            return table
        fallback = RoutingTable.read(bundled_table_path())
        fallback.findings[:0] = [*table.findings, Finding(
            user, "this routing table cannot be read; using the bundled one instead")]
        return fallback
    return RoutingTable.read(bundled_table_path())


class _RuleProblem(Exception):
    def __init__(self, field_name: str | None, message: str):
        self.field, self.message = field_name, message
        super().__init__(message)


class _RuleLines:
    """Lines of `[[rule]]` headers and their fields (tomllib keeps no positions)."""

    _HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")
    _ANY_HEADER = re.compile(r"^\s*\[")

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers = [n for n, line in enumerate(self.lines, 1) if self._HEADER.match(line)]

    def top_key(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[\[?\s*)?{re.escape(key)}\s*(=|\]|\.)")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)

    def field(self, index: int, name: str | None) -> int | None:
        if index > len(self.headers):  # not written as [[rule]]: point at `rule`
            return self.top_key("rule")
        start = self.headers[index - 1]
        if name:
            pattern = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
            for number in range(start + 1, len(self.lines) + 1):
                line = self.lines[number - 1]
                if self._ANY_HEADER.match(line):
                    break
                if pattern.match(line):
                    return number
        return start


_SLASH = re.compile(r"/?([A-Za-z0-9][A-Za-z0-9_-]*)")


def _rule(path: Path, index: int, raw: Any, lines: _RuleLines) -> Rule:
    if not isinstance(raw, dict):
        raise _RuleProblem(None, "must be a table of fields")
    for key in raw:
        if key not in RULE_FIELDS:
            raise _RuleProblem(key, f"unknown field (known: {', '.join(RULE_FIELDS)})")
    for key in ("skill", "slash", "regex", "workflow", "tool", "match"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise _RuleProblem(key, "must be a non-empty string")
    if "skill" not in raw:
        raise _RuleProblem(None, "missing field 'skill' (the skill this rule routes to)")
    present = [m for m in MATCHERS if m in raw]
    if len(present) != 1:
        found = ", ".join(present) if present else "none"
        raise _RuleProblem(present[1] if len(present) > 1 else None,
                           f"needs exactly one of slash, keywords, regex (found: {found})")
    base: dict[str, Any] = {
        "skill": raw["skill"].strip(), "path": path, "line": lines.field(index, None),
        "label": f"rule {index}", "workflow": raw.get("workflow"), "tool": raw.get("tool"),
    }
    if "match" in raw and present[0] != "keywords":
        raise _RuleProblem("match", "applies only to a keywords rule")
    if "slash" in raw:
        match = _SLASH.fullmatch(raw["slash"].strip())
        if not match:
            raise _RuleProblem("slash", f"{raw['slash']!r} is not a command like \"/redteam\"")
        return Rule(slash=skill_key(match.group(1)), **base)
    if "regex" in raw:
        try:
            pattern = re.compile(raw["regex"], re.IGNORECASE)
        except re.error as error:
            where = f" at position {error.pos}" if error.pos is not None else ""
            raise _RuleProblem("regex", f"bad regular expression {raw['regex']!r}: "
                                        f"{error.msg}{where}") from None
        return Rule(regex=pattern, **base)
    phrases = raw["keywords"]
    if not isinstance(phrases, list) or not phrases or not all(
            isinstance(p, str) for p in phrases):
        raise _RuleProblem("keywords", "must be a non-empty array of strings")
    empty = [p for p in phrases if not stems(p)]
    if empty:
        raise _RuleProblem("keywords", f"the keyword {empty[0]!r} has no words in it")
    mode = raw.get("match", "any")
    if mode not in ("any", "all"):
        raise _RuleProblem("match", f"must be \"any\" or \"all\", not {mode!r}")
    return Rule(phrases=tuple(phrases), match_all=mode == "all", **base)


# --- PAI tables inside SKILL.md ------------------------------------------------------------------

_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d')
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|<[^>]*>")


def trigger_phrases(trigger: str) -> list[str]:
    """The phrases of a PAI trigger cell: its quoted strings, plus the unquoted rest split at
    commas, semicolons, " / " and "or" (placeholders like `[topic]` and remarks in parentheses
    dropped; a quoted phrase with a placeholder keeps its part before it: "investigate [topic]"
    is "investigate"). A phrase needs a word of three letters or more that is not a stopword:
    the "A" of "A/B test" or a lone "this" would match nearly every message."""
    phrases = [_BRACKETS.split(a or b)[0] for a, b in _QUOTED.findall(trigger)]
    rest = _BRACKETS.sub(" ", _QUOTED.sub(",", trigger))
    phrases += re.split(r"[,;|]|\s/\s|\bor\b", rest)
    phrases = [p.strip(" *`'.-") for p in phrases]
    return [p for p in phrases if any(len(w) > 2 and w not in STOPWORDS for w in words(p))]


def _table_rules(skill: Skill) -> list[Rule]:
    rules = []
    for route in skill.routes:
        phrases = trigger_phrases(route.trigger)
        if phrases:
            name = route.workflow.strip(" *`") or None
            rules.append(Rule(skill=skill.name, path=skill.path, line=None,
                              label=f"table row '{name}'", kind="table",
                              phrases=tuple(phrases), workflow=name))
    return rules


def _find_row(rule: Rule) -> int | None:
    try:
        lines = rule.path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    name = rule.workflow or ""
    first = rule.phrases[0] if rule.phrases else ""
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("|") and name in line and first in line:
            return number
    return None


# --- decisions ---------------------------------------------------------------------------------


@dataclass
class RouteDecision:
    """Where a message goes and why. `skill` None means plain chat (or, with `error`, an unknown
    slash command); with how == "model" the lead asks the model to pick among `candidates`."""

    skill: str | None
    how: How
    text: str  # what the skill (or the chat) receives: a slash command's arguments, else all
    workflow: str | None = None
    tool: str | None = None
    reasons: tuple[str, ...] = ()
    scores: tuple[tuple[str, float], ...] = ()  # the score table's top entries, best first
    confidence: float | None = None
    threshold: float | None = None
    candidates: tuple[str, ...] = ()
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """One JSON-ready object: `skill` is the chosen skill's name, or None (null) for plain
        chat, beside how and why."""
        return {
            "skill": self.skill, "how": self.how, "workflow": self.workflow, "tool": self.tool,
            "reasons": list(self.reasons),
            "scores": [{"skill": name, "score": score} for name, score in self.scores],
            "confidence": self.confidence, "threshold": self.threshold,
            "candidates": list(self.candidates), "error": self.error,
        }

    def explain(self) -> str:
        """The human account printed by `pai route`."""
        if self.error:
            head = f"error: {self.error}"
        elif self.how == "model":
            head = f"model: the model chooses among {', '.join(self.candidates)}"
        elif self.skill is None:
            head = "plain chat"
        else:
            head = f"{self.skill} ({self.how})"
            extra = [f"workflow {self.workflow}" if self.workflow else "",
                     f"tool {self.tool}" if self.tool else ""]
            if any(extra):
                head += ": " + ", ".join(e for e in extra if e)
        lines = [head, *(f"  {reason}" for reason in self.reasons if reason != self.error)]
        if self.scores:
            width = max(len(name) for name, _ in self.scores)
            lines.append("  score table (BM25):")
            lines += [f"    {name:<{width}}  {score:6.2f}" for name, score in self.scores]
        return "\n".join(lines)


# --- the router --------------------------------------------------------------------------------

K1, B = 1.2, 0.75
NAME_WEIGHT, TRIGGER_WEIGHT, DESCRIPTION_WEIGHT = 3, 2, 1
_USE_WHEN = re.compile(r"\buse when\b", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SLASH_COMMAND = re.compile(r"\s*/([^\W][\w-]*)(?=\s|$)(.*)", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?;:]+(?:\s+|$)|\n+")


def _fields(skill: Skill) -> list[tuple[str, int]]:
    """(text, weight) pairs a skill is scored on."""
    description = skill.description or ""
    split = _USE_WHEN.search(description)
    about, triggers = ((description[: split.start()], description[split.end():]) if split
                       else (description, ""))
    route_text = " ".join(f"{r.workflow} {r.trigger}" for r in skill.routes)
    name = _CAMEL.sub(" ", skill.name)
    return [(name, NAME_WEIGHT), (triggers, TRIGGER_WEIGHT), (route_text, TRIGGER_WEIGHT),
            (about, DESCRIPTION_WEIGHT)]


def confidence(best: float, second: float, bound: float) -> float:
    """How sure the scorer is, 0..1: coverage times margin.

    Coverage is `best` (the top skill's BM25) over `bound`, the evidence the message holds: for
    each of its words, the best score any skill gets from it; a word no skill has adds
    UNKNOWN_FACTOR x the idf such a word would have, and a chat marker (or a question opening
    the sentence) MARKER_FACTOR x that idf. So a message whose every word points at one skill
    scores 1, and one that merely mentions a skill's word among others ("my research paper got
    rejected", "what does red team mean?") scores low. The margin factor falls from 1 to 0.5 as
    the runner-up's score approaches the best."""
    if best <= 0 or bound <= 0:
        return 0.0
    coverage = min(1.0, best / bound)
    margin = (best - second) / best
    return round(coverage * (0.5 + 0.5 * margin), 4)


# --- evidence --------------------------------------------------------------------------------

SHORT_MESSAGE = 2  # a message of this many words or fewer (stopwords aside) needs a trigger
COMMON_SHARE = 1 / 3  # a word found in this share of the skills (and in 2+) is no evidence
PARTICLES = frozenset({"up", "down", "out", "apart", "over", "through"})
PARTICLE_GAP = 2  # words allowed between a phrasal verb and its particle ("sum this up")
SHORT_SCAN = 200  # characters read to tell a short message
ARTICLES = _word_set("a an the this that these those")


def singular(word: str) -> str:
    """`word` without a plural (or third-person) "s"/"es": "diagrams" -> "diagram",
    "researches" -> "research"; nothing else changes."""
    if len(word) > 4 and word.endswith("es") and word[:-2].endswith(("s", "x", "ch", "sh")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Trigger:
    """A phrase a skill declares, after `USE WHEN` or in its table rows.

    A one-word trigger matches that word as typed, give or take a plural "s" ("summarize", not
    "summary": stemming would make the noun a request), or a typo of it; and not after an
    article ("the research says..." names a thing, "research solar panels" asks). Longer ones
    match their stems in order, and one ending in a particle lets the verb's object sit before
    it ("sum up" matches "sum this up")."""

    text: str  # as declared
    stems: tuple[str, ...]
    word: str | None = None  # a one-word trigger's word

    @classmethod
    def of(cls, phrase: str) -> Trigger | None:
        found = words(phrase)
        if not found:
            return None
        one = singular(found[0]) if len(found) == 1 else None
        return cls(phrase, tuple(stem(w) for w in found), one)

    def found_in(self, typed: list[str], found: list[str], starts: dict[str, list[int]],
                 fixed: set[int]) -> bool:
        """Whether it occurs in a message: its words as typed, their stems (typos corrected),
        where each stem is, and where the typos were ("reserch" -> "research")."""
        if self.word is not None:
            return any((singular(typed[at]) == self.word or at in fixed)
                       and (at == 0 or typed[at - 1] not in ARTICLES)
                       for at in starts.get(self.stems[0], ()))
        head, last = self.stems[:-1], self.stems[-1]
        gap = PARTICLE_GAP if last in PARTICLES else 0
        for start in starts.get(head[0], ()):
            end = start + len(head)
            if tuple(found[start:end]) == head and last in found[end:end + 1 + gap]:
                return True
        return False


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


class Router:
    """Routes messages over one set of installed skills. Built once per skill index: the
    inverted index, the keyword-phrase index and the slash names are made here, so that
    `route()` does only lookups and a little arithmetic."""

    def __init__(self, skills: Iterable[Skill], config: Config | None = None, *,
                 table: RoutingTable | None = None, settings: SkillsSettings | None = None):
        """`skills`: the installed skills (a `SkillIndex`). The routing table and the settings
        come from `config` (its PAI_HOME's routing.toml, its `[skills]`) unless given."""
        self.settings = settings or (config.skills if config else SkillsSettings())
        self.table = table if table is not None else load_table(config.home if config else None)
        self.skills: dict[str, Skill] = {}
        for skill in skills:
            self.skills.setdefault(skill.key, skill)
        self.findings: list[Finding] = list(self.table.findings)
        self.rules: list[Rule] = []  # the table's usable rules, then the skills' table rows
        self.slash_rules: dict[str, Rule] = {}
        for rule in self.table.rules:
            if skill_key(rule.skill) not in self.skills:
                self.findings.append(Finding(rule.path, f"{rule.label}: skill '{rule.skill}' is "
                                                        f"not installed; rule skipped", rule.line))
            elif rule.slash in self.skills:
                self.findings.append(Finding(rule.path, f"{rule.label}: /{rule.slash} is the name "
                                                        f"of an installed skill, which it always "
                                                        f"runs; rule skipped", rule.line))
            elif rule.slash:
                self.slash_rules.setdefault(rule.slash, rule)
            else:
                self.rules.append(rule)
        for skill in self.skills.values():
            self.rules.extend(_table_rules(skill))
        self._index_phrases()
        self._index_terms()
        self._commands = sorted({*self.skills, *self.slash_rules})
        self._row_lines: dict[tuple[Path, str], int | None] = {}

    # - building -

    def _index_phrases(self) -> None:
        # first stem of a phrase -> [(rule order, phrase number, the phrase's stems)]
        self._phrases: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
        self._regex_rules: list[tuple[int, Rule]] = []
        self._rule_keys = [skill_key(rule.skill) for rule in self.rules]
        for order, rule in enumerate(self.rules):
            if rule.regex is not None:
                self._regex_rules.append((order, rule))
                continue
            for number, phrase in enumerate(rule.phrases):
                key = tuple(stems(phrase))
                self._phrases.setdefault(key[0], []).append((order, number, key))

    def _index_terms(self) -> None:
        self._docs = list(self.skills.values())
        self._names = [skill.name for skill in self._docs]
        counts: list[dict[str, int]] = []
        for skill in self.skills.values():
            tf: dict[str, int] = {}
            for text, weight in _fields(skill):
                for term in terms(text):
                    if term not in CHAT_MARKERS:
                        tf[term] = tf.get(term, 0) + weight
            counts.append(tf)
        n = len(counts)
        lengths = [sum(tf.values()) for tf in counts]
        average = (sum(lengths) / n) if n else 1.0
        df: dict[str, int] = {}
        for tf in counts:
            for term in tf:
                df[term] = df.get(term, 0) + 1
        self._doc_terms = [frozenset(tf) for tf in counts]
        self._df = df
        self._common = max(2.0, COMMON_SHARE * n)
        self._triggers: dict[int, list[Trigger]] = {}  # parsed when a skill first needs them
        self._name_terms = [frozenset(terms(_CAMEL.sub(" ", name))) for name in self._names]
        self._unknown_weight = math.log(1 + (n + 0.5) / 0.5)  # the idf of a word no skill has
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self._best: dict[str, float] = {}
        for doc, tf in enumerate(counts):
            norm = K1 * (1 - B + B * lengths[doc] / (average or 1.0))
            for term, count in tf.items():
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                weight = idf * count * (K1 + 1) / (count + norm)
                self._postings.setdefault(term, []).append((doc, weight))
                if weight > self._best.get(term, 0.0):
                    self._best[term] = weight
        # Each known term and its one-letter deletions -> the term: typos found by lookups.
        self._deletions: dict[str, str] = {}
        for known in sorted(self._postings):
            if len(known) >= 4:
                for variant in (known, *_deleted(known)):
                    self._deletions.setdefault(variant, known)

    def _typo_target(self, term: str) -> str | None:
        """A known term one typo away from `term` ("reserch", "frist"), for words of five
        letters or more: both sides' one-letter deletions meet in `_deletions`."""
        if len(term) < 5:
            return None
        for variant in (term, *_deleted(term)):
            found = self._deletions.get(variant)
            if found is not None and _one_typo(term, found):
                return found
        return None

    def _row_line(self, rule: Rule) -> int | None:
        """The line of a table row in its SKILL.md, found the first time a decision cites it."""
        key = (rule.path, rule.label)
        if key not in self._row_lines:
            self._row_lines[key] = _find_row(rule)
        return self._row_lines[key]

    # - routing -

    def skill(self, name: str) -> Skill | None:
        return self.skills.get(skill_key(name))

    def route(self, text: str) -> RouteDecision:
        slash = _SLASH_COMMAND.match(text)
        if slash:
            return self._route_slash(slash.group(1), slash.group(2).strip(), text)
        hit = self._first_rule(text)
        if hit is not None:
            rule, matched, given = hit
            return self._decide(rule, rule.kind, given, f"{self._cite(rule)}: matched {matched}")
        return self.score(text)

    def _cite(self, rule: Rule) -> str:
        line = rule.line if rule.kind == "rule" else self._row_line(rule)
        return f"{rule.path}:{line}: {rule.label}" if line else f"{rule.path}: {rule.label}"

    def _decide(self, rule: Rule | Skill, how: How, text: str, reason: str) -> RouteDecision:
        """A decision for a skill; with no workflow or tool named, the skill's own table rows
        may pick its workflow from `text` (so `/telos update my goals` runs Update)."""
        if isinstance(rule, Skill):
            key, workflow, tool = rule.key, None, None
        else:
            key, workflow, tool = skill_key(rule.skill), rule.workflow, rule.tool
        reasons = [reason]
        if workflow is None and tool is None and text:
            hit = self._first_rule(text, only=key)
            if hit is not None:
                workflow = hit[0].workflow
                reasons.append(f"workflow from {self._cite(hit[0])}: matched {hit[1]}")
        return RouteDecision(self.skills[key].name, how, text, workflow, tool, tuple(reasons))

    def command(self, name: str, text: str) -> RouteDecision:
        """`pai skill run NAME`: skill (or slash alias) `name` on `text`, as `/NAME text`."""
        return self._route_slash(name, text.strip(), f"/{name} {text}")

    def _route_slash(self, name: str, args: str, text: str) -> RouteDecision:
        key = skill_key(name)
        skill = self.skills.get(key)
        if skill is not None:
            return self._decide(skill, "slash", args, f"/{name} names the installed skill "
                                                      f"{skill.name} ({skill.path})")
        rule = self.slash_rules.get(key)
        if rule is not None:
            return self._decide(rule, "rule", args, rule.describe())
        close = difflib.get_close_matches(key, self._commands, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join('/' + c for c in close)}?" if close else ""
        message = f"no skill named {name}{hint}"
        return RouteDecision(None, "slash", args, reasons=(message,), error=message)

    def _first_rule(self, text: str, only: str | None = None) -> tuple[Rule, str, str] | None:
        """The earliest rule (by order) that matches, what matched, and the skill's input (the
        message, or a regex's `text` group). `only`: just the table rows of that skill."""
        window = text if len(text) <= RULE_HEAD_CHARS + RULE_TAIL_CHARS else (
            text[:RULE_HEAD_CHARS] + "\n" + text[-RULE_TAIL_CHARS:])
        best: tuple[int, str] | None = None
        given = text
        if self._phrases:
            found = stems(window)
            seen: dict[int, set[int]] = {}
            for position, first in enumerate(found):
                for order, number, phrase in self._phrases.get(first, ()):
                    if best is not None and order >= best[0]:
                        continue
                    if tuple(found[position:position + len(phrase)]) != phrase:
                        continue
                    rule = self.rules[order]
                    if only is not None and (rule.kind != "table"
                                             or self._rule_keys[order] != only):
                        continue
                    seen.setdefault(order, set()).add(number)
                    if not rule.match_all or len(seen[order]) == len(rule.phrases):
                        shown = " + ".join(f'"{rule.phrases[n]}"' for n in sorted(seen[order]))
                        best = (order, f"keywords {shown}")
        for order, rule in self._regex_rules if only is None else ():
            if best is not None and order >= best[0]:
                break
            assert rule.regex is not None
            match = rule.regex.search(window)
            if match:
                best = (order, f"regex `{rule.regex.pattern}` on {match.group(0).strip()!r}")
                if "text" in rule.regex.groupindex and match.group("text") is not None:
                    given = match.group("text").strip()
                break
        if best is None:
            return None
        return self.rules[best[0]], best[1], given

    def _scores(self, query: list[str], question: bool) -> tuple[dict[int, float], float]:
        """BM25 per skill for the query's terms, and the bound used for confidence."""
        totals: dict[int, float] = {}
        bound = self._unknown_weight * MARKER_FACTOR if question else 0.0
        for term in dict.fromkeys(query):
            if term in CHAT_MARKERS:
                bound += self._unknown_weight * MARKER_FACTOR
                continue
            postings = self._postings.get(term)
            if postings is None:
                fixed = self._typo_target(term)
                if fixed is None or fixed in query:
                    bound += self._unknown_weight * UNKNOWN_FACTOR
                    continue
                term, postings = fixed, self._postings[fixed]
            bound += self._best[term]
            for doc, weight in postings:
                totals[doc] = totals.get(doc, 0.0) + weight
        return totals, bound

    def _evidence(self, doc: int, segments: list[str], text: str) -> Evidence:
        """What in the sentences the scorer read (`segments` of the message `text`) points at
        skill `doc`: its triggers, its distinctive words."""
        typed: list[str] = []
        for segment in segments:
            typed += [*words(segment), ""]  # "" ends a sentence: no phrase spans two
        found = [stem(word) for word in typed]
        fixed: set[int] = set()  # where typos were corrected
        for position, term in enumerate(found):
            if term not in self._postings and typed[position] not in STOPWORDS:
                target = self._typo_target(term)
                if target is not None:
                    found[position] = target
                    fixed.add(position)
        starts: dict[str, list[int]] = {}
        for position, term in enumerate(found):
            starts.setdefault(term, []).append(position)
        if doc not in self._triggers:
            self._triggers[doc] = declared_triggers(self._docs[doc])
        triggers = tuple(dict.fromkeys(trigger.text for trigger in self._triggers[doc]
                                       if trigger.found_in(typed, found, starts, fixed)))
        own: dict[str, str] = {}  # term -> the word as typed
        name: list[str] = []  # the words of the skill's name, as typed
        common: dict[str, tuple[str, int]] = {}
        vocabulary, name_terms = self._doc_terms[doc], self._name_terms[doc]
        whole_name = name_terms <= starts.keys()  # a part ("first") is an ordinary word
        for word, term in zip(typed, found, strict=True):
            if word in STOPWORDS or word in QUESTION_OPENERS or term not in vocabulary:
                continue
            if whole_name and term in name_terms:
                if term not in own:
                    own[term] = ""
                    name.append(word)
            elif self._df[term] >= self._common:
                common.setdefault(term, (word, self._df[term]))
            else:
                own.setdefault(term, word)
        length = sum(1 for word in words(text[:SHORT_SCAN])
                     if word not in STOPWORDS and word not in QUESTION_OPENERS)
        return Evidence(self._names[doc], length, triggers, " ".join(name),
                        tuple(word for word in own.values() if word), tuple(common.values()),
                        len(self._names))

    def score(self, text: str) -> RouteDecision:
        """The decision of the scorer alone (steps 4 and 5), as if no rule matched. The best
        skill needs `Evidence` beyond its score, else the message is plain chat."""
        threshold = self.settings.threshold
        best: tuple[float, dict[int, float]] | None = None
        segments = _segments(text)
        for segment in segments:
            query = terms(segment)[:SEGMENT_WORDS]
            if not query:
                continue
            totals, bound = self._scores(query, is_question(segment))
            top = [*sorted(totals.values(), reverse=True)[:2], 0.0, 0.0]
            sure = confidence(top[0], top[1], bound)
            if best is None or sure > best[0]:
                best = (sure, totals)
        if best is None or not best[1]:
            why = "no words in the message match any skill" if best else \
                "no words to match (only stopwords or symbols)"
            return RouteDecision(None, "chat", text, reasons=(f"plain chat: {why}",),
                                 confidence=0.0, threshold=threshold)
        sure, totals = best
        ranked = sorted(totals.items(), key=lambda item: (-item[1], self._names[item[0]]))
        scores = tuple((self._names[doc], round(score, 3)) for doc, score in ranked[:TOP_SCORES])
        top_name = scores[0][0]
        known = {"scores": scores, "confidence": sure, "threshold": threshold}
        below = f"confidence {sure:.2f} (best {top_name}) < threshold {threshold:.2f}"
        if sure >= threshold or self.settings.model_routing:
            evidence = self._evidence(ranked[0][0], segments, text)
            shortfall = evidence.shortfall()
            if shortfall is not None:
                versus = ">=" if sure >= threshold else "<"
                return RouteDecision(None, "chat", text, reasons=(
                    f"plain chat: best score {top_name}, confidence {sure:.2f} {versus} threshold "
                    f"{threshold:.2f}, but {shortfall}",), **known)
            if sure >= threshold:
                return RouteDecision(top_name, "score", text, reasons=(
                    f"best score {top_name}, confidence {sure:.2f} >= threshold {threshold:.2f}",
                    evidence.describe()), **known)
        if self.settings.model_routing:
            candidates = tuple(name for name, _ in scores[:MODEL_CANDIDATES])
            return RouteDecision(None, "model", text, reasons=(
                f"{below}; model routing is on: the model chooses",), candidates=candidates,
                **known)
        return RouteDecision(None, "chat", text, reasons=(
            f"plain chat: {below}; model routing is off",), **known)

    # - completion -

    def completions(self, prefix: str) -> list[str]:
        """Slash commands starting with `prefix` ("/re" or "re"; `_` and `-` alike), sorted:
        installed skills' names and the table's slash commands."""
        key = skill_key(prefix.lstrip("/")) if prefix.strip("/ ") else ""
        start = bisect.bisect_left(self._commands, key)
        end = bisect.bisect_left(self._commands, key + "\uffff") if key else len(self._commands)
        return ["/" + command for command in self._commands[start:end]]


def _one_typo(typed: str, known: str) -> bool:
    """One letter missing, one extra, or two neighbours swapped; a changed letter only in long
    words (in short ones it turns "thank" into "think")."""
    if len(typed) != len(known):
        return True  # the deletion lookup only pairs words one letter apart
    diff = [i for i, (a, b) in enumerate(zip(typed, known, strict=True)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        return typed[diff[0]] == known[diff[1]] and typed[diff[1]] == known[diff[0]]
    return len(diff) == 1 and len(typed) >= 7


def _deleted(term: str) -> list[str]:
    return [term[:i] + term[i + 1:] for i in range(len(term))]


def _segments(text: str) -> list[str]:
    """The first and the last sentence of a message (one when they are the same)."""
    head = text[:RULE_HEAD_CHARS]
    first = next((s for s in _SENTENCE_END.split(head) if _WORD.search(s)), "")
    tail = text[-RULE_TAIL_CHARS:] if len(text) > RULE_TAIL_CHARS else text
    last = next((s for s in reversed(_SENTENCE_END.split(tail)) if _WORD.search(s)), "")
    return [first] if last == first or not last else [first, last]
