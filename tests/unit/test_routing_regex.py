"""A routing rule's regex can never freeze pai: rules run on an engine without backtracking
(RE2, linear in the message), a pattern it cannot run is refused when the table is loaded (a
finding with file:line, on `pai route`'s stderr and in `pai doctor`), and a turn routes off the
event loop. Python `re` syntax and meaning are kept where RE2 can: named groups, ignoring case,
Unicode words.

What would hang runs in a subprocess with a deadline, so that the defect is a failure, not a
hung test run (a Python regex holds the interpreter's lock: no thread can time it out)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pai_tui import events
from pai_tui.config import SkillsSettings, load_config
from pai_tui.llm.providers import ModelChoice
from pai_tui.paths import HomePaths
from pai_tui.skills.index import load_roots
from pai_tui.skills.router import Router
from pai_tui.skills.routing_table import RoutingTable
from pai_tui.skills.service import Skills
from pai_tui.turns.context import TurnContext
from pai_tui.turns.route import decide
from tests.conftest import REPO

DEADLINE = 30  # seconds; a fixed `pai route` answers in well under one
EVIL = "^(a+)+$"  # exponential backtracking on "aaa...b"
MESSAGE = "a" * 5000 + "b"


def write_skill(root: Path, name: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: Condense text. USE WHEN "
                                     f"{name}.\n---\n\nDo it.\n", encoding="utf-8")


def home_with_table(tmp_path: Path, table: str) -> Path:
    home = tmp_path / "home"
    write_skill(home / "skills", "summarize")
    write_skill(home / "skills", "research")
    (home / "routing.toml").write_text(table, encoding="utf-8")
    return home


def pai(*args: str, home: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pai_tui", *args], capture_output=True,
                          text=True, input=input, timeout=DEADLINE, cwd=REPO,
                          env={**os.environ, "PAI_HOME": str(home), "COLUMNS": "200"})


def router_for(tmp_path: Path, table: str) -> tuple[Router, Path]:
    root = tmp_path / "skills"
    write_skill(root, "summarize")
    write_skill(root, "research")
    path = tmp_path / "routing.toml"
    path.write_text(table, encoding="utf-8")
    return Router(load_roots([root]), table=RoutingTable.read(path),
                  settings=SkillsSettings()), path


# --- a catastrophic regex ----------------------------------------------------------------------

def test_pai_route_answers_despite_a_catastrophic_regex(tmp_path: Path) -> None:
    home = home_with_table(tmp_path, f"[[rule]]\nregex = '{EVIL}'\nskill = \"summarize\"\n")
    done = pai("route", home=home, input=MESSAGE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("plain chat")
    matched = pai("route", "a" * 5000, home=home)  # and the rule still works
    assert matched.stdout.startswith("summarize (rule)")


def test_the_evil_pattern_still_matches_as_in_python(tmp_path: Path) -> None:
    # (The message that hangs Python's `re` is only sent in a subprocess, above.)
    router, path = router_for(tmp_path, f"[[rule]]\nregex = '{EVIL}'\nskill = \"summarize\"\n")
    decision = router.route("A" * 5000)  # ignoring case, as before
    assert (decision.skill, decision.how) == ("summarize", "rule")
    assert f"{path}:1: rule 1: matched regex `{EVIL}`" in decision.reasons[0]


# --- Python's meaning kept ----------------------------------------------------------------------

def test_unicode_words_and_the_text_group_as_in_python(tmp_path: Path) -> None:
    router, _ = router_for(tmp_path, "[[rule]]\nregex = '^résumé\\s+(?P<text>\\w+)$'\n"
                                     "skill = \"summarize\"\n\n"
                                     "[[rule]]\nregex = '(?x)^ look \\s+ up \\s+ (?P<text>.+)'\n"
                                     "skill = \"research\"\n")
    decision = router.route("RÉSUMÉ\u00a0Zoë")
    assert (decision.skill, decision.text) == ("summarize", "Zoë")
    assert router.route("résumé naïve-thing").skill is None  # `-` is not a word character
    assert router.route("résumé \ud800").skill is None  # a lone surrogate from a bad paste
    looked = router.route("look up the café's hours")  # (?x): spaces in the pattern ignored
    assert (looked.skill, looked.text) == ("research", "the café's hours")


# --- patterns that cannot run without backtracking are refused at load ---------------------------

REFUSED = [
    ("^(?=.*urgent)sum", "a lookaround ((?=, (?!, (?<=, (?<!)"),
    ("(\\w+) \\1", "a backreference"),
]


@pytest.mark.parametrize(("pattern", "what"), REFUSED)
def test_a_pattern_needing_backtracking_is_a_finding_with_its_line(
        tmp_path: Path, pattern: str, what: str) -> None:
    router, path = router_for(tmp_path, "[[rule]]\nkeywords = [\"tl;dr\"]\nskill = \"summarize\"\n"
                                        f"\n[[rule]]\nskill = \"research\"\nregex = '{pattern}'\n")
    [finding] = router.findings
    assert (finding.path, finding.line, finding.severity) == (path, 7, "error")
    assert finding.message.startswith(f"rule 2, field 'regex': {pattern!r} uses {what}, which "
                                      f"routing regexes cannot use")
    assert [rule.label for rule in router.rules] == ["rule 1"]  # the other rules still work


def test_pai_route_and_doctor_show_the_refused_rule(tmp_path: Path) -> None:
    home = home_with_table(tmp_path, "[[rule]]\nregex = '(?<!not )urgent'\nskill = \"research\"\n")
    routed = pai("route", "this is urgent", home=home)
    assert routed.returncode == 0
    assert f"pai: {home / 'routing.toml'}:2: rule 1, field 'regex': " in routed.stderr
    doctor = pai("doctor", home=home)
    skills_row = " ".join(re.sub(r"[│┃|\s]+", " ", doctor.stdout).split(" Skills ")[1:])
    assert "routing table: " in skills_row and "rule 1, field 'regex': " in skills_row


# --- routing runs off the event loop -------------------------------------------------------------

class GatedRouter(Router):
    """A real router whose `route` first waits for the event loop to tick: on the loop itself
    it would wait for ever (bounded here by a deadline, which fails the test)."""

    gate: threading.Event

    def route(self, text: str):  # type: ignore[no-untyped-def]
        assert self.gate.wait(5), "routing blocked the event loop"
        return super().route(text)


async def test_a_turn_routes_off_the_event_loop(home: HomePaths, tmp_path: Path) -> None:
    home.ensure()
    config = load_config(home)
    skills = Skills(config)
    index, _ = skills.load()
    router = GatedRouter(index, config)
    router.gate = threading.Event()
    skills._loaded = index, router  # the same index, with the gated router

    async def tick() -> None:
        await asyncio.sleep(0)
        router.gate.set()

    ticker = asyncio.create_task(tick())
    ctx = TurnContext(session_id=1, turn_id=2, choice=ModelChoice("offline", "none"))
    decision, _ = await decide(skills, events.Bus(), ctx, "tl;dr this article", streamer=None)
    await ticker
    assert decision is not None and decision.skill == "summarize"


def test_the_bundled_regexes_match_what_python_matched() -> None:
    """Every bundled regex rule, on every labelled message (and their upper-case and
    trailing-newline forms): the same match, the same `text`, as Python's `re` gave."""
    from benchmarks.route_accuracy import HOLDOUT, read_labels
    from pai_tui.skills.routing_table import bundled_table_path

    rules = [rule for rule in RoutingTable.read(bundled_table_path()).rules if rule.regex]
    assert len(rules) >= 3
    messages = [label.message for label in read_labels() + read_labels(HOLDOUT)]
    messages += [m.upper() for m in messages] + [m + "\n" for m in messages]
    for rule in rules:
        assert rule.regex is not None
        python = re.compile(rule.regex.pattern, re.IGNORECASE)
        for message in messages:
            ours, theirs = rule.regex.search(message), python.search(message)
            assert (ours is None) == (theirs is None), (rule.label, message)
            if ours is not None and theirs is not None:
                assert ours.matched == theirs.group(0), (rule.label, message)


