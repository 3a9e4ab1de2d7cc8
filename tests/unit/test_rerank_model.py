"""The model's re-rank answer is checked strictly: what is wrong is said with its place, and a
judgment changes the score and the explanation as the module documents."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from pai_tui import events, spans
from pai_tui.cockpit import Cockpit
from pai_tui.history.records import FeedItem, FeedItemRecord
from pai_tui.telos import TelosItem
from pai_tui.upgrade.rerank_model import (
    PURPOSE,
    InvalidAnswer,
    Judgment,
    adjusted,
    parse_answer,
    prompt,
)
from tests.fake_keys import fake_keys

ASKED, GOALS = {4, 7}, {"G1", "P2"}


def judged(*entries: object) -> list[Judgment]:
    return parse_answer(json.dumps(list(entries)), ASKED, GOALS)


def test_a_valid_answer_gives_one_judgment_per_item() -> None:
    assert judged({"item": 7, "goal": "P2", "relevance": 3, "why": "  fixes\n your problem "},
                  {"item": 4, "goal": None, "relevance": 0, "why": "unrelated",
                   "extra": "ignored"}) == [
        Judgment(7, "P2", 3, "fixes your problem"), Judgment(4, None, 0, "unrelated")]


def test_a_code_fence_around_the_json_is_tolerated() -> None:
    text = '```json\n[{"item": 4, "goal": "G1", "relevance": 2, "why": "useful"}]\n```'
    assert parse_answer(text, ASKED, GOALS) == [Judgment(4, "G1", 2, "useful")]


@pytest.mark.parametrize(("answer", "reason"), [
    ("I think item 4 matters most.", "not JSON: Expecting value at line 1 column 1"),
    ('{"item": 4}', "not a non-empty JSON array"),
    ("[]", "not a non-empty JSON array"),
    ('["G1"]', "[0] is not an object"),
    ('[{"item": 9, "goal": "G1", "relevance": 2, "why": "x"}]',
     "[0]: item 9 is not one of the items asked about (4, 7)"),
    ('[{"item": "4", "goal": "G1", "relevance": 2, "why": "x"}]', '[0]: item "4" is not one'),
    ('[{"item": 4, "goal": "G1", "relevance": 4, "why": "x"}]',
     "[0]: relevance 4 is not 0, 1, 2 or 3"),
    ('[{"item": 4, "goal": "G1", "relevance": 2.5, "why": "x"}]', "[0]: relevance 2.5 is not"),
    ('[{"item": 4, "goal": "G1", "relevance": true, "why": "x"}]', "[0]: relevance true is"),
    ('[{"item": 4, "goal": "G3", "relevance": 2, "why": "x"}]',
     '[0]: goal "G3" is not an id of the TELOS (G1, P2)'),
    ('[{"item": 4, "goal": null, "relevance": 2, "why": "x"}]', "[0]: goal null is not an id"),
    ('[{"item": 4, "goal": "G1", "relevance": 2}]', "[0]: why is missing"),
    ('[{"item": 4, "goal": "G1", "relevance": 2, "why": "%s"}]' % ("x" * 301),
     "[0]: why is longer than one line (301 characters)"),
    ('[{"item": 4, "goal": "G1", "relevance": 2, "why": "a"},'
     ' {"item": 4, "goal": "G1", "relevance": 1, "why": "b"}]', "item 4 is judged twice"),
])
def test_a_malformed_answer_is_refused_saying_what_is_wrong(answer: str, reason: str) -> None:
    with pytest.raises(InvalidAnswer) as refused:
        parse_answer(answer, ASKED, GOALS)
    assert str(refused.value).startswith(reason)


def test_relevance_multiplies_the_code_s_score_and_the_explanation_keeps_the_code_s() -> None:
    judgment = {"goal": "G1", "relevance": 3, "why": "adopt it"}
    assert adjusted(0.5, "G1 — agents", judgment) == (2.0, "model: G1 (3/3) — adopt it · "
                                                           "G1 — agents")
    assert adjusted(0.5, "", {"goal": None, "relevance": 0, "why": "no"}) == \
        (0.125, "model: - (0/3) — no")
    # Equal relevance: the code's order stands.
    one = {"goal": "G1", "relevance": 2, "why": "x"}
    assert adjusted(0.9, "", one)[0] > adjusted(0.8, "", one)[0]


def test_a_key_in_an_item_or_a_goal_is_not_sent_to_the_model(tmp_path: Path) -> None:
    key = fake_keys()["anthropic-key"]
    item = FeedItem("k1", None, "Release notes", None, f"set ANTHROPIC_API_KEY={key} to try",
                    None)
    record = FeedItemRecord(3, "Eng", item, datetime(2026, 1, 1), False, 1.0, "")
    goal = TelosItem("G1", "goal", f"Agents (my key is {key})", tmp_path / "GOALS.md", 1)
    said = prompt([record], [goal])
    assert key not in said and "[redacted anthropic-key]" in said
    assert '"item": 3' in said and "G1: Agents" in said


def test_today_s_spending_counts_an_unknown_cost_and_an_unfinished_call_as_unknown(
        cockpit: Cockpit) -> None:
    store = cockpit.history.open()
    purpose = {spans.PURPOSE: PURPOSE}

    def call(span_id: str, cost: float | None, ended: bool = True,
             attributes: dict[str, str] = purpose, session_id: int | None = None) -> None:
        start = events.SpanStarted(span_id, "t" * 32, None, "model", "chat m", session_id,
                                   dict(attributes))
        end = events.SpanEnded(span_id, "ok", {} if cost is None else {spans.COST: cost})
        store.record_spans([start], [end] if ended else [])

    call("a" * 16, 0.01)
    call("b" * 16, None)  # a model without prices
    call("c" * 16, 0.02, ended=False)  # pai was killed mid-call
    call("d" * 16, 0.5, attributes={})  # a chat answer's call: not this budget's
    assert sorted(store.purpose_costs(PURPOSE, 0.0), key=str) == [0.01, None, None]
    assert store.purpose_costs(PURPOSE, time.time() + 60) == []  # tomorrow counts afresh
