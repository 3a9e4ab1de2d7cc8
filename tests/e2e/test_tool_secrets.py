"""A tool's output in a chat turn, end to end through the real SDKs and the loopback server: a
tool that prints the keys it was given (and the ones it finds in PAI_HOME) leaves no key in the
step row saved under the answer nor in the tool result sent to the model; rules that name one
tool in two spellings and disagree keep the tool from running."""

from __future__ import annotations

import pytest

from pai_tui.cockpit import Cockpit
from pai_tui.config import load_config
from pai_tui.paths import HomePaths
from tests.builders import rows, tool_results
from tests.conftest import TEST_KEYS, point_providers_at, run_pai
from tests.fakes.llm_server import FakeLLMServer, Reply

DUMP = """
import json, os, sys
if "--help" in sys.argv:
    print("envdump: print the environment as JSON"); sys.exit()
home = os.environ["PAI_HOME"]
print(json.dumps(dict(os.environ)))
print(open(os.path.join(home, "secrets.toml")).read())
"""
FILE_KEY = "sk-stability-from-file-9999zzzz"


@pytest.fixture(params=["anthropic", "openai"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    variable = "ANTHROPIC_API_KEY" if request.param == "anthropic" else "OPENAI_API_KEY"
    monkeypatch.setenv(variable, TEST_KEYS[request.param])
    return request.param


def make_leaky(home: HomePaths) -> None:
    """A skill whose safe tool needs the providers' keys, and prints whatever it can find."""
    skill = home.skills / "leaky"
    (skill / "tools").mkdir(parents=True)
    (skill / "SKILL.md").write_text(
        "---\nname: leaky\ndescription: Dumps the environment.\nmetadata:\n"
        "  safe-tools: envdump\n  needs-keys: ANTHROPIC_API_KEY OPENAI_API_KEY STABILITY_KEY\n"
        "---\nRun envdump.\n")
    (skill / "tools" / "envdump.py").write_text(DUMP.lstrip())
    secrets = home.root / "secrets.toml"
    secrets.write_text(f'STABILITY_KEY = "{FILE_KEY}"\n')
    secrets.chmod(0o600)


def make_cockpit(home: HomePaths, server: FakeLLMServer, extra: str = "") -> Cockpit:
    point_providers_at(home, server, extra)
    home.ensure()
    make_leaky(home)
    return Cockpit(load_config(home))


def step_rows(home: HomePaths) -> list[tuple[str, str, str | None]]:
    return rows(home, "SELECT status, content, error FROM messages WHERE role = 'step'")


async def test_keys_a_tool_prints_reach_neither_the_history_nor_the_model(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    llm_server.queue(Reply(tool_calls=[("leaky__envdump", {"args": []})]), Reply(text="Done."))
    cockpit = make_cockpit(home, llm_server)
    try:
        answer = await cockpit.turns.send(None, "/leaky dump it")
    finally:
        await cockpit.aclose()
    assert answer.status == "complete", answer.error
    [result] = tool_results(llm_server.requests[1].body)
    [(status, content, _)] = step_rows(home)
    assert status == "complete"
    for text in (result, content):
        assert TEST_KEYS[kind] not in text and FILE_KEY not in text
        assert "[redacted STABILITY_KEY]" in text
        assert "[redacted ANTHROPIC_API_KEY]" in text or "[redacted OPENAI_API_KEY]" in text
    raw = (home.database).read_bytes()
    assert TEST_KEYS[kind].encode() not in raw and FILE_KEY.encode() not in raw


def test_pai_skill_run_tool_streams_the_output_without_keys(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    make_cockpit(home, llm_server)
    done = run_pai("skill", "run", "leaky", "--tool", "envdump")
    assert done.returncode == 0, done.stderr
    assert "PAI_HOME" in done.stdout and "[redacted STABILITY_KEY]" in done.stdout
    assert TEST_KEYS[kind] not in done.stdout and FILE_KEY not in done.stdout


async def test_conflicting_rules_keep_the_tool_from_running(
        home: HomePaths, llm_server: FakeLLMServer, kind: str) -> None:
    rules = '\n[skills.permissions]\n"leaky/envdump" = "allow"\n"Leaky/EnvDump" = "deny"\n'
    llm_server.queue(Reply(tool_calls=[("leaky__envdump", {"args": []})]), Reply(text="No."))
    cockpit = make_cockpit(home, llm_server, rules)
    try:
        cockpit.approvals.assume_yes = True
        await cockpit.turns.send(None, "/leaky dump it")
    finally:
        await cockpit.aclose()
    offered = {t.get("name") or t["function"]["name"] for t in llm_server.requests[0].tools}
    assert "leaky__envdump" not in offered  # a denied tool is not offered
    [result] = tool_results(llm_server.requests[1].body)
    assert "Not run: there is no tool" in result and "PAI_HOME" not in result
    [(status, content, _)] = step_rows(home)
    assert (status, content) == ("denied", "")
    # Named by hand on the command line, it is refused naming both spellings.
    done = run_pai("skill", "run", "leaky", "--tool", "envdump")
    assert done.returncode == 2 and "PAI_HOME" not in done.stdout
    assert '"leaky/envdump" = "allow"' in done.stderr
    assert '"Leaky/EnvDump" = "deny"' in done.stderr and "most restrictive" in done.stderr
