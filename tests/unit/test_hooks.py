"""Hooks as Claude Code defines them, run for real (`sh`/Python subprocesses): the settings
shape and matchers, the answers by exit code and JSON, and pai's difference: a gate hook that
breaks blocks, an observer's failure never stops anything."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from pai_tui import events, spans
from pai_tui.config import load_config
from pai_tui.hooks.registry import HookConfigError, Matcher, load_registry, read_hooks_file
from pai_tui.hooks.service import Hooks, Parent, Verdict
from pai_tui.paths import HomePaths
from tests.builders import corpus_dir
from tests.conftest import write_config

CORPUS = corpus_dir() / "hooks"


def register(home: HomePaths, hooks: dict[str, Any], config: str = "") -> Hooks:
    home.root.mkdir(parents=True, exist_ok=True)
    (home.root / "hooks.json").write_text(json.dumps({"hooks": hooks}), encoding="utf-8")
    write_config(home, config)
    return Hooks(load_config(home), events.Bus(), cwd=home.root)


def one(event: str, command: str, matcher: str | None = None,
        timeout: float | None = None) -> dict[str, Any]:
    handler: dict[str, Any] = {"type": "command", "command": command}
    if timeout is not None:
        handler["timeout"] = timeout
    group: dict[str, Any] = {"hooks": [handler]}
    if matcher is not None:
        group["matcher"] = matcher
    return {event: [group]}


def gate(hooks: Hooks, event: str, fields: dict[str, Any]) -> Verdict:
    return asyncio.run(hooks.gate(event, fields, Parent(1, spans.new_trace_id())))


def script(home: HomePaths, name: str, body: str) -> str:
    home.root.mkdir(parents=True, exist_ok=True)
    path = home.root / name
    path.write_text(body, encoding="utf-8")
    path.chmod(0o755)
    return str(path)


BASH_RM = {"tool_name": "Bash", "tool_input": {"command": "rm -rf /"}}


# --- the settings ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, name, expected", [
    (None, "Bash", True), ("", "Bash", True), ("*", "mcp__x__y", True),
    ("Bash", "Bash", True), ("Bash", "BashOutput", False), ("Edit|Write", "Write", True),
    ("Edit, Write", "Edit", True), ("Edit|Write", "NotebookEdit", False),
    ("Edit.*", "NotebookEdit", True),  # a regex is unanchored, as in Claude Code
    ("^Edit$", "NotebookEdit", False), ("mcp__memory__.*", "mcp__memory__get", True),
    ("MultiEdit", "Edit", False),  # a stale name matches nothing
])
def test_matchers_read_as_claude_code_reads_them(raw: str | None, name: str,
                                                 expected: bool) -> None:
    assert Matcher(raw).matches(name) is expected


@pytest.mark.parametrize("relative", [
    "danielmiessler__LifeOS/LifeOS/install/hooks/hooks.json",
    "affaan-m__everything-claude-code/hooks/hooks.json",
    "danielmiessler__Personal_AI_Infrastructure/Releases/v4.0.3/.claude/settings.json",
    "davila7__claude-code-templates/cli-tool/components/hooks/security/"
    "dangerous-command-blocker.json",
])
def test_real_settings_files_load_with_warnings_not_errors(relative: str) -> None:
    path = CORPUS / relative
    warnings: list[str] = []
    hooks = read_hooks_file(path, True, warnings)
    assert hooks and all(hook.command for hook in hooks)
    assert all(str(path) in warning for warning in warnings)


def test_what_pai_cannot_run_is_a_warning_naming_the_file(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {
        "PermissionRequest": [{"hooks": [{"type": "command", "command": "true"}]}],
        "PreToolUse": [{"matcher": "Bash", "id": "x", "colour": "red", "hooks": [
            {"type": "http", "url": "http://localhost:1/"},
            {"type": "command", "command": "true", "async": True}]}]}}))
    registry = load_registry(load_config(home))
    assert registry.error is None and [h.event for h in registry.hooks] == ["PreToolUse"]
    text = "\n".join(registry.warnings)
    assert "'PermissionRequest' is not one pai fires" in text
    assert "unknown key 'colour'" in text and "'id'" not in text
    assert "'http' handler is skipped" in text and "unknown key 'async'" in text


def test_bad_json_is_an_error_with_file_and_line(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    path = home.root / "hooks.json"
    path.write_text('{\n  "hooks": {\n    "Stop": [,]\n  }\n}\n')
    registry = load_registry(load_config(home))
    assert registry.error is not None and f"{path}:3:" in registry.error
    with pytest.raises(HookConfigError, match="not a valid regular expression"):
        read_hooks_file(_write(home, {"hooks": {"PreToolUse": [{"matcher": "Bash(", "hooks": [
            {"type": "command", "command": "true"}]}]}}), False, [])


def _write(home: HomePaths, data: dict[str, Any]) -> Path:
    path = home.root / "other.json"
    path.write_text(json.dumps(data))
    return path


def test_a_broken_hooks_file_closes_every_gate(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    (home.root / "hooks.json").write_text("{ not json")
    write_config(home, "")
    verdict = gate(Hooks(load_config(home), events.Bus()), "PreToolUse", BASH_RM)
    assert verdict.blocked is not None and "hooks.json:1:" in verdict.blocked


# --- answers: exit codes and JSON, for a gate ----------------------------------------------------

def test_exit_2_blocks_with_stderr_as_the_reason(home: HomePaths) -> None:
    hooks = register(home, one("PreToolUse", "echo 'no deleting the root' >&2; exit 2", "Bash"))
    verdict = gate(hooks, "PreToolUse", BASH_RM)
    assert verdict.blocked == "blocked by hook echo: no deleting the root"


def test_exit_0_lets_it_through_and_a_hook_of_another_tool_does_not_run(
        home: HomePaths) -> None:
    hooks = register(home, {**one("PreToolUse", "exit 0", "Bash"),
                            "Stop": []} | {"PreToolUse": [
        {"matcher": "Bash", "hooks": [{"type": "command", "command": "exit 0"}]},
        {"matcher": "Write", "hooks": [{"type": "command", "command": "exit 2"}]}]})
    verdict = gate(hooks, "PreToolUse", BASH_RM)
    assert verdict.blocked is None and len(verdict.answers) == 1


@pytest.mark.parametrize("output, blocked, permission", [
    ({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                             "permissionDecisionReason": "dangerous"}}, "dangerous", None),
    ({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask"}},
     None, "ask"),
    ({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow"}},
     None, "allow"),
    ({"decision": "block", "reason": "old form"}, "old form", None),  # deprecated: deny
    ({"decision": "approve"}, None, "allow"),
    ({"continue": False, "stopReason": "stop everything"}, "stop everything", None),
    ({"continue": True}, None, None),  # PAI's SecurityValidator's "allow"
])
def test_json_decisions(home: HomePaths, output: dict[str, Any], blocked: str | None,
                        permission: str | None) -> None:
    hooks = register(home, one("PreToolUse", f"echo '{json.dumps(output)}'"))
    verdict = gate(hooks, "PreToolUse", BASH_RM)
    assert verdict.blocked == (blocked and f"blocked by hook echo: {blocked}")
    if blocked is None:
        assert verdict.permission == permission


def test_json_with_another_exit_code_still_decides(home: HomePaths) -> None:
    deny = {"hookSpecificOutput": {"permissionDecision": "deny",
                                   "permissionDecisionReason": "json wins"}}
    hooks = register(home, one("PreToolUse", f"echo '{json.dumps(deny)}'; exit 1"))
    assert gate(hooks, "PreToolUse", BASH_RM).blocked == "blocked by hook echo: json wins"


@pytest.mark.parametrize("command, said", [
    ("exit 1", "failed: exit 1"),
    ("echo 'Traceback: KeyError' >&2; exit 1", "Traceback: KeyError"),
    ("kill -9 $$", "killed by SIGKILL"),
    ("echo '{not json'", "printed invalid JSON"),
    ("echo '{\"decision\": \"maybe\"}'", "unknown decision 'maybe'"),
    ("/nonexistent/guard.sh", "exit 127"),
])
def test_a_gate_hook_that_breaks_blocks_and_says_which_and_why(
        home: HomePaths, command: str, said: str) -> None:
    hooks = register(home, one("PreToolUse", command))
    verdict = gate(hooks, "PreToolUse", BASH_RM)
    assert verdict.blocked is not None and said in verdict.blocked
    assert "fails blocks" in verdict.blocked and "on_error" in verdict.blocked


def test_on_error_allow_relaxes_a_broken_gate_visibly(home: HomePaths) -> None:
    hooks = register(home, one("PreToolUse", "echo '{not json'"),
                     '[hooks.on_error]\n"echo" = "allow"\n')
    verdict = gate(hooks, "PreToolUse", BASH_RM)
    assert verdict.blocked is None
    [note] = verdict.notes
    assert "printed invalid JSON" in note and 'on_error = "allow": going on' in note


def test_a_gate_hook_past_its_timeout_is_killed_with_its_children_and_blocks(
        home: HomePaths) -> None:
    pids = home.root / "pids"
    command = f"sleep 30 & echo $! > {pids}; sleep 30"
    hooks = register(home, one("PreToolUse", command, timeout=1))
    began = time.monotonic()
    verdict = gate(hooks, "PreToolUse", BASH_RM)
    assert time.monotonic() - began < 10
    assert verdict.blocked is not None and "timed out after 1 s" in verdict.blocked
    child = int(pids.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)  # the background `sleep 30` went with its hook


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def test_user_prompt_submit_adds_plain_stdout_as_context_and_can_block(
        home: HomePaths) -> None:
    hooks = register(home, {"UserPromptSubmit": [{"hooks": [
        {"type": "command", "command": "echo 'Today is Tuesday.'"},
        {"type": "command", "command": script(home, "guard.py", (
            "#!/usr/bin/env python3\nimport json, sys\n"
            "prompt = json.load(sys.stdin)['prompt']\n"
            "if 'password' in prompt:\n"
            "    print(json.dumps({'decision': 'block', 'reason': 'no passwords here'}))\n"))},
    ]}]})
    fine = gate(hooks, "UserPromptSubmit", {"prompt": "what day is it?"})
    assert fine.blocked is None and fine.context == "Today is Tuesday."
    refused = gate(hooks, "UserPromptSubmit", {"prompt": "my password is x"})
    assert refused.blocked == "blocked by hook guard.py: no passwords here"


def test_the_hook_gets_claude_code_s_fields_and_no_key(
        home: HomePaths, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-ant-api03-" + "k" * 40
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "t" * 36)
    out = home.root / "seen"
    hooks = register(home, one("PreToolUse", f"cat > {out}.json; env > {out}.env"))
    gate(hooks, "PreToolUse", {"tool_name": "Bash",
                               "tool_input": {"command": f"curl -H 'x-api-key: {key}'"}})
    payload = json.loads(Path(f"{out}.json").read_text())
    assert payload["hook_event_name"] == "PreToolUse" and payload["session_id"] == "1"
    assert payload["cwd"] == str(home.root) and payload["tool_name"] == "Bash"
    assert payload["transcript_path"].endswith("transcripts/1.jsonl")
    assert "[redacted ANTHROPIC_API_KEY]" in payload["tool_input"]["command"]
    seen = Path(f"{out}.json").read_text() + Path(f"{out}.env").read_text()
    assert key not in seen and "ghp_" not in seen
    assert f"CLAUDE_PROJECT_DIR={home.root}" in Path(f"{out}.env").read_text()


def test_every_run_is_a_hook_span(home: HomePaths) -> None:
    hooks = register(home, one("PreToolUse", "echo 'nope' >&2; exit 2"))
    told: list[events.Event] = []
    hooks.bus.subscribe(events.Event, told.append)
    gate(hooks, "PreToolUse", BASH_RM)
    [started] = [e for e in told if isinstance(e, events.SpanStarted)]
    [ended] = [e for e in told if isinstance(e, events.SpanEnded)]
    assert started.kind == "hook" and started.attributes[spans.HOOK_EVENT] == "PreToolUse"
    assert ended.attributes[spans.EXIT_CODE] == 2
    assert ended.attributes[spans.HOOK_STDERR] == "nope"
    assert ended.attributes[spans.HOOK_OUTCOME] == "block"
    assert ended.attributes[spans.HOOK_DURATION] >= 0


# --- observers ------------------------------------------------------------------------------------

def _tool_step(bus: events.Bus, status: str = "complete") -> None:
    bus.publish(events.StepStarted(1, 7, 5, "tool", "agents/bash", "ls -la", turn_id=5))
    bus.publish(events.StepFinished(1, 7, 5, "agents/bash", status, "total 0",  # type: ignore[arg-type]
                                    None if status == "complete" else "exit 1", turn_id=5))


@pytest.mark.parametrize("command, said", [
    ("echo 'too late' >&2; exit 2", "too late"), ("kill -9 $$", "killed by SIGKILL"),
    ("echo '{garbage'", "printed invalid JSON"), ("exit 1", "failed: exit 1"),
    ("sleep 30", "timed out after 1.5 s")])
def test_an_observer_never_stalls_the_turn_and_its_failure_is_shown_not_blocking(
        home: HomePaths, command: str, said: str) -> None:
    ran = home.root / "ran"
    hooks = register(home, one("PostToolUse", f"sleep 1; touch {ran}; {command}", "Bash",
                               timeout=1.5 if "sleep 30" in command else None))
    notices: list[events.TurnNotice] = []
    hooks.bus.subscribe(events.TurnNotice, notices.append)
    hooks.registry()
    began = time.monotonic()
    _tool_step(hooks.bus)
    assert time.monotonic() - began < 0.5  # published and gone: the hook runs on its thread
    assert not ran.exists()
    hooks.close()  # waits for queued observers
    assert ran.exists()
    [notice] = notices
    assert said in notice.text and notice.message_id == 5


def test_an_observer_hook_runs_with_the_tool_s_claude_code_name_and_input(
        home: HomePaths) -> None:
    out = home.root / "seen.jsonl"
    hooks = register(home, {**one("PostToolUse", f"cat >> {out}; echo >> {out}", "Bash"),
                            **one("PostToolUseFailure", f"cat >> {out}; echo >> {out}")})
    hooks.registry()
    _tool_step(hooks.bus)
    _tool_step(hooks.bus, "error")
    hooks.close()
    first, second = [json.loads(line) for line in out.read_text().splitlines()]
    assert first["hook_event_name"] == "PostToolUse" and first["tool_name"] == "Bash"
    assert first["tool_input"] == {"command": "ls -la"}
    assert first["tool_response"] == {"output": "total 0"}
    assert second["hook_event_name"] == "PostToolUseFailure" and second["error"] == "exit 1"


def test_a_permission_question_is_a_notification_and_trimming_a_pre_compact(
        home: HomePaths) -> None:
    out = home.root / "seen.jsonl"
    record = f"cat >> {out}; echo >> {out}"
    hooks = register(home, {**one("Notification", record, "permission_prompt"),
                            **one("PreCompact", record, "auto")})
    hooks.registry()
    hooks.bus.publish(events.SpanStarted("ab", "cd", None, "permission", "permission x", 1,
                                         {spans.TOOL_NAME: "agents/bash"}, turn_id=5))
    hooks.bus.publish(events.ContextTrimmed(1, 12, 200_000, turn_id=5))
    hooks.close()
    notified, compacted = [json.loads(line) for line in out.read_text().splitlines()]
    assert notified["hook_event_name"] == "Notification"
    assert notified["notification_type"] == "permission_prompt"
    assert notified["message"] == "pai needs your permission to use Bash"
    assert compacted["hook_event_name"] == "PreCompact" and compacted["trigger"] == "auto"
