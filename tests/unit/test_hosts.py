"""Every row records the host that wrote it (`this_host()`: $PAI_HOST, else the machine's
name), whichever way it was written, on both dialects."""

from __future__ import annotations

import socket
from datetime import datetime

import pytest
from sqlalchemy import text

from pai_tui import events
from pai_tui.history.hosts import this_host
from pai_tui.history.records import FeedItem, NoteDraft, ProposalDraft
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths


def test_this_host_is_the_machines_name_unless_pai_host_says(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAI_HOST", raising=False)
    assert this_host() == socket.gethostname()
    monkeypatch.setenv("PAI_HOST", "  laptop ")
    assert this_host() == "laptop"
    monkeypatch.setenv("PAI_HOST", "x" * 300)
    assert this_host() == "x" * 255  # as long as the column


def test_every_kind_of_row_records_its_host(database_url: str, home: HomePaths,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAI_HOST", "gamma")
    store, _, _ = Store.open(database_url, home.backups)
    try:
        session, _, answer = store.ask(None, "q", "anthropic", "m", title="t")
        store.add_message(session.id, "assistant", "a step", parent_id=answer.id)
        store.add_note(NoteDraft("learning", "a note"))
        store.add_feed_items("src", [FeedItem("k", None, "item", None, "", datetime(2026, 1, 1))])
        store.add_proposal(ProposalDraft(None, "p", "r", "d", None, "me"), "proposed", "drafted")
        store.record_spans([events.SpanStarted("s1", "t1", None, "chat", "chat m", session.id,
                                               {})], [])
        monkeypatch.setenv("PAI_HOST", "delta")  # a second pai on another machine
        store.begin_session("from delta", "hello")
        with store.engine.connect() as conn:
            found = {table: sorted(row[0] for row in conn.execute(
                text(f"SELECT host FROM {table}")))
                for table in ("sessions", "messages", "notes", "feed_items", "proposals",
                              "spans")}
    finally:
        store.close()
    assert found == {"sessions": ["delta", "gamma"], "messages": ["delta", "gamma", "gamma",
                                                                 "gamma"],
                     "notes": ["gamma"], "feed_items": ["gamma"], "proposals": ["gamma"],
                     "spans": ["gamma"]}
