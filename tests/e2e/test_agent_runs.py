"""`pai agent run` and `pai agent ps` as a user runs them: a subprocess talking to the loopback
server through the real SDKs. The agent's prompt and model, several agents at once, budgets
that stop a run, the JSON contracts, and runs listed from the history."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pai_tui.paths import HomePaths, bundled
from tests.builders import rows
from tests.conftest import KEYS, point_providers_at, run_pai
from tests.fakes.llm_server import FakeLLMServer, Reply


def agent(*args: str, input: str | None = None, cwd: Path | None = None,
          ) -> subprocess.CompletedProcess[str]:
    return run_pai("agent", *args, input=input, env=KEYS, cwd=cwd)


def body_of(name: str) -> str:
    text = (bundled("assets") / "agents" / f"{name}.md").read_text(encoding="utf-8")
    return text.split("\n---\n", 1)[1].strip()


def test_a_run_answers_with_the_agent_s_prompt_and_model_and_is_kept(
        home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(text="Three risks, in order."))
    result = agent("run", "red-teamer", "attack my plan", input="the plan: ship friday")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Three risks, in order.\n"
    [request] = server.requests
    assert request.body["model"] == "claude-opus-4-6"  # `model: opus`, on Anthropic
    assert request.body["system"].strip() == body_of("red-teamer")
    assert request.messages[0]["content"] == "attack my plan\n\nthe plan: ship friday"
    assert "red-teamer starts on claude-opus-4-6" in result.stderr
    assert rows(home, "SELECT role, status, agent FROM messages ORDER BY id") == [
        ("user", "complete", None), ("assistant", "complete", "red-teamer")]
    listed = json.loads(agent("ps", "--all", "--json").stdout)
    [run] = listed
    assert {k: run[k] for k in ("agent", "status", "parent_id", "input_tokens")} == {
        "agent": "red-teamer", "status": "complete", "parent_id": None, "input_tokens": 11}
    assert set(run) >= {"id", "output_tokens", "cost", "started_at"}
    assert json.loads(agent("ps", "--json").stdout) == []  # none running now


def test_several_agents_run_at_once_and_print_in_the_order_named(
        server: FakeLLMServer) -> None:
    server.queue(*[Reply(tokens=[f"part {i} " for i in range(20)], delay=0.05)
                   for _ in range(2)])  # each answer takes a second
    result = agent("run", "architect", "plan the export", "--with", "researcher")
    assert result.returncode == 0, result.stderr
    first, second = server.requests
    assert second.time - first.time < 0.5  # both asked before either answer (1 s) ended
    out = result.stdout
    assert out.index("── Theodore Ashby") < out.index("── Fiona MacLeod")
    systems = {r.body["system"].strip() for r in server.requests}
    assert systems == {body_of("architect"), body_of("researcher")}


def test_json_prints_one_object_per_run_in_order(server: FakeLLMServer) -> None:
    server.queue(Reply(text="A."), Reply(text="B."))
    result = agent("run", "--json", "designer", "a task", "--with", "qa-tester")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["agent"] for o in objects] == ["designer", "qa-tester"]
    for o in objects:
        assert set(o) >= {"id", "agent", "status", "text", "usage", "cost", "branch"}
        assert o["status"] == "complete" and o["text"] in ("A.", "B.")
        assert o["usage"]["input_tokens"] == 11 and o["branch"] is None


def test_a_run_past_its_time_stops_over_budget_with_what_it_had(
        home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(n_tokens=400, delay=0.05))  # twenty seconds of answer
    result = agent("run", "--json", "--timeout", "3", "researcher", "take your time")
    assert result.returncode == 4, result.stderr
    [run] = [json.loads(line) for line in result.stdout.splitlines()]
    assert run["status"] == "over budget" and "deadline" in run["error"]
    assert "w399" not in run["text"]
    [(kept,)] = rows(home, "SELECT content FROM messages WHERE agent = 'researcher'")
    assert kept == run["text"]  # what came before the deadline is kept


def test_a_cost_cap_stops_the_run_over_budget(home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(n_tokens=50, input_tokens=1_000_000))  # $15 of input on Opus
    result = agent("run", "--json", "--max-usd", "0.5", "architect", "big context")
    assert result.returncode == 4, result.stderr
    [run] = [json.loads(line) for line in result.stdout.splitlines()]
    assert run["status"] == "over budget" and "budget ($0.50)" in run["error"]
    [(cost,)] = rows(home, "SELECT cost FROM messages WHERE agent = 'architect'")
    assert cost and cost > 0.5  # what it spent is kept, never shown as zero


LEAD = """---
name: lead
description: Splits work among the other agents.
tools: Read, Task
model: sonnet
budget:
  max_usd: 0.5
  max_output_tokens: 60
