"""Skills answering chat turns, end to end through the real SDKs and the loopback server: the
skill's instructions and tools reach the model, its tool calls run (as the permission policy
says) and come back as results, steps are saved under the answer, nested skills run first,
Fabric patterns, unknown slash commands, direct tool rules, and `pai skill run` / `pai route`
as subprocesses that compose with pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from tests.builders import rows, tool_results
from tests.conftest import KEYS, REPO, TEST_KEYS, make_greeter, point_providers_at, run_pai
from tests.fakes.llm_server import FakeLLMServer, Reply

FABRIC = REPO / "tests" / "corpus" / "fabric-patterns"


@pytest.fixture(params=["anthropic", "openai"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    variable = "ANTHROPIC_API_KEY" if request.param == "anthropic" else "OPENAI_API_KEY"
    monkeypatch.setenv(variable, TEST_KEYS[request.param])
    return request.param


def make_cockpit(home: HomePaths, server: FakeLLMServer, extra: str = "") -> Cockpit:
    point_providers_at(home, server, extra)
    home.ensure()
    return Cockpit(load_config(home))


def system_text(request_body: dict) -> str:  # type: ignore[type-arg]
    """The system prompt as either API carries it."""
    system = request_body.get("system")
    if isinstance(system, list):
        return "".join(block.get("text", "") for block in system)
    if isinstance(system, str):
        return system
    first = request_body["messages"][0]
    return first["content"] if first["role"] in ("system", "developer") else ""


async def test_a_skill_answers_with_its_instructions_and_its_safe_tool(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    llm_server.queue(Reply(tool_calls=[("summarize__wordcount",
                                        {"args": ["--json"], "stdin": "one two three"})]),
                     Reply(text="Three words, a one-minute read."))
    cockpit = make_cockpit(home, llm_server)
    try:
        answer = await cockpit.turns.send(None, "/summarize one two three")
    finally:
        await cockpit.aclose()
    assert answer.status == "complete", answer.error
    assert answer.content == "Three words, a one-minute read."
    assert answer.skill == "summarize"
    first, second = llm_server.requests
    assert "# Summarize" in system_text(first.body)  # the SKILL.md body, read at use
    names = {t.get("name") or t["function"]["name"] for t in first.tools}
    assert names == {"summarize__wordcount", "summarize__chunk"}
    [result] = tool_results(second.body)
    assert '"words": 3' in result and "exit 0" in result
    steps = rows(home, "SELECT role, skill, status, parent_id, content FROM messages "
                       "WHERE role = 'step'")
    assert [s[:4] for s in steps] == [("step", "summarize/wordcount", "complete", answer.id)]
    assert '"words": 3' in steps[0][4]
    # The step is not sent as a message of its own on the next turn.
    llm_server.queue(Reply(text="ok"))
    cockpit = make_cockpit(home, llm_server)
    try:
        await cockpit.turns.send(answer.session_id, "thanks")
    finally:
        await cockpit.aclose()
    roles = [m["role"] for m in llm_server.requests[-1].messages if m["role"] != "system"]
    assert roles == ["user", "assistant", "user"]


async def test_a_tool_that_needs_permission_is_refused_headless_unless_yes(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    make_greeter(home)
    call = Reply(tool_calls=[("greeter__hello", {"args": ["Ada"]})])
    llm_server.queue(call, Reply(text="Refused, as it should be."))
    cockpit = make_cockpit(home, llm_server)
    try:
        answer = await cockpit.turns.send(None, "/greeter Ada")
        [result] = tool_results(llm_server.requests[1].body)
        assert "Not run" in result and "--yes" in result
        assert "Ada" not in result
        [step] = rows(home, "SELECT skill, status, error FROM messages WHERE role='step'")
        assert step[0] == "greeter/hello" and step[1] == "denied" and "--yes" in step[2]
        assert answer.status == "complete"

        llm_server.queue(call, Reply(text="Greeted."))
        cockpit.approvals.assume_yes = True
        await cockpit.turns.send(answer.session_id, "/greeter Ada")
        [result] = tool_results(llm_server.requests[3].body)
        assert "[bold]hello[/] Ada" in result
    finally:
        await cockpit.aclose()


async def test_red_team_runs_first_principles_first_as_a_nested_step(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    llm_server.queue(Reply(text="BELIEFS: rockets must be expensive."),
                     Reply(text="ATTACK: the belief is wrong."))
    cockpit = make_cockpit(home, llm_server)
    try:
        answer = await cockpit.turns.send(None, "/red-team we should build our own rockets")
    finally:
        await cockpit.aclose()
    assert answer.status == "complete" and answer.content == "ATTACK: the belief is wrong."
    nested, main = llm_server.requests
    assert "first-principles" in system_text(nested.body)
    assert "red-team" in system_text(main.body)
    last_user = main.messages[-1]["content"]
    last_user = last_user if isinstance(last_user, str) else last_user[0]["text"]
    assert "we should build our own rockets" in last_user
    assert "BELIEFS: rockets must be expensive." in last_user
    [step] = rows(home, "SELECT skill, status, content FROM messages WHERE role='step'")
    assert step == ("first-principles", "complete", "BELIEFS: rockets must be expensive.")
    assert answer.input_tokens == 2 * 11  # both model calls count in the answer's cost


async def test_an_unknown_slash_command_says_so_and_sends_nothing(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    cockpit = make_cockpit(home, llm_server)
    try:
        answer = await cockpit.turns.send(None, "/sumarize this")
    finally:
        await cockpit.aclose()
    assert answer.status == "error"
    assert "no skill named sumarize" in (answer.error or "")
    assert "/summarize" in (answer.error or "")  # the close name is suggested
    assert llm_server.requests == []


async def test_a_routing_rule_naming_a_tool_runs_it_without_a_model(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    home.root.mkdir(parents=True, exist_ok=True)
    (home.root / "routing.toml").write_text(
        '[[rule]]\nslash = "/mm"\nskill = "art"\ntool = "mermaid"\n')
    cockpit = make_cockpit(home, llm_server)
    try:
        answer = await cockpit.turns.send(None, "/mm --help")
    finally:
        await cockpit.aclose()
    assert answer.status == "complete", answer.error
    assert answer.skill == "art/mermaid"
    assert "usage:" in answer.content.lower() and answer.content.startswith("```")
    assert llm_server.requests == []


async def test_a_fabric_pattern_runs_with_its_system_prompt(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    llm_server.queue(Reply(text="IDEAS: ..."))
    cockpit = make_cockpit(home, llm_server)
    cockpit.config.skills.fabric = [str(FABRIC)]
    try:
        answer = await cockpit.turns.send(None, "/extract-wisdom a talk about habits")
    finally:
        await cockpit.aclose()
    assert answer.status == "complete"
    [request] = llm_server.requests
    pattern = (FABRIC / "extract_wisdom" / "system.md").read_text()
    assert pattern.strip()[:200] in system_text(request.body)
    assert request.tools == []


def skill_run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_pai("skill", "run", *args, input=input, env=KEYS)


def test_pai_skill_run_streams_only_the_answer_and_composes(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    point_providers_at(home, llm_server)
    llm_server.queue(Reply(text="Beliefs table."))
    first = skill_run("first-principles", input="an idea\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "Beliefs table.\n"
    llm_server.queue(Reply(text="nested"), Reply(text="Attacked."))
    second = skill_run("red-team", input=first.stdout)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "Attacked.\n"
    assert "first-principles" in second.stderr  # the nested step, told on stderr
    assert "Beliefs table." in json.dumps(llm_server.requests[-2].messages)


def test_pai_skill_run_a_tool_passes_stdin_and_exit_code(home: HomePaths) -> None:
    result = skill_run("summarize", "--tool", "wordcount", "--", "--json", input="a b c d e\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["words"] == 5
    bad = skill_run("summarize", "--tool", "chunk", "--", "--words", "zero", input="a")
    assert bad.returncode == 2 and "words" in bad.stderr
    unknown = skill_run("nosuch", input="x")
    assert unknown.returncode == 2 and "no skill named" in unknown.stderr


def test_pai_skill_run_fabric_pattern_by_either_spelling(
        home: HomePaths, llm_server: FakeLLMServer) -> None:
    point_providers_at(home, llm_server, extra=f'\n[skills]\nfabric = ["{FABRIC}"]\n')
    for name in ("extract_wisdom", "extract-wisdom"):
        llm_server.queue(Reply(text="WISDOM"))
        result = skill_run(name, input="talk transcript\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout == "WISDOM\n"


def test_pai_route_json_names_the_skill_or_null(home: HomePaths) -> None:
    hit = json.loads(run_pai("route", "--json", "/summarize this").stdout)
    assert hit["skill"] == "summarize" and hit["how"] == "slash" and hit["reasons"]
    chat = json.loads(run_pai("route", "--json", "hello there").stdout)
    assert chat["skill"] is None and chat["how"] == "chat"
    piped = subprocess.run([sys.executable, "-m", "pai_tui", "route"], input="/red-team x",
                           capture_output=True, text=True, cwd=REPO)
    assert piped.stdout.startswith("red-team")


async def test_model_routing_asks_the_model_only_below_the_threshold(
        home: HomePaths, llm_server: FakeLLMServer, kind: str, tmp_path: Path) -> None:
    llm_server.queue(Reply(text="summarize"), Reply(text="Short version."))
    cockpit = make_cockpit(home, llm_server, extra="\n[skills]\nmodel_routing = true\n"
                                                   "threshold = 0.99\n")
    try:
        answer = await cockpit.turns.send(None, "could you shorten these meeting notes for me")
    finally:
        await cockpit.aclose()
    choosing, answering = llm_server.requests
    assert "Which skill should handle" in json.dumps(choosing.messages)
    assert answer.skill == "summarize" and answer.content == "Short version."
    assert "# Summarize" in system_text(answering.body)


async def test_the_newest_message_is_routed_alone_after_a_failed_answer(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    cockpit = make_cockpit(home, llm_server)
    try:
        failed = await cockpit.turns.send(None, "/sumarize x")  # a typo: an error, nothing sent
        assert failed.status == "error"
        llm_server.queue(Reply(text="Hi!"))
        answer = await cockpit.turns.send(failed.session_id, "hello, how are you")
    finally:
        await cockpit.aclose()
    assert answer.status == "complete" and answer.skill is None and answer.content == "Hi!"


async def test_a_denied_tool_is_neither_offered_nor_run(
        home: HomePaths, llm_server: FakeLLMServer, kind: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    skill = home.skills / "danger"
    (skill / "tools").mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: danger\ndescription: Wipes.\n---\nWipe.\n")
    (skill / "tools" / "wipe.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (skill / "tools" / "safe.py").write_text("print('usage: safe')\n")
    llm_server.queue(Reply(text="ok"))
    cockpit = make_cockpit(home, llm_server, extra='\n[skills.permissions]\n'
                                                   '"danger/wipe" = "deny"\n')
    try:
        await cockpit.turns.send(None, "/danger now")
    finally:
        await cockpit.aclose()
    names = {t.get("name") or t["function"]["name"] for t in llm_server.requests[0].tools}
    assert names == {"danger__safe"}
    assert not marker.exists()  # not even run with --help to describe it


async def test_a_bare_slash_command_sends_a_real_message(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    llm_server.queue(Reply(text="Nothing to summarize."))
    cockpit = make_cockpit(home, llm_server)
    try:
        answer = await cockpit.turns.send(None, "/summarize")
    finally:
        await cockpit.aclose()
    assert answer.status == "complete"
    last = llm_server.requests[0].messages[-1]["content"]
    text = last if isinstance(last, str) else last[0]["text"]
    assert "apply the skill to the conversation" in text


def test_a_skill_calling_a_missing_skill_fails_cleanly(home: HomePaths,
                                                       llm_server: FakeLLMServer) -> None:
    point_providers_at(home, llm_server)
    skill = home.skills / "lonely"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: lonely\ndescription: Calls a ghost.\n"
                                    "metadata:\n  calls: ghost\n---\nBody.\n")
    result = skill_run("lonely", input="x\n")
    assert result.returncode == 3, result.stderr
    assert "calls 'ghost', which is not installed" in result.stderr
    assert "Traceback" not in result.stderr and "pai doctor" not in result.stderr
    assert llm_server.requests == []


def test_stdin_that_is_not_utf8_is_read_not_refused(home: HomePaths,
                                                    llm_server: FakeLLMServer) -> None:
    point_providers_at(home, llm_server)
    llm_server.queue(Reply(text="ok"))
    result = subprocess.run([sys.executable, "-m", "pai_tui", "skill", "run", "first-principles"],
                            input=b"caf\xe9 idea\n", capture_output=True, cwd=REPO,
                            env={**os.environ, **KEYS})
    assert result.returncode == 0, result.stderr
    assert "caf\ufffd idea" in json.dumps(llm_server.requests[0].messages, ensure_ascii=False)


@pytest.mark.parametrize(("said", "expected"), [
    ("summarize", "summarize"), ("none (it is not red-team or summarize)", None),
    ("summarize, not red-team", "summarize"), ("first principles", "first-principles"),
    ("None.", None), ("I would pick `red-team`.", "red-team"), ("no idea", None)])
def test_the_model_routing_answer_is_read_carefully(said: str, expected: str | None) -> None:
    from pai_tui.skills.model import Skill
    from pai_tui.turns.route import named_skill as _named_skill

    listed = [Skill(name, "", Path(f"/x/{name}/SKILL.md"), Path("/x"))
              for name in ("red-team", "summarize", "first-principles")]
    pick = _named_skill(said, listed)
    assert (pick.key if pick else None) == expected
