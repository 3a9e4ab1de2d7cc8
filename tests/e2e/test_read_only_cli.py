"""The command line of a pai older than the database's schema (a newer pai on another machine
migrated it): the read commands work as usual; the write commands exit non-zero with one message
naming both schema versions and saying to upgrade pai, and change nothing. Real processes on
both dialects (the `database_url` fixture); `pai ask` has the loopback server as its provider,
which is never asked."""

from __future__ import annotations

import json

from pai_tui.history.migrations import LATEST
from pai_tui.history.records import NoteDraft
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths
from tests.conftest import KEYS, run_pai
from tests.fakes.llm_server import FakeLLMServer
from tests.other_pai import dump, newer_pai_migrates


def test_reads_work_and_writes_exit_non_zero_saying_to_upgrade(
        database_url: str, home: HomePaths, server: FakeLLMServer) -> None:
    store, _, _ = Store.open(database_url, home.backups)
    session, _, answer = store.ask(None, "how do axolotls regrow limbs?", "anthropic", "m",
                                   title="axolotls")
    store.update_message(answer.id, content="through a blastema", status="complete")
    note = store.add_note(NoteDraft("learning", "axolotls regrow", "through a blastema"))
    store.close()
    exported = run_pai("history", "export", "--out", str(home.root / "exports"))
    assert exported.returncode == 0, exported.stderr
    [jsonl] = (home.root / "exports").glob("*.jsonl")
    version = newer_pai_migrates(database_url)
    before = dump(database_url)

    found = run_pai("history", "search", "axolotls", "--json")
    assert found.returncode == 0, found.stderr
    assert {hit["kind"] for hit in json.loads(found.stdout)} == {"message", "note"}
    shown = run_pai("history", "show", str(session.id), "--json")
    assert shown.returncode == 0, shown.stderr
    assert "through a blastema" in shown.stdout
    listed = run_pai("notes", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [n["title"] for n in json.loads(listed.stdout)] == ["axolotls regrow"]
    status = run_pai("sync", "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["upgrade_needed"]

    for write in (("notes", "add", "--kind", "learning", "never kept"),
                  ("notes", "forget", str(note.id)),
                  ("history", "import", "jsonl", str(jsonl)),
                  ("ask", "--provider", "anthropic", "and newts?"),
                  ("upgrade", "fetch"),
                  ("daemon", "--once"),
                  ("daemon",)):  # it would run until stopped: it exits at once
        done = run_pai(*write, env=KEYS)
        said = done.stdout + done.stderr
        assert done.returncode != 0, (write, said)
        assert f"schema version {version}, newer than this pai knows ({LATEST})" in said, \
            (write, said)
        assert "upgrade pai (pip install -U pai-tui)" in said, (write, said)
        assert "Traceback" not in said, (write, said)
    assert server.requests == []  # nothing was asked: the question could not be kept
    assert dump(database_url) == before