def test_the_public_wrapper_path_matches_the_fast_one() -> None:
    """Without the wrapper's compiled program at hand (another google-re2 version), the public
    `search` gives the same answers, character offsets and all."""
    from pai_tui.skills.regex import LinearRegex, compile_linear

    fast = compile_linear(r"^why is (?P<text>.+)\bso (?:expensive|dear)")
    slow = LinearRegex(fast.pattern, fast.translated, fast.engine, anchor=None)
    for message in ("Why is the café so dear?", "why is it cheap", "WHY IS Zoë so expensive"):
        assert fast.search(message) == slow.search(message), message
    assert fast.search("Why is the café so dear?").text == "the café "  # type: ignore[union-attr]


def test_the_first_matching_rule_is_the_first_in_order(tmp_path: Path) -> None:
    """All regex rules are asked at once first; the winner is still the earliest rule that
    matches anywhere, with its own match and `text`, as when each was tried in turn."""
    patterns = [r"later\s+(?P<text>\w+)", r"^(?:please\s+)?sum", r"\bword\b", r"(?P<text>é+)$"]
    table = "".join(f"[[rule]]\nregex = '{p}'\nskill = \"summarize\"\n\n" for p in patterns)
    router, _ = router_for(tmp_path, table)
    python = [re.compile(p, re.IGNORECASE) for p in patterns]
    for message in ("please sum this, later Zoë", "a word, then later naïve", "sum up: ÉÉé",
                    "nothing here", "word", "ééé\n", "please summarize the word"):
        expected = next(((n, m) for n, p in enumerate(python, 1) if (m := p.search(message))),
                        None)
        decision = router.route(message)
        if expected is None:
            assert decision.how != "rule", message
            continue
        number, match = expected
        assert f"rule {number}: matched regex" in decision.reasons[0], message
        assert f" on {match.group(0).strip()!r}" in decision.reasons[0], message
        text = match.groupdict().get("text")
        assert decision.text == (text.strip() if text is not None else message), message