---
You lead.
"""


def write_lead(home: HomePaths) -> None:
    folder = home.root / "agents"
    folder.mkdir(exist_ok=True)
    (folder / "lead.md").write_text(LEAD)


def test_a_child_s_spending_counts_against_its_parent_s_budget(
        home: HomePaths, server: FakeLLMServer) -> None:
    write_lead(home)
    server.queue(
        Reply(tool_calls=[("delegate", {"agent": "researcher", "task": "read everything"})]),
        Reply(n_tokens=20, input_tokens=180_000),  # the researcher: $0.54, under its own $0.60
        Reply(text="never asked"))
    result = agent("run", "--json", "lead", "plan the export")
    assert result.returncode == 4, result.stderr
    [run] = [json.loads(line) for line in result.stdout.splitlines()]
    assert run["status"] == "over budget" and "budget ($0.50)" in run["error"]
    assert len(server.requests) == 2  # the lead's next request was never sent
    [delegated] = [t for t in server.requests[0].tools if t["name"] == "delegate"]
    assert "researcher" in delegated["input_schema"]["properties"]["agent"]["enum"]
    runs = {r["agent"]: r for r in json.loads(agent("ps", "--all", "--json").stdout)}
    assert runs["researcher"]["parent_id"] == run["id"]
    # The child stopped too: its spending put its parent over the cap it runs under.
    assert runs["researcher"]["status"] == "over budget"
    assert "the lead run's" in runs["researcher"]["error"]


def test_an_output_token_budget_counts_every_model_call_of_the_run(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    write_lead(home)
    (tmp_path / "a.txt").write_text("a\n")
    server.queue(Reply(tokens=["w "] * 45, tool_calls=[("read", {"path": "a.txt"})],
                       output_tokens=46),
                 Reply(n_tokens=100))
    result = agent("run", "--json", "lead", "read a", cwd=tmp_path)
    first, second = server.requests
    assert first.body["max_tokens"] == 60
    assert second.body["max_tokens"] == 60 - 46  # what the first call spent, of 60
    [run] = [json.loads(line) for line in result.stdout.splitlines()]
    assert run["status"] == "over budget" and "60 output tokens" in run["error"]


def test_agents_models_map_claude_aliases_to_another_provider(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    point_providers_at(home, llm_server, extra='[agents.models]\nopus = "openai/gpt-5-mini"\n')
    llm_server.queue(Reply(text="ok"))
    result = agent("run", "architect", "hello")
    assert result.returncode == 0, result.stderr
    [request] = llm_server.requests
    assert request.path.endswith("/chat/completions") and request.body["model"] == "gpt-5-mini"


def test_an_unknown_agent_or_no_task_is_a_usage_error(server: FakeLLMServer) -> None:
    unknown = agent("run", "nobody", "hi")
    assert unknown.returncode == 2 and "no agent called 'nobody'" in unknown.stderr
    nothing = agent("run", "architect")
    assert nothing.returncode == 2 and "nothing to ask" in nothing.stderr
    assert server.requests == []


def tool_result(request) -> str:  # type: ignore[no-untyped-def]
    """The text of the tool result the model was sent in `request` (anthropic's shape)."""
    content = request.messages[-1]["content"]
    [result] = [part for part in content if part.get("type") == "tool_result"]
    inner = result["content"]
    return inner if isinstance(inner, str) else "".join(p.get("text", "") for p in inner)


def test_an_agent_reads_files_in_its_folder_and_its_tool_runs_are_kept(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    (work / "notes.txt").write_text("alpha\nbeta\n")
    server.queue(Reply(tool_calls=[("read", {"path": "notes.txt"})]),
                 Reply(text="The notes say alpha, then beta."))
    result = agent("run", "researcher", "what do my notes say?", cwd=work)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The notes say alpha, then beta.\n"
    first, second = server.requests
    assert {t["name"] for t in first.tools} == {"read", "grep", "glob"}  # the agent's tools
    assert "alpha" in tool_result(second) and "beta" in tool_result(second)
    assert rows(home, "SELECT role, skill, status FROM messages WHERE role = 'step'") == [
        ("step", "agents/read", "complete")]


def test_a_path_outside_the_folder_is_refused_to_the_model(
        server: FakeLLMServer, tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    (tmp_path / "secret.txt").write_text("do not read")
    server.queue(Reply(tool_calls=[("read", {"path": "../secret.txt"})]), Reply(text="No."))
    assert agent("run", "researcher", "read it", cwd=work).returncode == 0
    said = tool_result(server.requests[1])
    assert "outside the working folder" in said and "do not read" not in said


def test_writing_asks_first_headless_it_needs_yes(home: HomePaths, server: FakeLLMServer,
                                                  tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    call = Reply(tool_calls=[("write", {"path": "docs/plan.md", "content": "# Plan\n"})])
    server.queue(call, Reply(text="I could not write it."))
    refused = agent("run", "designer", "write the plan", cwd=work)
    assert refused.returncode == 0, refused.stderr
    assert not (work / "docs" / "plan.md").exists()
    assert tool_result(server.requests[1]).startswith(
        "Not run: the tool agents/write needs permission")
    server.queue(call, Reply(text="Written."))
    allowed = agent("run", "--yes", "designer", "write the plan", cwd=work)
    assert allowed.returncode == 0, allowed.stderr
    assert (work / "docs" / "plan.md").read_text() == "# Plan\n"
    assert rows(home, "SELECT skill, status FROM messages WHERE role = 'step' ORDER BY id") == [
        ("agents/write", "denied"), ("agents/write", "complete")]


def test_logs_print_the_task_the_tool_runs_and_the_answer(server: FakeLLMServer,
                                                         tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x\n")
    server.queue(Reply(tool_calls=[("read", {"path": "a.txt"})]), Reply(text="Done reading."))
    [run] = [json.loads(line) for line in
             agent("run", "--json", "researcher", "read a.txt", cwd=tmp_path).stdout.splitlines()]
    result = agent("logs", str(run["id"]))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"run {run['id']} · researcher · ") and lines[0].endswith("complete")
    assert lines[1:] == ["task: read a.txt", "▸ agents/read complete", "Done reading."]
    missing = agent("logs", "999999")
    assert missing.returncode == 2 and "no run 999999" in missing.stderr


# --- worktrees: real git repositories -------------------------------------------------------

def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "me@example.com")
    git(path, "config", "user.name", "Me")
    (path / "app.py").write_text("print('hello')\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


def engineer(repo: Path, *replies: Reply, server: FakeLLMServer) -> dict[str, object]:
    server.queue(*replies)
    result = agent("run", "--json", "--yes", "engineer", "do the work", cwd=repo)
    assert result.returncode == 0, result.stderr
    [run] = [json.loads(line) for line in result.stdout.splitlines()]
    return run  # type: ignore[no-any-return]


def test_uncommitted_work_is_committed_onto_the_run_s_branch_and_kept(
        home: HomePaths, server: FakeLLMServer, repo: Path) -> None:
    run = engineer(repo, Reply(tool_calls=[("write", {"path": "new.py", "content": "x = 1\n"})]),
                   Reply(text="Wrote new.py."), server=server)
    branch, folder = str(run["branch"]), Path(str(run["folder"]))
    assert branch.startswith("pai/engineer-") and folder.is_dir()
    assert folder.is_relative_to(home.root / "worktrees" / "project")
    assert git(repo, "show", f"{branch}:new.py") == "x = 1"
    assert git(folder, "status", "--porcelain") == ""  # nothing lost, nothing left loose
    assert not (repo / "new.py").exists()  # the user's tree is untouched
    assert git(repo, "branch", "--show-current") == "main"


def test_a_run_that_commits_keeps_its_branch(server: FakeLLMServer, repo: Path) -> None:
    command = "echo y > y.txt && git add y.txt && git -c user.name=A -c user.email=a@b " \
              "commit -q -m 'add y'"
    run = engineer(repo, Reply(tool_calls=[("bash", {"command": command})]),
                   Reply(text="Committed."), server=server)
    assert git(repo, "log", "--format=%s", "-1", str(run["branch"])) == "add y"


def test_a_run_that_changes_nothing_leaves_no_worktree_or_branch(
        home: HomePaths, server: FakeLLMServer, repo: Path) -> None:
    run = engineer(repo, Reply(text="Nothing to do."), server=server)
    assert run["branch"] is None and run["folder"] is None
    assert "pai/" not in git(repo, "branch", "--list")
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_a_dirty_parent_is_no_problem_and_is_said(server: FakeLLMServer, repo: Path) -> None:
    (repo / "app.py").write_text("print('changed, not committed')\n")
    server.queue(Reply(tool_calls=[("read", {"path": "app.py"})]), Reply(text="Read it."))
    result = agent("run", "engineer", "look", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "uncommitted changes; the worktree starts from HEAD" in result.stderr
    assert "hello" in tool_result(server.requests[1])  # HEAD's file, not the dirty one
    assert (repo / "app.py").read_text() == "print('changed, not committed')\n"


def test_outside_a_repository_a_worktree_agent_is_refused_before_anything_is_sent(
        server: FakeLLMServer, tmp_path: Path) -> None:
    result = agent("run", "engineer", "work", cwd=tmp_path)
    assert result.returncode == 2 and "not in a git repository" in result.stderr
    assert server.requests == []


def test_worktrees_lists_what_agents_left_and_removes_only_what_is_chosen(
        server: FakeLLMServer, repo: Path) -> None:
    run = engineer(repo, Reply(tool_calls=[("write", {"path": "a.txt", "content": "a\n"})]),
                   Reply(text="Done."), server=server)
    branch, folder = str(run["branch"]), Path(str(run["folder"]))
    listed = agent("worktrees", cwd=repo)
    assert listed.returncode == 0 and f"{branch}  {folder}" in listed.stdout
    (folder / "loose.txt").write_text("not committed\n")
    refused = agent("worktrees", "--remove", branch, cwd=repo)
    assert refused.returncode == 1 and folder.is_dir()  # never forced
    (folder / "loose.txt").unlink()
    removed = agent("worktrees", "--remove", branch, cwd=repo)
    assert removed.returncode == 0 and not folder.exists()
    assert git(repo, "show", f"{branch}:a.txt") == "a"  # the branch keeps the work


def test_runs_killed_with_pai_read_as_interrupted_after_a_restart(
        home: HomePaths, server: FakeLLMServer) -> None:
    import os
    import sys
    import time

    from tests.conftest import REPO

    server.queue(Reply(n_tokens=1000, delay=0.01), Reply(n_tokens=1000, delay=0.01))
    process = subprocess.Popen(
        [sys.executable, "-m", "pai_tui", "agent", "run", "architect", "long", "--with",
         "researcher"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, **KEYS})
    deadline = time.monotonic() + 30
    while len(server.token_sent_at) < 300:  # both streaming for a while
        assert time.monotonic() < deadline, "the runs never streamed"
        time.sleep(0.02)
    process.kill()
    process.communicate(timeout=30)
    listed = json.loads(agent("ps", "--all", "--json").stdout)  # the next start notices
    assert sorted((run["agent"], run["status"]) for run in listed) == [
        ("architect", "interrupted"), ("researcher", "interrupted")]
    # Their timelines were written as they went: the spans never ended show as incomplete.
    timeline = json.loads(run_pai("runs", "--json", env=KEYS).stdout)
    assert sorted((run["agent"], run["status"]) for run in timeline) == [
        ("architect", "incomplete"), ("researcher", "incomplete")]
    waterfall = run_pai("trace", str(listed[0]["id"]), env=KEYS).stdout.splitlines()
    assert [line[:1] for line in waterfall[:3]] == ["!", "✓", "!"]  # run, routing, model call


def test_pai_agent_stop_stops_one_run_of_another_pai_and_the_others_go_on(
        home: HomePaths, server: FakeLLMServer) -> None:
    import os
    import sys
    import time

    from tests.conftest import REPO

    server.queue(Reply(n_tokens=300, delay=0.01), Reply(n_tokens=300, delay=0.01))
    process = subprocess.Popen(
        [sys.executable, "-m", "pai_tui", "agent", "run", "--json", "architect", "long",
         "--with", "researcher"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, **KEYS})
    deadline = time.monotonic() + 30
    while len(server.token_sent_at) < 40:  # both streaming
        assert time.monotonic() < deadline, "the runs never streamed"
        time.sleep(0.02)
    running = {r["agent"]: r["id"] for r in json.loads(agent("ps", "--json").stdout)}
    assert set(running) == {"architect", "researcher"}
    stopped = agent("stop", str(running["architect"]))
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout == f"stopped run {running['architect']} (architect): cancelled\n"
    out, err = process.communicate(timeout=60)
    assert process.returncode == 4, err  # one run did not complete
    results = {r["agent"]: r for r in map(json.loads, out.splitlines())}
    assert results["architect"]["status"] == "cancelled"
    assert results["researcher"]["status"] == "complete"  # the other run went on
    assert not list((home.root / "stops").iterdir())  # the request was taken away

    again = agent("stop", str(running["architect"]))
    assert again.returncode == 1 and "is not running: cancelled" in again.stderr
    assert agent("stop", "999").returncode == 2
    assert agent("stop").returncode == 2  # which run?
    nothing = agent("stop", "--all")
    assert nothing.returncode == 1 and "no run is running" in nothing.stderr


def test_stopping_a_child_run_stops_it_alone_and_its_parent_hears_so(
        home: HomePaths, server: FakeLLMServer) -> None:
    import os
    import sys
    import time

    from tests.conftest import REPO

    write_lead(home)
    server.queue(
        Reply(tool_calls=[("delegate", {"agent": "researcher", "task": "dig"})]),
        Reply(n_tokens=300, delay=0.02),  # the researcher, for six seconds
        Reply(text="The researcher was stopped; here is my plan anyway."))
    process = subprocess.Popen(
        [sys.executable, "-m", "pai_tui", "agent", "run", "--json", "lead", "plan"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env={**os.environ, **KEYS})
    deadline = time.monotonic() + 30
    while len(server.token_sent_at) < 20:
        assert time.monotonic() < deadline, "the child never streamed"
        time.sleep(0.02)
    child = {r["agent"]: r["id"] for r in json.loads(agent("ps", "--json").stdout)}
    assert agent("stop", str(child["researcher"])).returncode == 0
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    [lead] = [json.loads(line) for line in out.splitlines()]
    assert lead["text"] == "The researcher was stopped; here is my plan anyway."
    said = tool_result(server.requests[2])
    assert "cancelled" in said and "Fiona MacLeod" in said



def test_a_run_stopped_before_the_model_said_what_it_took_costs_unknown_not_zero(
        home: HomePaths, server: FakeLLMServer) -> None:
    """The request was sent (and may be billed); no usage came back: the cost is unknown."""
    import os
    import sys
    import time

    from tests.conftest import REPO

    server.queue(Reply(hang_after_headers=True))
    process = subprocess.Popen(
        [sys.executable, "-m", "pai_tui", "agent", "run", "--json", "architect", "long"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=REPO, env={**os.environ, **KEYS})
    deadline = time.monotonic() + 30
    while not server.requests:
        assert time.monotonic() < deadline, "the run never asked"
        time.sleep(0.02)
    assert agent("stop", "--all").returncode == 0
    out, err = process.communicate(timeout=60)
    [result] = [json.loads(line) for line in out.splitlines()]
    assert result["status"] == "cancelled" and result["cost"] is None, (result, err)
    assert rows(home, "SELECT cost FROM messages WHERE agent = 'architect'") == [(None,)]


def test_the_researcher_s_findings_are_kept_as_a_research_note(
        home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(text="Textual 8 supports anchors [1]. Unverified: the 9.0 date."),
                 Reply(text="Three risks."))
    assert agent("run", "researcher", "does Textual support anchors?").returncode == 0
    assert agent("run", "red-teamer", "attack it").returncode == 0  # keeps nothing
    [note] = json.loads(run_pai("notes", "list", "--json").stdout)
    assert (note["kind"], note["title"], note["created_by"], note["agent"]) == (
        "research", "researcher: does Textual support anchors?", "agent", "researcher")
    assert note["body"] == "Textual 8 supports anchors [1]. Unverified: the 9.0 date."
    assert note["message"] is not None and note["session"] is not None
