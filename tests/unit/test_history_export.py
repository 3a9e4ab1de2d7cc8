"""`pai history export`: JSON Lines that import back into the same history (statuses, models,
tokens, unknown costs, steps and their answers, agents, branches, times), on SQLite and
PostgreSQL; Markdown in PAI's layout with YAML frontmatter; private files; no key ever leaves,
not even from rows written before pai redacted them."""

from __future__ import annotations

import stat
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from pai_tui.history import export
from pai_tui.history.imports import reader
from pai_tui.history.imports.writer import write
from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from tests.fake_keys import fake_keys
from tests.history_samples import FIXTURES


@pytest.fixture
def store(home: HomePaths, database_url: str) -> Store:
    opened, _, _ = Store.open(database_url, home.backups)
    yield opened  # type: ignore[misc]
    opened.close()


def a_history(store: Store) -> None:
    """Sessions as pai writes them: an answer with a step, priced and unpriced answers, a retry,
    an agent's run, a failed answer; and an imported ChatGPT tree."""
    session, _, answer = store.ask(None, "Plan my week", "anthropic", "claude-x",
                                   title="Week plan", system_prompt="Be terse")
    store.add_message(session.id, "step", "ran calendar", skill="plan/calendar",
                      parent_id=answer.id)
    store.update_message(answer.id, content="Monday: garden", status="complete",
                         input_tokens=120, output_tokens=40, cost=0.0021)
    store.rate(answer.id, 8)  # the user's rating travels too
    store.supersede_answers(session.id, answer.id - 1)
    _, _, retry = store.ask(session.id, "Again, shorter", "openai", "gpt-x",
                            agent="researcher", parent_id=answer.id)
    store.update_message(retry.id, content="Mon: garden", status="complete", input_tokens=9,
                         output_tokens=3, cost=None, output_estimated=True)
    _, _, failed = store.ask(None, "Will this fail?", "openai", "gpt-x", title="Failing")
    store.update_message(failed.id, status="error", error="the provider said 529")
    write(reader("chatgpt")(FIXTURES / "chatgpt" / "conversations.json"), store)


def shape(store: Store) -> list[dict[str, Any]]:
    """The history with ids replaced by positions: what a round trip must keep."""
    result = []
    for session, messages in store.export_sessions():
        position = {m.id: n for n, m in enumerate(messages)}
        rows = []
        for m in messages:
            row = asdict(m) | {"parent_id": position.get(m.parent_id or -1),
                               "reply_to": position.get(m.reply_to or -1)}
            for name in ("id", "session_id", "external_id", "content_hash"):
                row.pop(name)
            rows.append(row)
        head = asdict(session)
        for name in ("id", "source", "external_id", "content_hash"):
            head.pop(name)
        result.append({"session": head, "messages": rows})
    return sorted(result, key=lambda item: (item["session"]["created_at"],
                                            item["session"]["title"]))


def test_jsonl_round_trip_gives_the_same_history(store: Store, home: HomePaths,
                                                  tmp_path: Path) -> None:
    a_history(store)
    path, count = export.write_jsonl(export.records(store), tmp_path / "out")
    assert count == {"session": 4}
    other, _, _ = Store.open(sqlite_url(tmp_path / "other.db"), None)
    try:
        report = write(reader("jsonl")(path), other)
        assert (report.imported, report.skipped) == (4, [])
        assert shape(other) == shape(store)
        costs = [m.cost for s, ms in other.export_sessions() for m in ms if m.role == "assistant"]
        assert 0.0021 in costs and costs.count(None) == shape_costs(store).count(None) > 1
        sources = sorted(s.source or "" for s in other.list_sessions())
        assert sources == ["chatgpt", "chatgpt", "pai", "pai"]
        # Exported again from the copy, and imported again: nothing new anywhere.
        again, _ = export.write_jsonl(export.records(other), tmp_path / "again",
                                      now=datetime(2030, 1, 1))
        assert write(reader("jsonl")(again), other).unchanged == 4
        assert write(reader("chatgpt")(FIXTURES / "chatgpt" / "conversations.json"),
                     other).unchanged == 2  # the ChatGPT chats kept their first source
    finally:
        other.close()


