"""`pai history search` as a script uses it: results best first with kind, id, session,
snippet and score; filters; no match is exit 0 with `[]`; text from outside printed literally.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from pai_tui.history.models import utcnow
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths
from tests.conftest import run_pai

pytestmark = pytest.mark.usefixtures("database_url")


def fill(home: HomePaths, database_url: str) -> dict[str, int]:
    store, _, _ = Store.open(database_url, home.backups)
    session = store.create_session("export")
    asked = store.add_message(session.id, "user", "How do I export my history to markdown?")
    answered = store.add_message(session.id, "assistant",
                                 "Exporting: pai history export --format markdown \x1b[2J")
    _, _, run = store.ask(None, "Design the feature", "anthropic", "m", agent="architect")
    store.update_message(run.id, content="The export design is ready.", status="complete")
    store.close()
    return {"asked": asked.id, "answered": answered.id, "run": run.id,
            "session": session.id}


def test_search_prints_json_best_first_with_the_contract_fields(
        home: HomePaths, database_url: str) -> None:
    ids = fill(home, database_url)
    done = run_pai("history", "search", "export", "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [(r["kind"], r["id"]) for r in results][:1] == [("message", ids["asked"])]
    assert {(r["kind"], r["id"]) for r in results} == {
        ("message", ids["asked"]), ("message", ids["answered"]), ("agent", ids["run"])}
    assert all({"kind", "id", "session", "snippet", "score"} <= set(r) for r in results)
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    first = results[0]
    assert first["session"] == ids["session"]
    assert [first["snippet"][a:b].lower() for a, b in first["highlights"]] == ["export"]


def test_filters_and_no_match(home: HomePaths, database_url: str) -> None:
    ids = fill(home, database_url)
    agent = json.loads(run_pai("history", "search", "export", "--kind", "agent",
                               "--json").stdout)
    assert [r["id"] for r in agent] == [ids["run"]]
    future = (utcnow() + timedelta(days=1)).date().isoformat()
    later = run_pai("history", "search", "export", "--since", future, "--json")
    assert (later.returncode, json.loads(later.stdout)) == (0, [])
    nothing = run_pai("history", "search", "wombat", "--json")
    assert (nothing.returncode, nothing.stdout.strip()) == (0, "[]")
    bad = run_pai("history", "search", "x", "--since", "yesterday")
    assert bad.returncode == 2 and "'yesterday': not a date" in bad.stderr


def test_text_lists_results_literally(home: HomePaths, database_url: str) -> None:
    fill(home, database_url)
    done = run_pai("history", "search", "markdown")
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "--format markdown" in done.stdout
    assert "session" in done.stdout

