"""The bundled skills' tools, run for real as pai runs them (subprocesses, real files in tmp
folders, a real git repository, the real openai SDK against a loopback Images server)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pai_tui.paths import HomePaths, bundled
from pai_tui.skills.index import read_skill
from pai_tui.skills.tools import help_text, tool_help, tools_of
from pai_tui.skills.validate import validate
from tests.fakes.images_server import PNG, FakeImagesServer

SKILLS = bundled("skills")
TOOLS = {  # the plan's table: skill -> its tools (safe ones marked)
    "art": {"image": False, "mermaid": True},
    "create-skill": {"scaffold_skill": False},
    "development": {"scaffold": True, "worktree": False},
    "lifelog": {"ingest": False},
    "research": {"sources": True},
    "summarize": {"chunk": True, "wordcount": True},
    "telos": {"telos": False},
}
ALL_TOOLS = [(skill, name) for skill, tools in TOOLS.items() for name in tools]


def run(skill: str, tool: str, *args: str, input: str | None = None,
        env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    """The tool as pai runs it: pai's Python, PAI_SKILL_DIR and PAI_PYTHON set."""
    folder = SKILLS / skill
    return subprocess.run(
        [sys.executable, str(folder / "tools" / f"{tool}.py"), *args], input=input,
        capture_output=True, text=True, timeout=60, cwd=cwd,
        env={**os.environ, "PAI_SKILL_DIR": str(folder), "PAI_PYTHON": sys.executable,
             **(env or {})})


def test_each_skill_has_the_tools_of_the_plan() -> None:
    for skill_name, expected in TOOLS.items():
        skill = read_skill(SKILLS / skill_name / "SKILL.md", SKILLS)
        assert {t.name: t.safe for t in tools_of(skill)} == expected, skill_name
        assert all(t.runnable for t in tools_of(skill))
    art = read_skill(SKILLS / "art" / "SKILL.md", SKILLS)
    assert art.needs_keys == ("OPENAI_API_KEY",)


@pytest.mark.parametrize(("skill", "tool"), ALL_TOOLS)
def test_help_describes_the_tool(skill: str, tool: str) -> None:
    done = run(skill, tool, "--help")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith(f"usage: {tool}")
    assert len(done.stdout.splitlines()) >= 4  # a description and options, not just usage
    [found] = [t for t in tools_of(read_skill(SKILLS / skill / "SKILL.md", SKILLS))
               if t.name == tool]
    assert tool_help(found).problem is None and help_text(found) == done.stdout.strip()


@pytest.mark.parametrize(("skill", "tool", "args"), [
    ("art", "mermaid", ["--kind", "pie"]),
    ("summarize", "chunk", ["--words", "0"]),
    ("summarize", "wordcount", ["--wpm", "x"]),
    ("telos", "telos", ["paint", "x"]),
    ("development", "scaffold", ["--dir", "x"]),
    ("create-skill", "scaffold_skill", ["Not_A_Name", "--description", "x"]),
    ("art", "image", ["a cat", "--out", "x.png", "--size", "huge"]),
])
def test_bad_usage_exits_2_with_a_message(skill: str, tool: str, args: list[str],
                                          tmp_path: Path) -> None:
    done = run(skill, tool, *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert f"{tool}: error: " in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


# --- research / summarize ------------------------------------------------------------------

def test_sources_dedupes_and_numbers_in_order() -> None:
    text = ("See https://Example.com/a/?utm_source=x&id=3 and (https://en.wikipedia.org/wiki/"
            "Foo_(bar)). Again http://www.example.com/a?id=3#top, doi:10.1000/xyz123. and "
            "https://doi.org/10.1000/xyz123; arXiv:2301.00001v2 = "
            "https://arxiv.org/abs/2301.00001v2. Plain https://x.org/p?q=a%20b.")
    done = run("research", "sources", input=text)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "1. https://Example.com/a/?id=3",
        "2. https://en.wikipedia.org/wiki/Foo_(bar)",
        "3. https://doi.org/10.1000/xyz123",
        "4. https://arxiv.org/abs/2301.00001v2",
        "5. https://x.org/p?q=a%20b",
    ]
    listed = json.loads(run("research", "sources", "--json", input=text).stdout)
    assert [(s["n"], s["mentions"]) for s in listed] == [(1, 2), (2, 1), (3, 2), (4, 2), (5, 1)]
    assert run("research", "sources", input=text).stdout == done.stdout  # deterministic


