"""The timeline as a user meets it: every turn and run leaves spans in the store as it goes
(model calls with tokens and cost, tool runs with their arguments and exit, permission questions,
routing), and `pai runs` / `pai trace` print them, in text, JSON lines or OTLP JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pai_tui.paths import HomePaths
from tests.builders import rows
from tests.conftest import KEYS, TEST_KEYS, run_pai
from tests.fakes.llm_server import FakeLLMServer, Reply


def pai(*args: str, input: str | None = None, cwd: Path | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return run_pai(*args, input=input, env=KEYS, cwd=cwd)


def spans(home: HomePaths) -> list[tuple]:
    return rows(home, "SELECT kind, name, status, parent_span_id IS NULL, input_tokens, "
                      "output_tokens FROM spans ORDER BY started_at, id")


def test_an_agent_run_leaves_its_turn_model_calls_and_tool_runs_on_the_timeline(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    work = tmp_path / "project"
    work.mkdir()
    (work / "notes.txt").write_text("alpha\nbeta\n")
    server.queue(Reply(tool_calls=[("read", {"path": "notes.txt"})]),
                 Reply(text="The notes say alpha, then beta."))
    result = pai("agent", "run", "researcher", "what do my notes say?", cwd=work)
    assert result.returncode == 0, result.stderr
    assert spans(home) == [
        ("turn", "invoke_agent researcher", "ok", 1, 22, 14),
        ("route", "route", "ok", 0, 0, 0),
        ("model", "chat claude-sonnet-4-6", "ok", 0, 11, 8),
        ("tool", "execute_tool agents/read", "ok", 0, 0, 0),
        ("model", "chat claude-sonnet-4-6", "ok", 0, 11, 6)]
    [(run_id,)] = rows(home, "SELECT id FROM messages WHERE agent = 'researcher'")

    [run] = json.loads(pai("runs", "--json").stdout)
    assert {k: run[k] for k in ("id", "kind", "agent", "status", "parent_id", "input_tokens",
                                "output_tokens")} == {
        "id": run_id, "kind": "agent", "agent": "researcher", "status": "ok", "parent_id": None,
        "input_tokens": 22, "output_tokens": 14}
    assert run["cost"] > 0 and run["duration_s"] > 0

    lines = [json.loads(line) for line in pai("trace", str(run_id), "--format",
                                              "jsonl").stdout.splitlines()]
    turn, route, first, tool, second = lines
    assert route["attributes"]["pai.route.how"] == "chat"
    assert second["attributes"]["gen_ai.response.finish_reasons"] == ["end"]
    assert {span["trace_id"] for span in lines} == {turn["trace_id"]}
    assert [span["parent_span_id"] for span in lines[1:]] == [turn["span_id"]] * 4
    assert first["attributes"]["gen_ai.operation.name"] == "chat"
    assert first["attributes"]["gen_ai.provider.name"] == "anthropic"
    assert first["attributes"]["gen_ai.response.finish_reasons"] == ["tool_use"]
    assert first["attributes"]["pai.time_to_first_token_s"] >= 0
    assert tool["attributes"]["gen_ai.tool.call.arguments"] == '{"path": "notes.txt"}'
    assert tool["attributes"]["pai.tool.output_bytes"] > 0
    assert turn["attributes"]["gen_ai.agent.name"] == "researcher"

    text = pai("trace", str(run_id))
    assert text.returncode == 0, text.stderr
    waterfall = text.stdout.splitlines()
    assert waterfall[0].startswith("✓ invoke_agent researcher")
    assert waterfall[3].startswith('✓   agents/read {"path": "notes.txt"}')
    assert "11→8 tok" in waterfall[2] and "ttft" in waterfall[2]
    assert "2 model calls, 1 tool run, 0 errors · 22 in / 14 out" in text.stderr


def test_spans_keep_no_content_and_no_key_unless_content_capture_is_on(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("the secret plan\n")
    server.queue(Reply(tool_calls=[("read", {"path": "notes.txt"})]),
                 Reply(text="Your plan is to sail."))
    assert pai("agent", "run", "researcher", "what is my plan?", cwd=tmp_path).returncode == 0
    stored = " ".join(a for (a,) in rows(home, "SELECT attributes FROM spans"))
    assert "notes.txt" in stored  # the tool's arguments are kept
    for content in ("the secret plan", "Your plan is to sail", "what is my plan",
                    TEST_KEYS["anthropic"]):
        assert content not in stored

    with home.config.open("a") as config:
        config.write("\n[timeline]\ncapture_content = true\n")
    server.queue(Reply(tool_calls=[("read", {"path": "notes.txt"})]),
                 Reply(text="Your plan is to sail."))
    assert pai("agent", "run", "researcher", "what is my plan?", cwd=tmp_path).returncode == 0
    stored = " ".join(a for (a,) in rows(home, "SELECT attributes FROM spans"))
    assert "the secret plan" in stored and "Your plan is to sail" in stored
    assert TEST_KEYS["anthropic"] not in stored


def test_a_chat_turn_that_fails_is_on_the_timeline_with_its_error_type(
        home: HomePaths, server: FakeLLMServer) -> None:
    server.queue(Reply(status=400, error_message="bad request: the model is unknown"))
    result = pai("ask", "hello")
    assert result.returncode == 3, result.stderr
    [turn] = json.loads(pai("runs", "--json").stdout)
    assert (turn["kind"], turn["status"]) == ("chat", "error")
    lines = [json.loads(line) for line in pai("trace", str(turn["id"]), "--format",
                                              "jsonl").stdout.splitlines()]
    [call] = [span for span in lines if span["kind"] == "model"]
    assert call["status"] == "error"
    assert call["attributes"]["error.type"]
    assert "the model is unknown" in lines[0]["attributes"]["pai.status.detail"]


def test_trace_and_runs_say_what_is_wrong_with_what_they_are_given(
        home: HomePaths, server: FakeLLMServer) -> None:
    missing = pai("trace", "4242")
    assert missing.returncode == 2
    assert "no timeline for 4242" in missing.stderr
    since = pai("runs", "--since", "last tuesday")
    assert since.returncode == 2
    assert "'last tuesday': say 30m, 2h, 7d" in since.stderr
    assert pai("runs", "--since", "2h", "--json").stdout.strip() == "[]"


def test_deleting_a_session_deletes_its_timeline(home: HomePaths, server: FakeLLMServer) -> None:
    from pai_tui.cockpit import Cockpit
    from pai_tui.config import load_config

    server.queue(Reply(text="Hi."))
    assert pai("ask", "hello").returncode == 0
    assert rows(home, "SELECT COUNT(*) FROM spans") != [(0,)]
    cockpit = Cockpit(load_config(home))
    try:
        store = cockpit.history.open()
        [session] = store.list_sessions()
        store.delete_session(session.id)
    finally:
        cockpit.close()
    assert rows(home, "SELECT COUNT(*) FROM spans") == [(0,)]


def test_otlp_json_of_a_run_and_the_run_it_started_is_one_valid_trace(
        home: HomePaths, server: FakeLLMServer) -> None:
    from tests.unit.test_otlp_export import parse

    lead = home.root / "agents"
    lead.mkdir()
    (lead / "lead.md").write_text("---\nname: lead\ndescription: Leads.\ntools: Task\n---\nLead.")
    server.queue(Reply(tool_calls=[("delegate", {"agent": "researcher", "task": "dig"})]),
                 Reply(text="Found it."), Reply(text="Done."))
    run = json.loads(pai("agent", "run", "--json", "lead", "plan").stdout)
    result = pai("trace", str(run["id"]), "--format", "otlp-json")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()  # one trace: the child's run is in its parent's
    [resource] = parse(line).resource_spans
    [scope] = resource.scope_spans
    names = [span.name for span in scope.spans]
    assert names[0] == "invoke_agent lead" and "invoke_agent researcher" in names
    assert "execute_tool delegate" not in names  # delegate is a tool call, shown as the run
    ids = {span.span_id for span in scope.spans}
    assert len(ids) == len(scope.spans)
    assert all(span.parent_span_id in ids for span in scope.spans[1:])