def test_one_session_and_private_files(store: Store, tmp_path: Path) -> None:
    a_history(store)
    first = store.list_sessions()[-1]
    path, count = export.write_jsonl(export.records(store, first.id), tmp_path / "out")
    assert count == {"session": 1}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_markdown_in_pais_history_layout(store: Store, tmp_path: Path) -> None:
    a_history(store)
    root, count = export.write_markdown(export.records(store), tmp_path / "out")
    files = sorted(root.rglob("*.md"))
    assert count == {"session": 4} and len(files) == 4
    week = next(f for f in files if f.name.endswith("_SESSION_week-plan.md"))
    assert week.parent.parent.name == "sessions" and week.parent.parent.parent == root
    created = next(s for s in store.list_sessions() if s.title == "Week plan").created_at
    assert week.parent.name == created.strftime("%Y-%m")
    assert week.name.startswith(created.strftime("%Y-%m-%d-%H%M%S"))
    head, body = week.read_text().removeprefix("---\n").split("\n---\n", 1)
    front = yaml.safe_load(head)
    assert front["title"] == "Week plan" and front["messages"] == 5
    assert front["cost_usd"] is None  # one answer's price is unknown: no made-up total
    assert "> **plan/calendar** (complete)" in body and "Monday: garden" in body
    quokka = next(f for f in files if "quokka" in f.name)
    assert "· other branch" in quokka.read_text()
    for path in [*files, *(p for p in (tmp_path / "out").rglob("*") if p.is_dir())]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_keys_in_rows_from_before_redaction_never_leave(store: Store, tmp_path: Path) -> None:
    key = fake_keys()["openai-key"]
    session = store.create_session("old")
    with store.engine.begin() as conn:  # as an old pai wrote it: past the redacting column
        conn.execute(text(
            "INSERT INTO messages (session_id, role, content, status, input_tokens, "
            "output_tokens, cost, created_at, updated_at, output_estimated, superseded, "
            "on_path) VALUES (:s, 'user', :c, 'complete', 0, 0, 0, :t, :t, false, false, "
            "true)"), {"s": session.id, "c": f"my key {key}", "t": datetime(2025, 1, 1)})
    path, _ = export.write_jsonl(export.records(store), tmp_path / "j")
    root, _ = export.write_markdown(export.records(store), tmp_path / "m")
    texts = [path.read_text(), *(f.read_text() for f in root.rglob("*.md"))]
    assert all(key not in body and "[redacted openai-key]" in body for body in texts)


def test_a_pai_export_with_bad_lines_skips_them_by_line(store: Store, tmp_path: Path) -> None:
    a_history(store)
    path, _ = export.write_jsonl(export.records(store), tmp_path / "out")
    lines = path.read_text().splitlines()
    lines[1] = lines[1][:50]
    lines.append('{"kind": "note", "title": "later"}')
    lines.append('{"kind": "session", "uid": "x", "messages": [{"role": "robot"}]}')
    lines.append('{"kind": "feed_item", "title": "later"}')
    path.write_text("\n".join(lines) + "\n")
    report = write(reader("jsonl")(path), store)
    assert [(s.position, s.reason.split(" (")[0]) for s in report.skipped] == [
        (f"{path.name}:2", "not valid JSON"),
        (f"{path.name}:5", "note_kind None is not one of learning, decision, research, "
                           "preference"),
        (f"{path.name}:6", "message 1: role 'robot' is not one of user, assistant, system, "
                           "step"),
        (f"{path.name}:7", "kind 'feed_item': not one pai exports")]
    # The file came from this very database: the sessions whose lines could be read are
    # already here (pai's own one, and the ChatGPT ones imported before).
    assert (report.imported, report.unchanged) == (0, 3)


def shape_costs(store: Store) -> list[float | None]:
    return [m.cost for s, ms in store.export_sessions() for m in ms if m.role == "assistant"]


def test_an_export_imported_into_the_database_it_came_from_adds_nothing(
        store: Store, tmp_path: Path) -> None:
    a_history(store)
    before = shape(store)
    path, _ = export.write_jsonl(export.records(store), tmp_path / "out")
    report = write(reader("jsonl")(path), store)
    assert (report.imported, report.updated, report.unchanged) == (0, 0, 4)
    assert shape(store) == before


def test_notes_go_to_pais_folders_and_forgotten_ones_only_to_jsonl(store: Store,
                                                                    tmp_path: Path) -> None:
    from pai_tui.history.records import NoteDraft

    key = fake_keys()["github-token"]
    session = store.create_session("where it was learned")
    learned = store.add_note(NoteDraft("learning", "Water tomatoes at dawn", f"Less mildew. {key}",
                                       tags=("garden",), telos=("G2",), session_id=session.id))
    store.add_note(NoteDraft("decision", "Use cron, not systemd timers"))
    store.add_note(NoteDraft("research", "Quokka lifespans"))
    gone = store.add_note(NoteDraft("preference", "Answers in French"))
    store.forget_note(gone.id)
    root, count = export.write_markdown(export.records(store), tmp_path / "md")
    assert count == {"session": 1, "note": 3}
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*.md"))
    month = learned.created_at.strftime("%Y-%m")
    assert [n.split("/")[0] for n in names] == ["decisions", "learnings", "research", "sessions"]
    page = next(root.glob(f"learnings/{month}/*_LEARNING_water-tomatoes-at-dawn.md"))
    head, body = page.read_text().removeprefix("---\n").split("\n---\n", 1)
    front = yaml.safe_load(head)
    assert (front["type"], front["tags"], front["telos"], front["session"]) == (
        "learning", ["garden"], ["G2"], session.id)
    assert body == "\n# Water tomatoes at dawn\n\nLess mildew. [redacted github-token]\n"
    lines = export.write_jsonl(export.records(store), tmp_path / "j")[1]
    assert lines == {"session": 1, "note": 4}  # the forgotten one too: JSONL keeps everything
    only = export.write_jsonl(export.records(store, session.id), tmp_path / "one")[1]
    assert only == {"session": 1, "note": 1}  # a session's export: the notes learned in it
