"""The explicit routes to a skill: routing.toml rules and the rows of PAI's SKILL.md tables.

The routing table is `$PAI_HOME/routing.toml` if it exists, else the bundled
`assets/routing.toml`: ordered `[[rule]]`s matching `keywords` or a `regex`, or defining a slash
command (`slash = "/redteam"`). A regex is written in Python's syntax and runs on RE2, in time
linear in the message (`pai_tui.skills.regex` says why); one that needs backtracking
(lookarounds, backreferences) is a bad rule. A bad rule is skipped, never fatal: each finding
names the file, the line, the rule and the field (tomllib keeps no positions, so `_RuleLines`
finds them). After the table's rules come the `| Workflow | Trigger | File |` rows of the
skills' SKILL.md (PAI's routing tables), in skill order, each quoted trigger a keyword phrase.

Keyword phrases match whole words in order, after the same light stemming the scorer uses
(`pai_tui.skills.text`); a rule with `match = "all"` needs every phrase, the default (`"any"`)
one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pai_tui.config import ConfigError, parse_toml
from pai_tui.paths import HomePaths, bundled, pai_home
from pai_tui.skills.model import Finding, Skill, skill_key
from pai_tui.skills.regex import LinearRegex, Unsupported, compile_linear
from pai_tui.skills.text import STOPWORDS, stems, words

RULE_FIELDS = ("slash", "keywords", "match", "regex", "skill", "workflow", "tool")
MATCHERS = ("slash", "keywords", "regex")
SPECIFIC_LETTERS = 4  # a phrase of stopwords alone needs this many letters ("tl;dr", "look up")

# --- the routing table -------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingRule:
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
    regex: LinearRegex | None = None  # run on RE2: linear in the message, never backtracks
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
    rules: list[RoutingRule] = field(default_factory=list)
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


def _rule(path: Path, index: int, raw: Any, lines: _RuleLines) -> RoutingRule:
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
        return RoutingRule(slash=skill_key(match.group(1)), **base)
    if "regex" in raw:
        return RoutingRule(regex=_regex(raw["regex"]), **base)
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
    return RoutingRule(phrases=tuple(phrases), match_all=mode == "all", **base)


def _regex(pattern: str) -> LinearRegex:
    """A rule's regex, compiled to run in linear time (`pai_tui.skills.regex`, RE2): Python's
    message for a bad pattern, and a refusal for one that needs backtracking."""
    try:
        return compile_linear(pattern, re.IGNORECASE)
    except re.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        raise _RuleProblem("regex", f"bad regular expression {pattern!r}: "
                                    f"{error.msg}{where}") from None
    except Unsupported as refused:
        raise _RuleProblem("regex", f"{pattern!r} uses {refused.what}, which routing regexes "
                                    f"cannot use: they run on RE2, which never backtracks, so "
                                    f"that no message can make routing hang") from None


# --- PAI tables inside SKILL.md ------------------------------------------------------------------

_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d')
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}|<[^>]*>")


def trigger_phrases(trigger: str) -> list[str]:
    """The phrases of a PAI trigger cell: its quoted strings, plus the unquoted rest split at
    commas, semicolons, " / " and "or" (placeholders like `[topic]` and remarks in parentheses
    dropped; a quoted phrase with a placeholder keeps its part before it: "investigate [topic]"
    is "investigate"). A phrase needs a word of three letters or more that is not a stopword,
    or several words (`_specific`): the "A" of "A/B test" or a lone "this" would match nearly
    every message."""
    phrases = [_BRACKETS.split(a or b)[0] for a, b in _QUOTED.findall(trigger)]
    rest = _BRACKETS.sub(" ", _QUOTED.sub(",", trigger))
    phrases += re.split(r"[,;|]|\s/\s|\bor\b", rest)
    phrases = [p.strip(" *`'.-") for p in phrases]
    return [p for p in phrases if _specific(words(p))]


def _specific(found: list[str]) -> bool:
    """Whether a phrase's words could name a request: one word of three letters or more that
    is not a stopword, or several words of four letters or more in all ("look up", "tl;dr",
    "know for sure"); not the "A" of "A/B test" nor a lone "this"."""
    if any(len(word) > 2 and word not in STOPWORDS for word in found):
        return True
    return len(found) > 1 and sum(map(len, found)) >= SPECIFIC_LETTERS


def table_rules(skill: Skill) -> list[RoutingRule]:
    rules = []
    for route in skill.routes:
        phrases = trigger_phrases(route.trigger)
        if phrases:
            name = route.workflow.strip(" *`") or None
            rules.append(RoutingRule(skill=skill.name, path=skill.path, line=None,
                              label=f"table row '{name}'", kind="table",
                              phrases=tuple(phrases), workflow=name))
    return rules


def find_row(rule: RoutingRule) -> int | None:
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

