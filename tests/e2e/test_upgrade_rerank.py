"""The model's re-rank of the upgrade feed as a user meets it: `pai upgrade fetch` in a
subprocess, a loopback feed server, the loopback LLM server answering as scripted, the real
store (its spans are where the spending is read back from)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from pai_tui.paths import HomePaths, bundled
from pai_tui.upgrade.sources import read_sources
from tests.builders import corpus_dir
from tests.conftest import KEYS, TEST_KEYS, point_providers_at, run_pai
from tests.fakes.feed_server import FeedServer, Route
from tests.fakes.llm_server import FakeLLMServer, Reply

ENGINEERING = (corpus_dir() / "feeds" /
               "Olshansk__rss-feeds/feeds/feed_anthropic_engineering.xml").read_bytes()
BUNDLED = [s.name for s in read_sources(bundled("assets") / "upgrade" / "sources.toml", "b")]


@pytest.fixture
def feed(home: HomePaths) -> Iterator[FeedServer]:
    """One feed of 25 items, the user's only source, and two goals."""
    with FeedServer() as server:
        server.routes["/eng.xml"] = Route(ENGINEERING, etag='"1"')
        home.root.mkdir(parents=True, exist_ok=True)
        (home.root / "sources.toml").write_text(
            f"disabled = {json.dumps(BUNDLED)}\n\n"
            f'[[source]]\nname = "Eng"\nurl = "{server.url("/eng.xml")}"\n')
        (home.root / "telos").mkdir()
        (home.root / "telos" / "GOALS.md").write_text(
            "- G1: Better agents with tools\n  Keywords: claude, tool use\n"
            "- G2: Ship releases\n")
        yield server


def configure(home: HomePaths, llm: FakeLLMServer, upgrade: str = "", chat: str = "") -> None:
    point_providers_at(home, llm, extra=f"\n[upgrade]\n{upgrade}\n", chat=chat)


def fetch():  # type: ignore[no-untyped-def]
    result = run_pai("upgrade", "fetch", env=KEYS)
    assert result.returncode == 0, result.stderr
    return result


def listed() -> list[dict[str, Any]]:
    return json.loads(run_pai("upgrade", "list", "--json").stdout)


def rerank_spans(home: HomePaths) -> list[tuple[float | None, str]]:
    with sqlite3.connect(home.database) as db:
        rows = db.execute("SELECT cost, attributes FROM spans WHERE kind = 'model'").fetchall()
    return [(cost, attributes) for cost, attributes in rows
            if json.loads(attributes).get("pai.purpose") == "upgrade.rerank"]


def test_off_by_default_no_model_is_asked(home: HomePaths, feed: FeedServer,
                                          llm_server: FakeLLMServer) -> None:
    configure(home, llm_server)
    result = fetch()
    assert "model re-rank" not in result.stderr
    assert llm_server.requests == []
    assert not any(i["why"].startswith("model:") for i in listed())


def test_a_valid_answer_reorders_the_top_and_says_why(home: HomePaths, feed: FeedServer,
                                                      llm_server: FakeLLMServer) -> None:
    configure(home, llm_server)
    fetch()
    before = listed()[:10]  # the code's top ten, best first
    configure(home, llm_server, "model_rerank = true\nrerank_top = 10")
    answer = [{"item": i["id"], "goal": "G1", "relevance": 1, "why": "loosely about agents"}
              for i in before]
    answer[0] = {"item": before[0]["id"], "goal": None, "relevance": 0, "why": "not for you"}
    answer[-1] = {"item": before[-1]["id"], "goal": "G2", "relevance": 3,
                  "why": "a release process you can copy"}
    llm_server.queue(Reply(text=json.dumps(answer)))
    result = fetch()
    assert "model re-rank: 10 items judged, $0.0" in result.stderr
    after = listed()
    assert after[0]["id"] == before[-1]["id"]
    assert after[0]["why"].startswith("model: G2 (3/3) — a release process you can copy")
    assert after[0]["score"] == pytest.approx(before[-1]["score"] * 4, rel=1e-3)
    demoted = next(i for i in after if i["id"] == before[0]["id"])
    assert demoted["why"].startswith("model: - (0/3) — not for you")
    assert demoted["score"] == pytest.approx(before[0]["score"] / 4, rel=1e-3)
    # Within one relevance the code's order stands (its score breaks the tie).
    middle = [i["id"] for i in after if i["why"].startswith("model: G1 (1/3)")]
    assert middle == [i["id"] for i in before[1:-1]]

    sent = llm_server.requests[0]
    assert "relevance" in json.dumps(sent.body["system"])
    question = json.dumps(sent.messages)
    assert "G1: Better agents with tools" in question and f'\\"item\\": {before[0]["id"]}' in \
        question
    assert TEST_KEYS["anthropic"] not in question
    [(cost, _)] = rerank_spans(home)
    assert cost is not None and cost > 0

    again = fetch()  # judged once: a later ranking keeps the judgments, asks nothing
    assert "model re-rank: nothing new" in again.stderr
    assert len(llm_server.requests) == 1
    assert [i["id"] for i in listed()] == [i["id"] for i in after]


