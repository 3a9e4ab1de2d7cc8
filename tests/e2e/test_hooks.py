"""Real hooks from other people's repositories, run unchanged by `pai` (a subprocess) while a
model (the loopback server, through the real SDKs) asks for tools: each does what its author
meant. And the gates every turn passes, headless included."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

from pai_tui.paths import HomePaths
from tests.builders import corpus_dir
from tests.conftest import KEYS, point_providers_at, run_pai
from tests.fakes.llm_server import FakeLLMServer, Reply

CORPUS = corpus_dir() / "hooks"
DAVILA = CORPUS / "davila7__claude-code-templates/cli-tool/components/hooks"
KARAN = CORPUS / "karanb192__claude-code-hooks"


def configure(home: HomePaths, server: FakeLLMServer, hooks: str) -> None:
    point_providers_at(home, server, extra=f"\n[hooks]\n{hooks}\n")


def pai(*args: str, cwd: Path, env: dict[str, str] | None = None,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_pai(*args, env={**KEYS, **(env or {})}, cwd=cwd, input=input)


def tool_result(request) -> str:  # type: ignore[no-untyped-def]
    """The tool result the model was sent in `request` (anthropic's shape)."""
    [result] = [part for part in request.messages[-1]["content"]
                if part.get("type") == "tool_result"]
    inner = result["content"]
    return inner if isinstance(inner, str) else "".join(p.get("text", "") for p in inner)


def steps(home: HomePaths) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(home.database) as db:
        return db.execute("SELECT skill, status, error FROM messages WHERE role = 'step' "
                          "ORDER BY id").fetchall()


def test_a_python_blocker_from_the_corpus_stops_a_bash_call_before_the_policy(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    """davila7's dangerous-command-blocker, installed as its template says (the script in
    .claude/hooks/, the template JSON as a settings file): `rm -rf .git` is refused even with
    --yes (the hook runs before the policy), the folder is untouched, the model is told why."""
    work = tmp_path / "project"
    (work / ".git").mkdir(parents=True)
    (work / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (work / ".claude" / "hooks").mkdir(parents=True)
    shutil.copy2(DAVILA / "security/dangerous-command-blocker.py", work / ".claude/hooks")
    template = DAVILA / "security/dangerous-command-blocker.json"
    configure(home, server, f'settings_files = ["{template}"]')
    server.queue(Reply(tool_calls=[("bash", {"command": "rm -rf .git"})]),
                 Reply(text="Understood, I will not delete the repository."))
    result = pai("agent", "run", "--yes", "qa-tester", "clean up this folder", cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / ".git" / "HEAD").exists()  # the tool never ran
    told = tool_result(server.requests[1])
    assert told.startswith("Not run: blocked by hook dangerous-command-blocker.py:")
    assert "BLOCKED" in told and "Git repository" in told  # the author's own reason
    [(tool, status, error)] = steps(home)
    assert (tool, status) == ("agents/bash", "denied") and "Git repository" in (error or "")


def test_a_node_plugin_from_the_corpus_denies_reading_a_dotenv_by_json(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    """karanb192's protect-secrets plugin, its hooks.json named as it ships (with
    ${CLAUDE_PLUGIN_ROOT}): it answers `permissionDecision: deny` in JSON; the file's content
    never reaches the model."""
    work = tmp_path / "project"
    work.mkdir()
    (work / ".env").write_text("DB_PASSWORD=hunter2-very-secret\n")
    plugin = KARAN / "plugins/protect-secrets/hooks/hooks.json"
    configure(home, server, f'settings_files = ["{plugin}"]')
    server.queue(Reply(tool_calls=[("read", {"path": ".env"})]), Reply(text="I can't."))
    result = pai("agent", "run", "researcher", "what is in .env?", cwd=work,
                 env={"HOME": str(tmp_path)})  # it logs under ~/.claude
    assert result.returncode == 0, result.stderr
    told = tool_result(server.requests[1])
    assert "Not run: blocked by hook protect-secrets.js:" in told and "[env-file]" in told
    assert "hunter2" not in json.dumps([r.body for r in server.requests])


def test_an_observer_from_the_corpus_logs_what_happened(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    """karanb192's event-logger on every observer event it knows: it logs Claude Code's fields
    for pai's session, prompt and tool calls, and the turn does not wait for it."""
    work = tmp_path / "project"
    work.mkdir()
    (work / "notes.txt").write_text("alpha\n")
    logger = f"python3 {KARAN / 'utils/event-logger.py'}"
    handler = [{"hooks": [{"type": "command", "command": logger}]}]
    configure(home, server, "")
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {
        event: handler for event in ("SessionStart", "UserPromptSubmit", "PostToolUse",
                                     "SubagentStart", "SubagentStop", "SessionEnd")}}))
    server.queue(Reply(tool_calls=[("read", {"path": "notes.txt"})]), Reply(text="Alpha."))
    result = pai("agent", "run", "researcher", "read my notes", cwd=work,
                 env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    [log] = (tmp_path / ".claude" / "hooks-logs").glob("*.jsonl")
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    by_event = {entry["hook_event_name"]: entry["data"] for entry in logged}
    names = [entry["hook_event_name"] for entry in logged]
    assert names.count("SessionStart") == names.count("SessionEnd") == 1
    assert set(by_event) == {"SessionStart", "UserPromptSubmit", "PostToolUse",
                             "SubagentStart", "SubagentStop", "SessionEnd"}
    assert by_event["UserPromptSubmit"]["prompt"] == "read my notes"
    post = by_event["PostToolUse"]
    assert post["tool_name"] == "Read" and "alpha" in json.dumps(post["tool_response"])
    assert post["agent_type"] == "researcher"  # a hook inside an agent's run knows whose
    assert by_event["SubagentStop"]["agent_type"] == "researcher"
    assert by_event["SubagentStop"]["last_assistant_message"] == "Alpha."
    transcript = Path(by_event["SessionEnd"]["transcript_path"])
    lines = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["user", "assistant"]
    assert transcript.stat().st_mode & 0o777 == 0o600


def test_pai_ask_passes_user_prompt_submit_context_and_block(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    guard = tmp_path / "guard.sh"
    guard.write_text("#!/bin/sh\nif grep -q password; then echo 'no passwords, please' >&2; "
                     "exit 2; fi\necho 'The user prefers short answers.'\n")
    guard.chmod(0o755)
    configure(home, server, "")
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": str(guard)}]}],
        "SessionStart": [{"matcher": "startup", "hooks": [
            {"type": "command", "command": "echo 'Project: pai, on main.'"}]}]}}))
    server.queue(Reply(text="Hi."))
    fine = pai("ask", "hello there", cwd=tmp_path)
    assert fine.returncode == 0, fine.stderr
    [request] = server.requests
    assert "The user prefers short answers." in request.body["system"]
    assert "Project: pai, on main." in request.body["system"]  # SessionStart's stdout
    refused = pai("ask", "my password is hunter2", cwd=tmp_path)
    assert refused.returncode != 0
    assert "blocked by hook guard.sh: no passwords, please" in refused.stderr
    assert len(server.requests) == 1  # nothing was sent