def test_sources_says_when_there_are_none(tmp_path: Path) -> None:
    done = run("research", "sources", input="no links here")
    assert (done.returncode, done.stdout) == (0, "")
    assert "no URL, DOI or arXiv id found" in done.stderr
    missing = run("research", "sources", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_wordcount_counts_words_lines_and_reading_time() -> None:
    text = "one two three\nfour five\n\n" + "word " * 500
    done = run("summarize", "wordcount", "--json", input=text)
    assert json.loads(done.stdout) == {"words": 505, "lines": 4, "characters": len(text),
                                       "reading_minutes": 3}  # 505 / 238, rounded up
    plain = run("summarize", "wordcount", "--wpm", "100", input=text).stdout
    assert plain.splitlines() == ["words: 505", "lines: 4", f"characters: {len(text)}",
                                  "reading time: 6 min at 100 words/min"]
    assert json.loads(run("summarize", "wordcount", "--json", input="").stdout) == {
        "words": 0, "lines": 0, "characters": 0, "reading_minutes": 0}


def test_chunk_splits_between_words_keeping_line_breaks() -> None:
    text = "one two three\nfour five\n\nsix seven eight nine ten eleven\n"
    done = run("summarize", "chunk", "--words", "4", input=text)
    assert done.returncode == 0
    assert done.stdout == ("--- chunk 1/3 (words 1-4) ---\none two three\nfour\n"
                           "--- chunk 2/3 (words 5-8) ---\nfive\n\nsix seven eight\n"
                           "--- chunk 3/3 (words 9-11) ---\nnine ten eleven\n")
    parts = json.loads(run("summarize", "chunk", "--words", "4", "--json", input=text).stdout)
    assert [(p["first_word"], p["last_word"]) for p in parts] == [(1, 4), (5, 8), (9, 11)]
    assert " ".join(" ".join(p["text"].split()) for p in parts) == " ".join(text.split())
    empty = run("summarize", "chunk", input="   \n")
    assert empty.returncode == 1 and "no words" in empty.stderr


# --- art -----------------------------------------------------------------------------------

FLOW = """Start
Is it raining?
  yes: Take umbrella
  no: Wear "sunglasses" <cool>
Go outside
Tired?
  yes: Start
  no: End
"""


def test_mermaid_flowchart() -> None:
    done = run("art", "mermaid", "--kind", "flowchart", input=FLOW)
    assert done.returncode == 0
    assert done.stdout == """flowchart TD
  n1(["Start"])
  n2{"Is it raining?"}
  n3["Take umbrella"]
  n4["Wear #quot;sunglasses#quot; #lt;cool#gt;"]
  n5["Go outside"]
  n6{"Tired?"}
  n7(["End"])
  n1 --> n2
  n2 -->|yes| n3
  n2 -->|no| n4
  n3 --> n5
  n4 --> n5
  n5 --> n6
  n6 -->|yes| n1
  n6 -->|no| n7
"""
    assert run("art", "mermaid", "--kind", "flowchart", input=FLOW).stdout == done.stdout


def test_mermaid_mindmap() -> None:
    outline = "- Project\n  - Goals\n    - Ship (v1)\n  - Risks\n    - Time; money\n"
    done = run("art", "mermaid", "--kind", "mindmap", "--fence", input=outline)
    assert done.stdout == """```mermaid
mindmap
  root(("Project"))
    Goals
      n3["Ship (v1)"]
    Risks
      n5["Time#59; money"]
```
"""


def test_mermaid_sequence() -> None:
    outline = "Browser -> Web server: GET /\nWeb server --> Browser: 200 OK\nBrowser -> Browser\n"
    done = run("art", "mermaid", "--kind", "sequence", input=outline)
    assert done.stdout == """sequenceDiagram
  participant Browser
  participant P2 as Web server
  Browser->>P2: GET /
  P2-->>Browser: 200 OK
  Browser->>Browser:
"""


@pytest.mark.parametrize(("kind", "outline", "message"), [
    ("mindmap", "A\n  B\nC\n", "line 3: a mindmap has one root (line 1)"),
    ("sequence", "A -> B: hi\nhello\n", "line 2: expected `Sender -> Receiver: message`"),
    ("flowchart", "A\n    B\n  C\n", "line 3: indentation (2 spaces) matches neither"),
    ("flowchart", "Ok?\n  yes:\n", "line 2: the branch 'yes' names no step"),
    ("flowchart", "\n\n", "line 1: the outline is empty"),
])
def test_mermaid_names_the_bad_line(kind: str, outline: str, message: str) -> None:
    done = run("art", "mermaid", "--kind", kind, input=outline)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"mermaid: {message}")


