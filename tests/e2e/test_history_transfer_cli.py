"""`pai history import / export / show` as a user runs them: counts and skipped items with their
position, a second import that adds nothing, the source shown, a JSONL export (sessions and
notes) that imports into another PAI_HOME, Markdown files, and clear errors for a missing or
broken file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from pai_tui.paths import HomePaths
from tests.conftest import run_pai
from tests.history_samples import FIXTURES, llm_logs


def test_import_twice_then_show(home: HomePaths) -> None:
    first = run_pai("history", "import", "chatgpt", str(FIXTURES / "chatgpt"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0].startswith(
        "chatgpt: 2 imported, 0 updated, 0 unchanged, 2 skipped; 12 messages added")
    assert "  skipped conversation 3: no 'mapping' (the conversation's messages)" in first.stdout
    again = run_pai("history", "import", "chatgpt", str(FIXTURES / "chatgpt" /
                                                        "conversations.json"))
    assert "0 imported, 0 updated, 2 unchanged" in again.stdout
    shown = run_pai("history", "show", "1")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "#1 Quokka facts · imported from chatgpt"
    assert "1 message on other branches (marked ⑂)" in shown.stdout
    assert any(line.startswith("⑂ [assistant · gpt-4]") for line in lines)
    data = json.loads(run_pai("history", "show", "1", "--json").stdout)
    assert data["source"] == "chatgpt" and len(data["messages"]) == 5
    assert [m["on_path"] for m in data["messages"]] == [True, False, True, True, True]


def test_dry_run_and_claude_code_default_folder(home: HomePaths, tmp_path: Path) -> None:
    fake_home = tmp_path / "user"
    (fake_home / ".claude").mkdir(parents=True)
    import shutil

    shutil.copytree(FIXTURES / "claude-code" / "projects", fake_home / ".claude" / "projects")
    dry = run_pai("history", "import", "claude-code", "--dry-run", env={"HOME": str(fake_home)})
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("claude-code: 3 would be imported")
    assert run_pai("history", "show", "1").returncode == 2  # nothing was written
    real = run_pai("history", "import", "claude-code", env={"HOME": str(fake_home)})
    assert real.stdout.startswith("claude-code: 3 imported")
    assert ".jsonl:13: not valid JSON" in real.stdout


def test_llm_default_path_follows_llm_user_path(home: HomePaths, tmp_path: Path) -> None:
    llm_logs(tmp_path / "logs.db")
    done = run_pai("history", "import", "llm", env={"LLM_USER_PATH": str(tmp_path)})
    assert done.stdout.startswith("llm: 3 imported"), done.stdout + done.stderr


def test_export_jsonl_imports_into_another_home(home: HomePaths, tmp_path: Path) -> None:
    run_pai("history", "import", "llm", str(llm_logs(tmp_path / "logs.db")))
    run_pai("notes", "add", "--kind", "decision", "Mulch with straw")
    out = tmp_path / "exports"
    done = run_pai("history", "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.parent == out and "exported 3 sessions, 1 note" in done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = {"PAI_HOME": str(tmp_path / "other-home")}
    moved = run_pai("history", "import", "jsonl", str(path), env=other)
    assert moved.stdout.startswith("jsonl: 3 imported"), moved.stdout + moved.stderr
    assert "\nnotes: 1 imported, 0 updated, 0 unchanged\n" in moved.stdout
    assert "Mulch with straw" in run_pai("notes", "list", env=other).stdout
    again = run_pai("history", "import", "jsonl", str(path), env=other).stdout
    assert "notes: 0 imported, 0 updated, 1 unchanged" in again
    shown = run_pai("history", "show", "1", env=other).stdout
    assert shown.startswith("#1 ") and "imported from llm" in shown


def test_export_markdown_one_session(home: HomePaths, tmp_path: Path) -> None:
    run_pai("history", "import", "claude", str(FIXTURES / "claude" / "conversations.json"))
    done = run_pai("history", "export", "--session", "2", "--format", "markdown", "--out",
                   str(tmp_path / "md"))
    assert done.returncode == 0, done.stderr
    [page] = (tmp_path / "md" / "history" / "sessions").rglob("*.md")
    assert page.name == "2025-03-03-100000_SESSION_name-a-bird-that-cannot-fly.md"
    assert page.read_text().startswith('---\ntype: "session"\nid: 2\n')
    missing = run_pai("history", "export", "--session", "99", "--out", str(tmp_path / "x"))
    assert missing.returncode == 2 and "no session 99" in missing.stderr


@pytest.mark.parametrize(("kind", "name", "expected"), [
    ("chatgpt", "nothing.json", "nothing.json: no such file"),
    ("claude", "broken.json", "not valid JSON after item 0"),
    ("llm", "broken.json", "not an SQLite database"),
])
def test_unreadable_files_say_what_and_where(home: HomePaths, tmp_path: Path, kind: str,
                                             name: str, expected: str) -> None:
    (tmp_path / "broken.json").write_text("[{\"uuid\": ")
    done = run_pai("history", "import", kind, str(tmp_path / name))
    assert done.returncode == 1 and expected in done.stderr
    assert "Traceback" not in done.stderr


def test_a_file_broken_part_way_keeps_and_counts_what_came_before(home: HomePaths,
                                                                 tmp_path: Path) -> None:
    text = (FIXTURES / "chatgpt" / "conversations.json").read_text()
    path = tmp_path / "conversations.json"
    path.write_text(text[: text.index('"title": "Chart of my data"')] + '"title": [')
    done = run_pai("history", "import", "chatgpt", str(path))
    assert done.returncode == 1
    assert done.stdout.startswith("chatgpt: 1 imported")
    assert "not valid JSON after item 1" in done.stderr and "Traceback" not in done.stderr
