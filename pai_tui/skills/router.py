"""Deterministic routing: which skill (or plain chat) a message goes to, and why.

The order, first match wins:

1. `/name args` runs the installed skill `name` (any case, `_` or `-`), always. A slash command
   defined by a rule (`slash = "/redteam"`) comes next; an unknown `/x` is a decision with no skill
   and a "no skill named x" error suggesting close names.
2. A short heading over the user's own short news ("short version: I'm moving to Spain!",
   "tl;dr I got the job") is plain chat: its skill's words name what the user tells
   (`pai_tui.skills.mood.own_headline`).
3. The routing table's rules (`pai_tui.skills.routing_table`), in order.
4. The `| Workflow | Trigger | File |` rows of the skills' SKILL.md, in skill order, each
   where the clause holding its phrase asks for something (`pai_tui.skills.mood`): "write a
   design doc for X" runs development, "the design doc review went well" goes on.
5. The scorer (`pai_tui.skills.scoring`): BM25 and a confidence, lowered for a sentence that
   only mentions the skills' words. At or above `skills.threshold` the best skill wins, if the
   message holds `Evidence` that it asks for it; so does a trigger phrase a clause asks for
   (its command verb, or inside "I need..." or a question about the user's things), however
   many words around it no skill knows. Else a sentence that asks in the words of one skill's
   frame (`scoring.Frame`) picks it; else the decision is "model" with the top candidates
   when `skills.model_routing` is on, else plain chat.

A skill chosen by a slash command or a rule that names neither a workflow nor a tool gets the
workflow of its own table row matching the text, if one does (`/telos update my goals` runs
Update).

Rules read the first 4,000 and last 1,000 characters of a message; the scorer reads the first
and the last sentence (requests sit at the start or the end of pasted text) and keeps the better
of the two. Words one typo away from a skill's word count as that word, in phrases too
("implemntation plan"). Tuned on `benchmarks/routing_labels.tsv` and measured on the held-out
`benchmarks/routing_holdout.tsv` (see `benchmarks/route_accuracy.py`): threshold 0.5. The
`Router` is built once per skill index, so that `route()` does only lookups and a little
arithmetic.
"""

from __future__ import annotations

import bisect
import difflib
import heapq
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pai_tui.config import SkillsSettings
from pai_tui.events import RouteHow
from pai_tui.skills.model import Finding, Skill, skill_key
from pai_tui.skills.mood import (
    DETERMINERS,
    FINITE,
    FIRST_PERSON,
    PREPOSITIONS,
    ClauseSpans,
    asks_about_the_world,
    command_at,
    in_sentence,
    is_fact_question,
    is_request,
    is_statement,
    opening,
    opens_question,
    own_headline,
)
from pai_tui.skills.regex import RegexRules
from pai_tui.skills.routing_table import (
    RoutingRule,
    RoutingTable,
    find_row,
    load_table,
    table_rules,
)
from pai_tui.skills.scoring import (
    CAMEL_BOUNDARY,
    COMMON_SHARE,
    K1,
    MARKER_FACTOR,
    MENTION_FACTOR,
    PARTICLES,
    SHORT_SCAN,
    TRIGGER_UNKNOWN_SHARE,
    UNKNOWN_FACTOR,
    B,
    Evidence,
    SegmentScore,
    Trigger,
    declared_frames,
    declared_triggers,
    skill_fields,
)
from pai_tui.skills.text import (
    CHAT_MARKERS,
    QUESTION_OPENERS,
    STOPWORDS,
    WORD,
    Clause,
    sentence_clauses,
    singular,
    stem,
    stems,
    terms,
    words,
)
from pai_tui.skills.typos import Typos

if TYPE_CHECKING:
    from pai_tui.config import Config

How = RouteHow  # slash, rule, table, score, model, chat (defined with the event that says it)

RULE_HEAD_CHARS = 4000  # rules read this much of the start of a message...
RULE_TAIL_CHARS = 1000  # ...and this much of its end
SEGMENT_WORDS = 40  # words of the first / last sentence the scorer reads
TOP_SCORES = 5
MODEL_CANDIDATES = 3
TERM_CACHE = 100_000  # words whose (corrected) stem is remembered
SEGMENT_CACHE = 8  # sentences whose clauses are remembered (a message's, read several times)

