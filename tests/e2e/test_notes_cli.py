"""`pai notes` as a user (or a script) uses it: add from the shell or stdin, list and show,
edit by superseding, forget and restore; clear refusals; JSON for scripts; found by
`pai history search --kind note`."""

from __future__ import annotations

import json

from pai_tui.history.migrations import LATEST
from pai_tui.paths import HomePaths
from tests.builders import build_schema
from tests.conftest import run_pai


def notes_json(*args: str) -> list[dict]:  # type: ignore[type-arg]
    done = run_pai("notes", "list", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_add_list_show_and_search() -> None:
    added = run_pai("notes", "add", "--kind", "learning", "--tag", "providers", "--telos",
                    "g1", "Retry 529s with backoff: the provider overloads at noon.")
    assert added.returncode == 0 and added.stdout.startswith("note 1 kept: Retry 529s")
    piped = run_pai("notes", "add", "--kind", "decision", input="Ship on Fridays\n\nBecause "
                                                                "weekends are quiet.\n")
    assert piped.returncode == 0, piped.stderr
    listed = notes_json()
    assert [(n["id"], n["kind"], n["title"], n["status"]) for n in listed] == [
        (2, "decision", "Ship on Fridays", "active"),
        (1, "learning", "Retry 529s with backoff: the provider overloads at noon.", "active")]
    assert listed[1]["tags"] == ["providers"] and listed[1]["telos"] == ["G1"]
    assert listed[0]["body"] == "Ship on Fridays\n\nBecause weekends are quiet."
    assert [n["id"] for n in notes_json("--kind", "decision")] == [2]
    shown = run_pai("notes", "show", "2")
    assert shown.stdout.splitlines()[0] == "decision 2: Ship on Fridays"
    assert "Because weekends are quiet." in shown.stdout
    found = json.loads(run_pai("history", "search", "weekends", "--kind", "note",
                               "--json").stdout)
    assert [(r["kind"], r["id"]) for r in found] == [("note", 2)]


def test_edit_supersedes_forget_and_restore() -> None:
    run_pai("notes", "add", "Use ruff for linting")
    edited = run_pai("notes", "edit", "1", "--title", "Use ruff and import-linter")
    assert edited.returncode == 0 and edited.stdout.strip() == (
        "note 2 supersedes note 1: Use ruff and import-linter")
    assert [n["id"] for n in notes_json()] == [2]
    everything = {n["id"]: (n["status"], n["superseded_by"]) for n in notes_json("--all")}
    assert everything == {1: ("superseded", 2), 2: ("active", None)}
    again = run_pai("notes", "edit", "1", "--title", "x")
    assert again.returncode == 1 and "note 1 is superseded by note 2" in again.stderr
    forgot = run_pai("notes", "forget", "2")
    assert forgot.returncode == 0 and "pai notes restore 2" in forgot.stdout
    assert notes_json() == [] and [n["id"] for n in notes_json("--forgotten")] == [2]
    assert json.loads(run_pai("history", "search", "ruff", "--json").stdout) == []
    assert run_pai("notes", "restore", "2").returncode == 0
    assert [n["id"] for n in notes_json()] == [2]


def test_refusals_say_what_is_wrong() -> None:
    missing = run_pai("notes", "show", "7")
    assert missing.returncode == 1 and "no note 7" in missing.stderr
    nothing = run_pai("notes", "edit", "1")
    assert nothing.returncode == 2 and "nothing to change" in nothing.stderr
    empty = run_pai("notes", "add", input="")
    assert empty.returncode == 2 and "what to remember?" in empty.stderr
    bad_kind = run_pai("notes", "add", "--kind", "gossip", "x")
    assert bad_kind.returncode == 2 and "gossip" in bad_kind.stderr


def test_a_command_says_each_step_of_a_migration_on_stderr(home: HomePaths) -> None:
    """A large history's migration takes minutes: the first command after an upgrade of pai
    says what it is doing, and its JSON stays clean."""
    home.root.mkdir(parents=True, exist_ok=True)
    build_schema(home.database, LATEST - 1)
    done = run_pai("notes", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert f"pai: history: migrating to schema v{LATEST} (1 of 1): " in done.stderr
    assert "backing up pai.db before migrating it" in done.stderr