def test_a_gate_hook_that_breaks_stops_pai_ask_and_says_which(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    configure(home, server, "")
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {"UserPromptSubmit": [
        {"hooks": [{"type": "command", "command": "echo '{\"decision\": oops'"}]}]}}))
    result = pai("ask", "hello", cwd=tmp_path)
    assert result.returncode != 0
    assert "hook echo printed invalid JSON" in result.stderr and "on_error" in result.stderr
    assert server.requests == []
    configure(home, server, '[hooks.on_error]\n"echo" = "allow"')
    server.queue(Reply(text="Hi."))
    relaxed = pai("ask", "hello", cwd=tmp_path)
    assert relaxed.returncode == 0, relaxed.stderr
    assert 'on_error = "allow": going on' in relaxed.stderr


def test_the_bundled_command_guard_blocks_a_force_push_to_main(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    configure(home, server, 'bundled = ["command-guard"]')
    server.queue(Reply(tool_calls=[("bash", {"command": "git push --force origin main"})]),
                 Reply(text="Not pushing."))
    result = pai("agent", "run", "--yes", "qa-tester", "ship it", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    told = tool_result(server.requests[1])
    assert "blocked by hook command-guard.py" in told and "force-pushes to main" in told
    listed = run_pai("hooks", "list", "--json")
    data = json.loads(listed.stdout)
    assert {b["name"]: b["enabled"] for b in data["bundled"]} == {
        "command-guard": True, "secrets-guard": False}
    checked = run_pai("hooks", "check")
    assert checked.returncode == 0, checked.stderr
    assert "command-guard.py" in checked.stdout and "block" in checked.stdout


def test_pai_skill_run_passes_its_input_and_its_tools_through_the_gates(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    """The skill's input is the prompt UserPromptSubmit sees; its tool, allowed by --yes, is
    still refused by a PreToolUse hook (hooks come first) and the model reads why; the Stop
    hook's objection is shown; each hook run is a span of the turn's timeline."""
    from tests.conftest import make_greeter

    make_greeter(home)
    seen = tmp_path / "prompt.json"
    deny = {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                   "permissionDecisionReason": "no greetings today"}}
    configure(home, server, "")
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": f"cat > {seen}"}]}],
        "PreToolUse": [{"matcher": "greeter/.*", "hooks": [
            {"type": "command", "command": f"echo '{json.dumps(deny)}'"}]}],
        "Stop": [{"hooks": [{"type": "command",
                             "command": "echo 'cite your sources' >&2; exit 2"}]}]}}))
    server.queue(Reply(tool_calls=[("greeter__hello", {"args": ["Ada"]})]),
                 Reply(text="No greeting, then."))
    result = pai("skill", "run", "--yes", "greeter", cwd=tmp_path, input="Ada\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(seen.read_text())["prompt"].strip() == "Ada"
    assert tool_result(server.requests[1]) == "Not run: blocked by hook echo: no greetings today"
    assert [(s[0], s[1]) for s in steps(home)] == [("greeter/hello", "denied")]
    assert "Stop hook: blocked by hook echo: cite your sources" in result.stderr
    [run] = json.loads(run_pai("runs", "--json").stdout)
    trace = run_pai("trace", str(run["id"])).stdout
    assert trace.count("hook echo") == 2 and "hook prompt.json" in trace  # (named by its file)


def test_a_hook_s_allow_skips_the_question_and_its_ask_asks_where_the_policy_allows(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    """Headless, bash needs --yes and read is allowed: a hook's "allow" lets bash run without
    it, a hook's "ask" stops read without it (there is no one to ask)."""
    def answer(decision: str) -> str:
        out = {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                      "permissionDecision": decision,
                                      "permissionDecisionReason": f"{decision} by policy hook"}}
        return f"echo '{json.dumps(out)}'"

    configure(home, server, "")
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {"PreToolUse": [
        {"matcher": "Bash", "hooks": [{"type": "command", "command": answer("allow")}]},
        {"matcher": "Read", "hooks": [{"type": "command", "command": answer("ask")}]}]}}))
    (tmp_path / "notes.txt").write_text("alpha\n")
    server.queue(Reply(tool_calls=[("bash", {"command": "echo ran > ran.txt"}),
                                   ("read", {"path": "notes.txt"})]),
                 Reply(text="Done."))
    result = pai("agent", "run", "qa-tester", "work", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ran.txt").read_text() == "ran\n"
    told = json.dumps(server.requests[1].messages[-1])
    assert "a hook asks to confirm agents/read" in told and "alpha" not in told


def test_doctor_and_check_name_a_hooks_file_that_every_gate_would_fail_on(
        home: HomePaths, tmp_path: Path) -> None:
    home.root.mkdir(parents=True)
    path = home.root / "hooks.json"
    path.write_text('{"hooks": {\n  "PreToolUse": [\n    {"matcher": "Bash",}\n  ]\n}}\n')
    doctor = run_pai("doctor", env={"COLUMNS": "200"})
    assert doctor.returncode == 1
    assert "Hooks" in doctor.stdout and f"{path}:3:" in doctor.stdout
    check = run_pai("hooks", "check")
    assert check.returncode == 1 and f"{path}:3:" in check.stderr


def test_a_stop_hook_sends_the_model_back_to_work_once(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    """Claude Code's Stop contract: exit 2 and the model goes on with the reason;
    `stop_hook_active` tells the hook it already did."""
    hook = tmp_path / "summary.py"
    hook.write_text("#!/usr/bin/env python3\nimport json, sys\n"
                    "if not json.load(sys.stdin)['stop_hook_active']:\n"
                    "    print('end with a one-line summary', file=sys.stderr); sys.exit(2)\n")
    hook.chmod(0o755)
    configure(home, server, "")
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {"Stop": [
        {"hooks": [{"type": "command", "command": str(hook)}]}]}}))
    server.queue(Reply(text="The answer."), Reply(text=" Summary: done."))
    result = pai("ask", "a question", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "The answer. Summary: done."
    _, second = server.requests
    assert "end with a one-line summary" in json.dumps(second.messages[-1])
    assert second.messages[-2]["role"] == "assistant"


def test_hooks_list_check_and_test_from_the_command_line(
        home: HomePaths, tmp_path: Path) -> None:
    """The class of PAI bug where hooks were registered but missing: `list` says where each
    comes from and whether it can run, `check` fails on it and on a hook whose last run
    failed, `test` runs a real blocker on a sample payload."""
    blocker = DAVILA / "security/dangerous-command-blocker.py"
    flaky = tmp_path / "flaky.sh"
    flaky.write_text("#!/bin/sh\necho 'boom' >&2\nexit 1\n")
    flaky.chmod(0o755)
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"env": {"X": "1"}, "hooks": {"PreToolUse": [
        {"matcher": "Bash", "hooks": [{"type": "command", "command": f"python3 {blocker}"}]},
        {"matcher": "Write", "hooks": [{"type": "command", "command": str(flaky)}]}]}}))
    from tests.conftest import write_config

    write_config(home, f'[hooks]\nsettings_files = ["{settings}"]\n')
    (home.root / "hooks.json").write_text(json.dumps({"hooks": {"Stop": [
        {"hooks": [{"type": "command", "command": "~/.claude/hooks/gone.py"}]}]}}))
    listed = json.loads(run_pai("hooks", "list", "--json").stdout)
    found = {row["name"]: row for row in listed["hooks"]}
    assert found["dangerous-command-blocker.py"]["source"] == str(settings)
    assert found["dangerous-command-blocker.py"]["runnable"] is True
    assert found["gone.py"]["runnable"] is False and "no such file" in found["gone.py"]["problem"]

    tried = run_pai("hooks", "test", "PreToolUse", "--tool", "Bash",
                    "--input", '{"command": "rm -rf /"}')
    assert tried.returncode == 2
    assert "dangerous-command-blocker.py: block (exit 2" in tried.stdout
    assert "rm on root directory" in tried.stdout
    calm = run_pai("hooks", "test", "PreToolUse", "--input", '{"command": "ls -la"}')
    assert calm.returncode == 0 and "dangerous-command-blocker.py: ok (exit 0" in calm.stdout
    run_pai("hooks", "test", "PreToolUse", "--tool", "Write", "--input", '{"file_path": "x"}')

    checked = run_pai("hooks", "check")
    assert checked.returncode == 1
    assert "Stop gone.py" in checked.stderr and "registered but cannot run" in checked.stderr
    assert "PreToolUse flaky.sh" in checked.stderr and "boom" in checked.stderr
    assert "ok   PreToolUse dangerous-command-blocker.py" in checked.stdout


def test_the_bundled_secrets_guard_blocks_a_call_carrying_a_key(
        home: HomePaths, server: FakeLLMServer, tmp_path: Path) -> None:
    """The secrets part's guard (its detector), run by pai's hook runner like any hook."""
    from tests.fake_keys import fake_keys

    token = fake_keys()["github-token"]
    configure(home, server, 'bundled = ["secrets-guard"]')
    command = f"curl -H 'Authorization: token {token}' https://api.github.com > sent.txt"
    server.queue(Reply(tool_calls=[("bash", {"command": command})]), Reply(text="Stopped."))
    result = pai("agent", "run", "--yes", "qa-tester", "call the API", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "sent.txt").exists()  # the tool never ran
    told = tool_result(server.requests[1])
    assert "blocked by hook secrets-guard" in told and token not in told