_SLASH_COMMAND = re.compile(r"\s*/([^\W][\w-]*)(?=\s|$)(.*)", re.DOTALL)
# Where a clause ends: the scorer reads the first and the last one.
_CLAUSE_END = re.compile(r"([.!?;:]+(?:\s+|$)|\n+)")


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
        self.rules: list[RoutingRule] = []  # the table's usable rules, then the skills' table rows
        self.slash_rules: dict[str, RoutingRule] = {}
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
            self.rules.extend(table_rules(skill))
        self._index_phrases()
        self._index_terms()
        self._commands = sorted({*self.skills, *self.slash_rules})
        self._row_lines: dict[tuple[Path, str], int | None] = {}
        self._last_reading: tuple[str, list[str], list[list[Clause]]] = ("", [], [])
        self._keys: dict[str, str] = {}
        self._terms: dict[str, str] = {}  # a word -> its stem, typos of the skills' corrected
        self._segment_clauses: dict[str, list[list[Clause]]] = {}
        self._command_words: frozenset[str] | None = None  # one-word triggers, when first needed
        self._frames = [(doc, frame) for doc, skill in enumerate(self._docs)
                        for frame in declared_frames(skill)]

    # - building -

    def _index_phrases(self) -> None:
        # first stem of a phrase -> [(rule order, phrase number, the phrase's stems)]
        self._phrases: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
        self._regex_rules: list[tuple[int, RoutingRule]] = []
        self._rule_keys = [skill_key(rule.skill) for rule in self.rules]
        for order, rule in enumerate(self.rules):
            if rule.regex is not None:
                self._regex_rules.append((order, rule))
                continue
            for number, phrase in enumerate(rule.phrases):
                key = tuple(stems(phrase))
                self._phrases.setdefault(key[0], []).append((order, number, key))
        self._regexes = RegexRules([(order, rule.regex) for order, rule in self._regex_rules
                                    if rule.regex is not None]) if self._regex_rules else None

    def _index_terms(self) -> None:
        self._docs = list(self.skills.values())
        self._names = [skill.name for skill in self._docs]
        counts: list[dict[str, int]] = []
        for skill in self.skills.values():
            tf: dict[str, int] = {}
            for text, weight in skill_fields(skill):
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
        # A skill's declared triggers and, by first stem, their numbers: parsed when first needed.
        self._triggers: dict[int, tuple[list[Trigger], dict[str, list[int]]]] = {}
        self._name_terms = [frozenset(terms(CAMEL_BOUNDARY.sub(" ", name))) for name in self._names]
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
        known_words = {word: stem(word) for skill in self._docs
                       for text, _ in skill_fields(skill) for word in words(text)}
        self._typos = Typos(self._postings, {word: term for word, term in known_words.items()
                                             if term in self._postings})

    def _is_command(self, word: str) -> bool:
        """Whether `word` is a one-word trigger of a skill or a word of a skill's name
        ("summarize", "research", "red"): a heading opening with it asks for the skill
        ("summarize: ...", "red team: we launch in June")."""
        if self._command_words is None:
            self._command_words = frozenset(
                [*(trigger.word for skill in self._docs for trigger in declared_triggers(skill)
                   if trigger.word is not None),
                 *(word for name in self._names for word in words(CAMEL_BOUNDARY.sub(" ", name)))])
        return singular(word) in self._command_words

    def _row_line(self, rule: RoutingRule) -> int | None:
        """The line of a table row in its SKILL.md, found the first time a decision cites it."""
        key = (rule.path, rule.label)
        if key not in self._row_lines:
            self._row_lines[key] = find_row(rule)
        return self._row_lines[key]

    # - routing -

    def skill(self, name: str) -> Skill | None:
        return self.skills.get(skill_key(name))

    def route(self, text: str) -> RouteDecision:
        slash = _SLASH_COMMAND.match(text)
        if slash:
            return self._route_slash(slash.group(1), slash.group(2).strip(), text)
        if own_headline(self._reading(_window(text))[1], self._is_command):
            return RouteDecision(None, "chat", text, reasons=(
                "plain chat: a short heading over the user's own short news (\"short version: "
                "I'm moving\"): it names what they tell, not what they ask for",))
        mentioned: list[str] = []
        hit = self._first_rule(text, mentioned=mentioned)
        if hit is not None:
            rule, matched, given = hit
            return self._decide(rule, rule.kind, given, f"{self._cite(rule)}: matched {matched}")
        decision = self.score(text)
        if mentioned and decision.skill is None:
            decision.reasons = (*decision.reasons, *mentioned[:1])
        return decision

    def _cite(self, rule: RoutingRule) -> str:
        line = rule.line if rule.kind == "rule" else self._row_line(rule)
        return f"{rule.path}:{line}: {rule.label}" if line else f"{rule.path}: {rule.label}"

    def _decide(self, rule: RoutingRule | Skill, how: How, text: str,
                reason: str) -> RouteDecision:
        """A decision for a skill; with no workflow or tool named, the skill's own table rows
        may pick its workflow from `text` (so `/telos update my goals` runs Update)."""
        if isinstance(rule, Skill):
            key, workflow, tool = rule.key, None, None
        else:
            key, workflow, tool = self._key_of(rule.skill), rule.workflow, rule.tool
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

    def _first_rule(self, text: str, only: str | None = None,
                    mentioned: list[str] | None = None) -> tuple[RoutingRule, str, str] | None:
        """The earliest rule (by order) that matches, what matched, and the skill's input (the
        message, or a regex's `text` group). `only`: just the table rows of that skill. A table
        row whose phrase sits in a clause that only mentions it (`pai_tui.skills.mood`) is
        skipped, and said in `mentioned`."""
        window = _window(text)
        best = self._first_phrase(window, only, mentioned) if self._phrases else None
        given = text
        if only is None and self._regexes is not None:
            hit = self._regexes.first(window, best[0] if best is not None else len(self.rules))
            if hit is not None:
                order, regex, regex_hit = hit
                best = (order, f"regex `{regex.pattern}` on {regex_hit.matched.strip()!r}")
                if regex_hit.text is not None:
                    given = regex_hit.text.strip()
        if best is None:
            return None
        return self.rules[best[0]], best[1], given

    def _first_phrase(self, window: str, only: str | None,
                      mentioned: list[str] | None) -> tuple[int, str] | None:
        """The earliest keyword rule or table row matching `window`, and what matched. The mood
        of a table row's clause is read only for a match that would come first."""
        found, sentences = self._reading(window)
        spans: ClauseSpans | None = None
        best: tuple[int, str] | None = None
        seen: dict[int, set[int]] = {}
        for position, first in enumerate(found):
            for order, number, phrase in self._phrases.get(first, ()):
                if best is not None and order >= best[0]:
                    continue
                if tuple(found[position:position + len(phrase)]) != phrase and not (
                        len(phrase) > 1
                        and not _ARTICLES.isdisjoint(found[position + 1:position + len(phrase)])
                        and _with_articles(found, position, phrase)):
                    continue
                rule = self.rules[order]
                if only is not None and (rule.kind != "table" or self._rule_keys[order] != only):
                    continue
                if only is None and rule.kind == "table":
                    spans = spans or ClauseSpans(sentences)
                    if spans.mentions(position):
                        if mentioned is not None and not mentioned:
                            mentioned.append(f"{self._cite(rule)}: \"{rule.phrases[number]}\" "
                                             f"is mentioned, not asked for")
                        continue
                seen.setdefault(order, set()).add(number)
                if not rule.match_all or len(seen[order]) == len(rule.phrases):
                    shown = " + ".join(f'"{rule.phrases[n]}"' for n in sorted(seen[order]))
                    best = (order, f"keywords {shown}")
        return best

    def _key_of(self, name: str) -> str:
        """`skill_key(name)` of a rule's skill, remembered (a regex substitution per decision
        otherwise)."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = skill_key(name)
        return key

    def _reading(self, window: str) -> tuple[list[str], list[list[Clause]]]:
        """The stems of a rule window (typos corrected) and its sentences' clauses, from one
        pass over it. A rule's decision reads the same window twice (the rule, then its skill's
        table rows for a workflow), so the last one is remembered; the triple is replaced
        whole, so routes in several threads never see a mismatched one."""
        last = self._last_reading
        if last[0] == window:
            return last[1], last[2]
        sentences = sentence_clauses(window)
        found = [self._term(word) for sentence in sentences for clause in sentence
                 for word in clause.words]
        self._last_reading = (window, found, sentences)
        return found, sentences

    def _clauses(self, segment: str) -> list[list[Clause]]:
        """`sentence_clauses(segment)`, remembered for the last few segments: the scorer's
        steps read the same one or two sentences several times per message."""
        known = self._segment_clauses.get(segment)
        if known is None:
            if len(self._segment_clauses) >= SEGMENT_CACHE:
                self._segment_clauses.clear()
            known = self._segment_clauses[segment] = sentence_clauses(segment)
        return known

    def _term(self, word: str) -> str:
        """The stem of `word`, or of the skills' word it is a typo of ("implemntation plan",
        "summerize": see `pai_tui.skills.typos`). Remembered per router."""
        term = self._terms.get(word)
        if term is None:
            term = stem(word)
            if term not in self._postings:
                term = self._typos.fix(word, term) or term
            if len(self._terms) < TERM_CACHE:
                self._terms[word] = term
        return term

    def _query(self, segment: str) -> list[str]:
        """What the scorer weighs of a sentence: its words' stems (typos corrected), without
        stopwords, chat markers kept whole."""
        return [word if word in CHAT_MARKERS else self._term(word) for word in words(segment)
                if word not in STOPWORDS and word not in QUESTION_OPENERS]

    def _scores(self, query: list[str], question: bool) -> SegmentScore:
        """BM25 per skill for the query's terms, and the bound used for confidence."""
        totals: dict[int, float] = {}
        bound = self._unknown_weight * MARKER_FACTOR if question else 0.0
        unknown = 0.0
        for term in dict.fromkeys(query):
            if term in CHAT_MARKERS:
                bound += self._unknown_weight * MARKER_FACTOR
                continue
            postings = self._postings.get(term)
            if postings is None:
                unknown += self._unknown_weight * UNKNOWN_FACTOR
                continue
            bound += self._best[term]
            for doc, weight in postings:
                totals[doc] = totals.get(doc, 0.0) + weight
        return SegmentScore(totals, bound + unknown, unknown)

    def _evidence(self, doc: int, segments: list[str], text: str) -> Evidence:
        """What in the sentences the scorer read (`segments` of the message `text`) points at
        skill `doc`: its triggers, its distinctive words."""
        typed: list[str] = []
        for segment in segments:
            typed += [*words(segment), ""]  # "" ends a sentence: no phrase spans two
        found = [self._term(word) for word in typed]
        fixed = {at for at, (word, term) in enumerate(zip(typed, found, strict=True))
                 if term != stem(word)}  # where typos were corrected
        starts: dict[str, list[int]] = {}
        for position, term in enumerate(found):
            starts.setdefault(term, []).append(position)
        triggers = self._triggers_in(doc, typed, found, starts, fixed)
        own: dict[str, str] = {}  # term -> the word as typed
        name: list[str] = []  # the words of the skill's name, as typed
        common: dict[str, tuple[str, int]] = {}
        vocabulary, name_terms = self._doc_terms[doc], self._name_terms[doc]
        whole_name = name_terms <= starts.keys()  # a part ("first") is an ordinary word
        for word, term in zip(typed, found, strict=True):
            if (word in STOPWORDS or word in QUESTION_OPENERS or word in PARTICLES
                    or term not in vocabulary):
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

    def _triggers_in(self, doc: int, typed: list[str], found: list[str],
                     starts: dict[str, list[int]], fixed: set[int]) -> tuple[str, ...]:
        """The declared triggers of skill `doc` found in a message, in declared order: only
        those whose first word the message holds are tried."""
        declared, by_first = self._declared(doc)
        numbers = sorted(number for term in starts.keys() & by_first.keys()
                         for number in by_first[term]
                         if declared[number].found_in(typed, found, starts, fixed))
        return tuple(dict.fromkeys(declared[number].text for number in numbers))

    def _declared(self, doc: int) -> tuple[list[Trigger], dict[str, list[int]]]:
        """The declared triggers of skill `doc` and, by first stem, their numbers: parsed when
        first needed."""
        if doc not in self._triggers:
            declared = declared_triggers(self._docs[doc])
            by_first: dict[str, list[int]] = {}
            for number, trigger in enumerate(declared):
                by_first.setdefault(trigger.stems[0], []).append(number)
            self._triggers[doc] = (declared, by_first)
        return self._triggers[doc]

    def _commanded_trigger(self, doc: int, segments: list[str]) -> str | None:
        """A trigger phrase of skill `doc` that a clause asks for: it opens the clause as its
        verb once fillers and request words are set aside ("sketch a rough layout of X", "pls
        recall from my recordings what...", "reserch quantum error correction"), or, of several
        words, sits in a request ("I need a logo idea for X"); never in a clause that only
        mentions it, nor in a sentence asking about the world. The words around it are what the
        skill works on, however many."""
        for segment in segments:
            for sentence in self._clauses(segment):
                if any(is_fact_question(clause.words) for clause in sentence):
                    continue  # "git worktree vs git clone, what's the difference?"
                steps = sum(map(_a_command, sentence)) > 1  # "condense X, then add Y"
                for index, clause in enumerate(sentence):
                    if opens_question(opening(clause.words)) \
                            and FIRST_PERSON.isdisjoint(clause.words):
                        continue  # "what could go wrong with X?", not "...in my plan?"
                    found = self._clause_trigger(doc, clause.words, one_word=not steps)
                    if found is not None and not in_sentence(sentence, index, found[1]):
                        return found[0]
        return None

    def _clause_trigger(self, doc: int, typed: list[str],
                        one_word: bool) -> tuple[str, int] | None:
        """A trigger of skill `doc` at the command word of a clause (any trigger; one of a word
        only if `one_word`), or anywhere in a request or a question about the user's own things
        (a phrase of several words, not a verb and its article): its text and where it
        starts."""
        declared, by_first = self._declared(doc)
        found = [self._term(word) for word in typed]
        command = command_at(typed)
        anywhere = is_request(typed) or opening(typed)[0] in _WH  # "what are the risks in my"
        places = range(len(typed)) if anywhere else (command,)
        for at in places:
            for number in by_first.get(found[at], ()):
                trigger = declared[number]
                if at == command and trigger.word is not None:
                    if one_word and _verb_of(trigger, typed, found, at):
                        return trigger.text, at
                elif (at == command or not trigger.verb_only) and trigger.word is None \
                        and tuple(found[at:at + len(trigger.stems)]) == trigger.stems:
                    return trigger.text, at
        return None

    def _framed(self, segments: list[str]) -> tuple[int, str] | None:
        """The one skill a declared frame of which (`scoring.Frame`) a sentence of `segments`
        holds, each clause holding its words asking (`pai_tui.skills.mood`), and the frame;
        None when no skill's or several skills' frames are there."""
        if not self._frames:
            return None
        found: dict[int, str] = {}
        for segment in segments:
            typed = {self._term(word) for word in words(segment)}
            if not any(frame.found_in(typed) for _, frame in self._frames):
                continue
            for sentence in self._clauses(segment):
                held = [{self._term(word) for word in clause.words} for clause in sentence]
                every = set().union(*held)
                for doc, frame in self._frames:
                    if doc not in found and frame.found_in(every) and not any(
                            in_sentence(sentence, index)
                            for index, terms in enumerate(held) if frame.touches(terms)):
                        found[doc] = frame.text
        return next(iter(found.items())) if len(found) == 1 else None

    def _best_segment(self, segments: list[str]) -> SegmentScore | None:
        """The scores of the segment the scorer is surest about (None when no segment has a
        word to score), marked `mentioned` when it only mentions skills' words and that could
        change the decision."""
        best: tuple[SegmentScore, str] | None = None
        for segment in segments:
            query = self._query(segment)[:SEGMENT_WORDS]
            if not query:
                continue
            scored = self._scores(query, asks_about_the_world(words(segment)))
            if best is None or scored.confidence() > best[0].confidence():
                best = (scored, segment)
        if best is None:
            return None
        scored, segment = best
        if scored.totals and scored.confidence(relieved=True) >= self.settings.threshold:
            scored.mentioned = self._only_mentions(segment)
        return scored

    def _only_mentions(self, segment: str) -> bool:
        """Whether every clause of `segment` holding a skill's word (or a typo of one) only
        mentions it (`pai_tui.skills.mood`): "our red team won the match", "what is a mind
        map?"."""
        held: list[tuple[list[Clause], int]] = []
        for sentence in self._clauses(segment):
            for index, clause in enumerate(sentence):
                stemmed = (self._term(word) for word in clause.words if word not in STOPWORDS)
                if any(term in self._postings for term in stemmed):
                    held.append((sentence, index))
        return bool(held) and all(in_sentence(sentence, index) for sentence, index in held)

    def _ranked(self, totals: dict[int, float]) -> list[tuple[int, float]]:
        """The TOP_SCORES best (skill, score), best first, ties by name: the scores are cut at
        the TOP_SCORES-th best first (a thousand skills may have scored)."""
        cut = heapq.nlargest(TOP_SCORES, totals.values())[-1]
        return sorted(((doc, score) for doc, score in totals.items() if score >= cut),
                      key=lambda item: (-item[1], self._names[item[0]]))[:TOP_SCORES]

    def _settle(self, best: SegmentScore, doc: int, segments: list[str],
                text: str) -> tuple[float, Evidence | None, str]:
        """The confidence, the evidence if it was needed to settle it, and a note on how it was
        reached: words no skill knows weigh less when a trigger phrase of the best skill asks
        for it ("look up X and back it up with links"), or a sentence opens with a one-word
        trigger as its verb ("can you research X"): they are what the skill works on. A trigger
        phrase of several words that a clause asks for (`_commanded_trigger`) is enough."""
        sure = best.confidence()
        if best.mentioned:
            return sure, None, f" (x{MENTION_FACTOR}: the sentence only mentions skills' words)"
        if sure >= self.settings.threshold:
            return sure, None, ""
        commanded = self._commanded_trigger(doc, segments)
        if commanded is not None:
            return max(sure, self.settings.threshold), None, (
                f" (the trigger phrase \"{commanded}\" is what a clause asks for)")
        relieved = best.confidence(relieved=True)
        if relieved < self.settings.threshold:
            return sure, None, ""
        evidence = self._evidence(doc, segments, text)
        if not any(" " in trigger for trigger in evidence.triggers) \
                and not _commands(evidence.triggers, segments):
            return sure, evidence, ""
        return relieved, evidence, (f" (with a trigger phrase, words no skill knows count "
                                    f"x{TRIGGER_UNKNOWN_SHARE})")

    def score(self, text: str) -> RouteDecision:
        """The decision of the scorer alone (step 5), as if no rule matched. The best
        skill needs `Evidence` beyond its score, else the message is plain chat, unless a
        sentence holds a frame of one skill (`_framed`)."""
        segments = _segments(text)
        decision = self._scored(text, segments)
        if decision.skill is None and decision.how in ("chat", "model"):
            framed = self._framed(segments)
            if framed is not None:
                doc, frame = framed
                decision.skill, decision.how, decision.candidates = self._names[doc], "score", ()
                decision.reasons = (f"{self._names[doc]}: a sentence asks for it in the words "
                                    f"of its frame \"{frame}\"", *decision.reasons)
        return decision

    def _scored(self, text: str, segments: list[str]) -> RouteDecision:
        """The scorer's decision from BM25, the confidence and the evidence."""
        threshold = self.settings.threshold
        best = self._best_segment(segments)
        if best is None or not best.totals:
            why = "no words in the message match any skill" if best else \
                "no words to match (only stopwords or symbols)"
            return RouteDecision(None, "chat", text, reasons=(f"plain chat: {why}",),
                                 confidence=0.0, threshold=threshold)
        ranked = self._ranked(best.totals)
        scores = tuple((self._names[doc], round(score, 3)) for doc, score in ranked[:TOP_SCORES])
        top_name = scores[0][0]
        sure, evidence, note = self._settle(best, ranked[0][0], segments, text)
        known = {"scores": scores, "confidence": sure, "threshold": threshold}
        if sure >= threshold or self.settings.model_routing:
            evidence = evidence or self._evidence(ranked[0][0], segments, text)
            shortfall = evidence.shortfall()
            if shortfall is not None:
                versus = ">=" if sure >= threshold else "<"
                return RouteDecision(None, "chat", text, reasons=(
                    f"plain chat: best score {top_name}, confidence {sure:.2f}{note} {versus} "
                    f"threshold {threshold:.2f}, but {shortfall}",), **known)
            if sure >= threshold:
                return RouteDecision(top_name, "score", text, reasons=(
                    f"best score {top_name}, confidence {sure:.2f}{note} >= threshold "
                    f"{threshold:.2f}", evidence.describe()), **known)
        below = f"confidence {sure:.2f}{note} (best {top_name}) < threshold {threshold:.2f}"
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