def test_image_writes_the_generated_png(tmp_path: Path) -> None:
    with FakeImagesServer() as server:
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-test-images-0000"}
        done = run("art", "image", "a red dot, flat", "--out", "art/dot.png",
                   "--size", "1536x1024", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "art/dot.png"
        assert (tmp_path / "art" / "dot.png").read_bytes() == PNG
        [request] = server.requests
        assert request.path == "/v1/images/generations"
        assert request.headers["authorization"] == "Bearer sk-test-images-0000"
        assert request.body == {"model": "gpt-image-1", "prompt": "a red dot, flat",
                                "size": "1536x1024", "n": 1}

        again = run("art", "image", "x", "--out", "art/dot.png", env=env, cwd=tmp_path)
        assert again.returncode == 1 and "exists" in again.stderr and len(server.requests) == 1

        run("art", "image", "x", "--out", "old.png", "--model", "dall-e-3", env=env,
            cwd=tmp_path)
        assert server.requests[-1].body["response_format"] == "b64_json"


def test_image_reports_api_errors_and_keeps_no_partial_file(tmp_path: Path) -> None:
    with FakeImagesServer() as server:
        server.status, server.error = 400, "Your prompt was flagged."
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-test-images-0000"}
        done = run("art", "image", "x", "--out", "x.png", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "image: the Images API refused (400): Your prompt was flagged."
    assert "sk-test-images" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_image_without_a_key_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run([sys.executable, str(SKILLS / "art/tools/image.py"), "x", "--out",
                           "x.png"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "OPENAI_API_KEY is not set" in done.stderr and "secrets.toml" in done.stderr


def test_image_answer_without_image_data_is_an_error(tmp_path: Path) -> None:
    with FakeImagesServer() as server:
        server.b64_json = "this is not base64!"
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-test-images-0000"}
        done = run("art", "image", "x", "--out", "x.png", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "image: the Images API answered with data that is not base64"
    assert list(tmp_path.iterdir()) == []


def test_image_names_a_server_it_cannot_reach(tmp_path: Path) -> None:
    with FakeImagesServer() as server:
        url = server.url  # closed when the block ends: nothing listens there any more
    env = {"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "sk-test-images-0000"}
    done = run("art", "image", "x", "--out", "x.png", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert f"cannot reach the Images API at {url}/" in done.stderr


# --- development ---------------------------------------------------------------------------

def test_scaffold_fills_the_templates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "specs" / "login"
    done = run("development", "scaffold", "--dir", str(target), "--title", "Passwordless  login",
               "--date", "2025-03-04")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(target / n) for n in ("spec.md", "plan.md",
                                                                   "tasks.md")]
    for name in ("spec", "plan", "tasks"):
        text = (target / f"{name}.md").read_text()
        template = (SKILLS / "development" / "templates" / f"{name}.md").read_text()
        assert text == template.replace("{{title}}", "Passwordless login").replace(
            "{{date}}", "2025-03-04")
        assert "{{" not in text
    (target / "spec.md").write_text("my edits")
    refused = run("development", "scaffold", "--dir", str(target), "--title", "Other")
    assert refused.returncode == 1 and "refusing to overwrite" in refused.stderr
    assert str(target / "spec.md") in refused.stderr
    assert (target / "spec.md").read_text() == "my edits"
    assert "Other" not in (target / "plan.md").read_text()  # none written, not just spec.md
    forced = run("development", "scaffold", "--dir", str(target), "--title", "Other", "--force")
    assert forced.returncode == 0 and "# Spec: Other" in (target / "spec.md").read_text()


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                          cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def test_worktree_creates_a_branch_and_folder_beside_the_repo(tmp_path: Path) -> None:
    repo = tmp_path / "proj"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    (repo / "a.txt").write_text("one\n")
    git("add", ".", cwd=repo)
    git("commit", "-q", "-m", "first", cwd=repo)
    first = git("rev-parse", "HEAD", cwd=repo)
    (repo / "a.txt").write_text("two\n")
    git("commit", "-q", "-am", "second", cwd=repo)

    done = run("development", "worktree", "try-parser", "--repo", str(repo), "--base", first)
    assert done.returncode == 0, done.stderr
    made = tmp_path / "proj-try-parser"
    assert done.stdout.strip() == str(made)
    assert (made / "a.txt").read_text() == "one\n"  # from --base
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=made) == "try-parser"
    assert str(made) in git("worktree", "list", cwd=repo)
    assert (repo / "a.txt").read_text() == "two\n"  # the main checkout untouched

    again = run("development", "worktree", "try-parser", "--repo", str(repo))
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = run("development", "worktree", "bad..name", "--repo", str(repo))
    assert bad.returncode == 1 and "not a valid branch name" in bad.stderr
    nobase = run("development", "worktree", "x", "--repo", str(repo), "--base", "nope")
    assert nobase.returncode == 1 and "'nope' names no commit" in nobase.stderr
    (tmp_path / "plain").mkdir()
    norepo = run("development", "worktree", "x", "--repo", str(tmp_path / "plain"))
    assert norepo.returncode == 1 and "is not inside a git repository" in norepo.stderr

    listed = json.loads(run("development", "worktree", "exp2", "--repo", str(repo),
                            "--json").stdout)
    assert listed["branch"] == "exp2" and listed["commit"] == git("rev-parse", "HEAD", cwd=repo)


# --- lifelog -------------------------------------------------------------------------------

VTT = """WEBVTT
Kind: captions

NOTE a note
over two lines

intro
00:00:01.000 --> 00:00:04.000 align:start
<v Alice>Good morning everyone.

00:00:04.000 --> 00:00:06.000
<v Bob>Morning! <00:00:05.000><c>Let's start.</c>
"""
SRT = ("1\r\n00:00:01,000 --> 00:00:02,500\r\nHello there.\r\n\r\n"
       "2\r\n00:00:02,500 --> 00:00:04,000\r\nHello there.\r\nHow are you?\r\n")


def test_lifelog_ingest_strips_timings_and_is_idempotent(home: HomePaths, tmp_path: Path) -> None:
    source = tmp_path / "recordings"
    source.mkdir()
    (source / "2024-05-01-standup.vtt").write_text(VTT)
    (source / "call.srt").write_text(SRT, newline="")
    (source / "notes.txt").write_text("Plain notes about the day.\n")
    (source / "ignored.wav").write_bytes(b"RIFF")
    stamp = 1717338600  # 2024-06-02 14:30 UTC
    for name in ("call.srt", "notes.txt", "2024-05-01-standup.vtt"):
        os.utime(source / name, (stamp, stamp))
    env = {"TZ": "UTC"}

    first = run("lifelog", "ingest", "--from", str(source), env=env)
    assert first.returncode == 0, first.stderr
    assert "3 ingested, 0 already ingested" in first.stderr
    lifelog = home.root / "lifelog"
    may = (lifelog / "2024-05-01.md").read_text()
    assert may == (f"# Lifelog 2024-05-01\n\n## 14:30 · 2024-05-01-standup.vtt\n\n"
                   f"Source: {source / '2024-05-01-standup.vtt'}\n\n"
                   "Alice: Good morning everyone.\nBob: Morning! Let's start.\n")
    june = (lifelog / "2024-06-02.md").read_text()
    assert june.count("\n## ") == 2
    assert "## 14:30 · call.srt" in june and "Hello there.\nHow are you?\n" in june
    assert "-->" not in june and "00:00" not in june.replace("14:30", "")
    assert "Plain notes about the day." in june

    second = run("lifelog", "ingest", "--from", str(source), env=env)
    assert second.returncode == 0 and second.stdout == ""
    assert "0 ingested, 3 already ingested" in second.stderr
    assert (lifelog / "2024-06-02.md").read_text() == june

    (source / "late.md").write_text("A new memo.\n")
    os.utime(source / "late.md", (stamp, stamp))
    (source / "copy-of-notes.txt").write_text("Plain notes about the day.\n")  # same content
    third = run("lifelog", "ingest", "--from", str(source), env=env)
    assert third.stdout.strip() == f"late.md -> {lifelog / '2024-06-02.md'}"
    assert (lifelog / "2024-06-02.md").read_text().count("\n## ") == 3
    state = json.loads((lifelog / ".ingested.json").read_text())
    assert len(state) == 4 and {Path(v["source"]).name for v in state.values()} == {
        "2024-05-01-standup.vtt", "call.srt", "notes.txt", "late.md"}


def test_lifelog_an_unreadable_file_does_not_stop_the_others(home: HomePaths,
                                                            tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "a-unreadable.txt").symlink_to("/proc/self/mem")  # reading it fails, even as root
    (source / "b.txt").write_text("Kept.\n")
    preview = run("lifelog", "ingest", "--from", str(source), "--dry-run")
    assert preview.stdout.startswith("would ingest: b.txt -> ")
    assert not (home.root / "lifelog").exists()  # a dry run writes nothing
    done = run("lifelog", "ingest", "--from", str(source))
    assert done.returncode == 1
    assert "ingest: cannot read a-unreadable.txt: Input/output error" in done.stderr
    assert "1 ingested, 0 already ingested, 1 unreadable" in done.stderr
    [day] = (home.root / "lifelog").glob("*.md")
    assert "Kept." in day.read_text()


def test_lifelog_ingest_refuses_a_missing_folder(tmp_path: Path) -> None:
    done = run("lifelog", "ingest", "--from", str(tmp_path / "nope"))
    assert done.returncode == 2 and f"no folder {tmp_path / 'nope'}" in done.stderr


# --- telos ---------------------------------------------------------------------------------

def test_telos_backs_up_logs_and_keeps_other_sections(home: HomePaths) -> None:
    folder = home.root / "telos"
    folder.mkdir(parents=True)
    original = ("# My telos\nintro\n## Mission ##\nBe kind.\n\n\n## Goals\n- run\n```\n"
                "## not a heading\n```\n## Notes\nkeep   this   \n")
    (folder / "TELOS.md").write_text(original)

    done = run("telos", "telos", "add", "goals", "Learn Rust\nwith a project")
    assert done.returncode == 0, done.stderr
    text = (folder / "TELOS.md").read_text()
    # An entry of Goals gets the next goal id: pai ranks the upgrade feed against G1, G2...
    assert "## Goals\n\n- run\n```\n## not a heading\n```\n- G1: Learn Rust\n  with a project\n" \
        in text
    assert "## Mission ##\nBe kind.\n\n\n## Goals" in text  # untouched sections stay as written
    assert text.endswith("## Notes\nkeep   this   \n")
    [backup] = (folder / "backups").iterdir()
    assert backup.read_text() == original
    assert re.fullmatch(r"TELOS-\d{8}-\d{6}-\d{6}\.md", backup.name)

    assert run("telos", "telos", "set", "Mission", "Be very kind.").returncode == 0
    assert run("telos", "telos", "show", "MISSION").stdout == "Be very kind.\n"
    assert run("telos", "telos", "add", "Wisdom", "-", input="Sleep first\n").returncode == 0
    assert run("telos", "telos", "show", "wisdom").stdout == "- W1: Sleep first\n"
    same = run("telos", "telos", "set", "Mission", "Be very kind.")
    assert "nothing changed" in same.stdout
    assert len(list((folder / "backups").iterdir())) == 3  # one per change, none for no change

    log = (folder / "updates.md").read_text().splitlines()
    assert log[0] == "# TELOS updates"
    entries = [line for line in log if line.startswith("- ")]
    assert [e.split(" · ")[1:3] for e in entries] == [["add", "Goals"], ["set", "Mission"],
                                                        ["add", "Wisdom"]]
    assert all(re.match(r"- \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} · ", e) for e in entries)
    assert all(" · backup backups/TELOS-" in e for e in entries)
    assert "  > Learn Rust with a project" in log
    assert run("telos", "telos", "add", "Goals", "G7: Keep my own id").returncode == 0
    assert run("telos", "telos", "add", "Goals", "Then the next").returncode == 0
    assert run("telos", "telos", "show", "Goals").stdout.endswith(
        "- G1: Learn Rust\n  with a project\n- G7: Keep my own id\n- G8: Then the next\n")
    assert run("telos", "telos", "add", "Books", "Dune").returncode == 0
    assert run("telos", "telos", "show", "Books").stdout == "- Dune\n"  # books have no ids


def test_telos_starts_a_file_and_refuses_bad_input(home: HomePaths) -> None:
    shown = run("telos", "telos", "show")
    assert shown.returncode == 1 and "no TELOS file yet" in shown.stderr
    assert run("telos", "telos", "add", "Goals", "Run a marathon").returncode == 0
    folder = home.root / "telos"
    assert (folder / "TELOS.md").read_text() == "# TELOS\n\n## Goals\n\n- G1: Run a marathon\n"
    assert not (folder / "backups").exists()  # nothing to back up yet
    assert " · add · Goals · new file" in (folder / "updates.md").read_text()
    empty = run("telos", "telos", "add", "Goals", "   ")
    assert empty.returncode == 1 and "the text is empty" in empty.stderr
    missing = run("telos", "telos", "show", "Nope")
    assert missing.returncode == 1 and "no section 'Nope'" in missing.stderr
    assert "(sections: Goals)" in missing.stderr


def test_telos_never_loses_the_file_when_it_cannot_back_up(home: HomePaths) -> None:
    folder = home.root / "telos"
    folder.mkdir(parents=True)
    (folder / "TELOS.md").write_text("# TELOS\n\n## Goals\n\n- one\n")
    (folder / "backups").write_text("a file where the backups folder should be")
    done = run("telos", "telos", "add", "Goals", "two")
    assert done.returncode == 1 and "the file was not changed" in done.stderr
    assert (folder / "TELOS.md").read_text() == "# TELOS\n\n## Goals\n\n- one\n"
    assert not (folder / "updates.md").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["TELOS.md", "backups"]  # no temp file


# --- create-skill --------------------------------------------------------------------------

def test_scaffold_skill_creates_a_skill_that_loads(home: HomePaths, tmp_path: Path) -> None:
    description = 'Write release notes: from a "git log". USE WHEN release notes, changelog'
    done = run("create-skill", "scaffold_skill", "release-notes", "--description", description,
               "--dir", str(tmp_path), "--no-validate")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "release-notes"
    assert done.stdout.splitlines() == [f"created {folder / 'SKILL.md'}",
                                        f"created {folder / 'workflows' / 'main.md'}",
                                        f"created {folder / 'tools'}/"]
    skill = read_skill(folder / "SKILL.md", tmp_path)
    assert (skill.name, skill.description) == ("release-notes", description)
    assert skill.warnings == []
    assert validate(folder, strict=True) == []
    assert [p.name for p in skill.workflow_files()] == ["main.md"]
    again = run("create-skill", "scaffold_skill", "release-notes", "--description", "x",
                "--dir", str(tmp_path), "--no-validate")
    assert again.returncode == 1 and "already exists" in again.stderr
    default_root = run("create-skill", "scaffold_skill", "notes", "--description", "Notes.",
                       "--no-validate")
    assert default_root.returncode == 0 and (home.skills / "notes" / "SKILL.md").exists()


def test_scaffold_skill_validates_the_new_skill_strictly(tmp_path: Path) -> None:
    # Runs `$PAI_PYTHON -m pai_tui skill validate --strict` on what it wrote.
    done = run("create-skill", "scaffold_skill", "meeting-minutes", "--description",
               "Turn meeting notes into minutes. USE WHEN minutes, meeting notes",
               "--dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"valid: {tmp_path / 'meeting-minutes'}"


def test_scaffold_skill_says_when_the_validator_cannot_run(tmp_path: Path) -> None:
    done = run("create-skill", "scaffold_skill", "minutes", "--description", "Minutes.",
               "--dir", str(tmp_path), env={"PAI_PYTHON": str(tmp_path / "no-python")})
    assert done.returncode == 1
    assert f"cannot run the validator with {tmp_path / 'no-python'}" in done.stdout
    assert "was created, but validation failed" in done.stderr
    assert (tmp_path / "minutes" / "SKILL.md").exists()