def test_a_malformed_answer_keeps_the_code_s_order_and_says_why(
        home: HomePaths, feed: FeedServer, llm_server: FakeLLMServer) -> None:
    configure(home, llm_server, "model_rerank = true")
    llm_server.queue(Reply(text="Sure! Here is my ranking: item 3 first."))
    result = fetch()
    assert ("model re-rank: the code's order stands (not JSON: Expecting value at line 1 "
            "column 1, $0.0") in result.stderr
    items = listed()
    assert not any(i["why"].startswith("model:") for i in items)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert len(llm_server.requests) == 1


def test_an_answer_naming_a_goal_not_in_the_telos_is_not_used(
        home: HomePaths, feed: FeedServer, llm_server: FakeLLMServer) -> None:
    configure(home, llm_server)
    fetch()
    top = listed()[0]
    configure(home, llm_server, "model_rerank = true")
    llm_server.queue(Reply(text=json.dumps(
        [{"item": top["id"], "goal": "G9", "relevance": 3, "why": "made up"}])))
    result = fetch()
    assert "the code's order stands ([0]: goal \"G9\" is not an id of the TELOS (G1, G2)" in \
        result.stderr
    assert listed()[0] == top


def test_the_daily_budget_stops_a_second_call(home: HomePaths, feed: FeedServer,
                                              llm_server: FakeLLMServer) -> None:
    configure(home, llm_server, "model_rerank = true\nrerank_budget_usd = 0.000001")
    llm_server.queue(Reply(text="not json"), Reply(text="[]"))
    fetch()  # spent nothing yet: asked (and the answer is not used, so the items stay new)
    second = fetch()
    assert "model re-rank: over budget ($0.0" in second.stderr
    assert "of $1e-06 spent today" in second.stderr
    assert len(llm_server.requests) == 1


def test_a_call_whose_cost_is_unknown_counts_as_over_budget(
        home: HomePaths, feed: FeedServer, llm_server: FakeLLMServer) -> None:
    configure(home, llm_server, "model_rerank = true", chat='provider = "anthropic"\n'
                                                          'model = "mystery-model-1"')
    llm_server.queue(Reply(text="not json"))
    first = fetch()
    assert "cost unknown" in first.stderr
    [(cost, _)] = rerank_spans(home)
    assert cost is None  # recorded as unknown, never as zero
    second = fetch()
    assert "model re-rank: over budget (a call today has an unknown cost)" in second.stderr
    assert len(llm_server.requests) == 1


def test_a_failed_call_keeps_the_code_s_order_and_says_why(
        home: HomePaths, feed: FeedServer, llm_server: FakeLLMServer) -> None:
    configure(home, llm_server, "model_rerank = true")
    llm_server.queue(Reply(status=400, error_message="max_tokens is too large"))
    result = fetch()
    assert "model re-rank: the code's order stands (" in result.stderr
    assert "max_tokens is too large" in result.stderr
    assert TEST_KEYS["anthropic"] not in result.stderr
    assert not any(i["why"].startswith("model:") for i in listed())
    [(cost, attributes)] = rerank_spans(home)
    assert json.loads(attributes)["error.type"] == "BadRequest"
    assert cost == 0  # refused before any token: nothing billed (a known zero, not unknown)