def _commands(triggers: tuple[str, ...], segments: list[str]) -> bool:
    """Whether a sentence opens with one of the one-word `triggers` as its verb ("please
    summarize X", "can you research X"; not "my research on X", "research and development
    costs are...")."""
    single = {singular(trigger) for trigger in triggers if " " not in trigger}
    return bool(single) and any(
        _verb_at(sentence[0].words, single)
        for segment in segments for sentence in sentence_clauses(segment)[:1])


def _verb_at(clause: list[str], verbs: set[str]) -> bool:
    """Whether the clause's command word is one of `verbs` with an object after it (not
    "research and development costs are...": a noun)."""
    at = command_at(clause)
    return at < len(clause) and singular(clause[at]) in verbs and at + 1 < len(clause) \
        and clause[at + 1] not in _NOT_AN_OBJECT


_ARTICLES = frozenset({"the", "a", "an"})
# Questions that ask for something about the user's things ("what are the blind spots in my
# plan?"); a yes/no question ("did my mom mention...?") asks about a fact.
_WH = frozenset({"what", "whats", "which", "where", "how", "why"})
# After a word these make it a noun, not a command: "research and development costs are...".
_NOT_AN_OBJECT = FINITE | {"and", "or", "nor"}


def _verb_of(trigger: Trigger, typed: list[str], found: list[str], at: int) -> bool:
    """Whether the one-word `trigger` is the verb at `at`, with an object after it: the word
    as typed (or a typo of it), not before "and" or a verb ("research and development costs
    are...": a noun)."""
    if singular(typed[at]) != trigger.word and found[at] == stem(typed[at]):
        return False
    return at + 1 < len(typed) and typed[at + 1] not in _NOT_AN_OBJECT


def _a_command(clause: Clause) -> bool:
    """Whether a clause reads as a command: neither a statement, a question nor a phrase."""
    words = opening(clause.words)
    return bool(words) and not (is_statement(words) or opens_question(words)
                                or words[0] in PREPOSITIONS or words[0] in DETERMINERS)


def _with_articles(found: list[str], start: int, phrase: tuple[str, ...]) -> bool:
    """Whether `phrase` occurs at `start` with articles it lacks between its words: "what do
    the studies say" is the phrase "what do studies say", "give me the short version" is "give
    me short version". An article the phrase has must be there."""
    at = start
    for term in phrase:
        while at < len(found) and found[at] != term and found[at] in _ARTICLES \
                and at > start:
            at += 1
        if at >= len(found) or found[at] != term:
            return False
        at += 1
    return True


def _window(text: str) -> str:
    """What rules read of a message: its first 4,000 and last 1,000 characters."""
    if len(text) <= RULE_HEAD_CHARS + RULE_TAIL_CHARS:
        return text
    return text[:RULE_HEAD_CHARS] + "\n" + text[-RULE_TAIL_CHARS:]


def _segments(text: str) -> list[str]:
    """The first and the last sentence of a message (one when they are the same), each with
    the mark that ends it ("?", ":")."""
    clauses = _sentences(text[:RULE_HEAD_CHARS])
    first = next((s for s in clauses if WORD.search(s)), "")
    if len(text) > RULE_TAIL_CHARS:  # else the tail is the text, split already
        clauses = _sentences(text[-RULE_TAIL_CHARS:])
    last = next((s for s in reversed(clauses) if WORD.search(s)), "")
    return [first] if last == first or not last else [first, last]


def _sentences(text: str) -> list[str]:
    parts = _CLAUSE_END.split(text)
    return [parts[n] + (parts[n + 1].strip() if n + 1 < len(parts) else "")
            for n in range(0, len(parts), 2)]
