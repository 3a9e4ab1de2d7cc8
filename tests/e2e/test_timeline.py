"""The timeline as a user meets it: every turn and run leaves spans in the store as it goes
(model calls with tokens and cost, tool runs with their arguments and exit, permission questions,
routing), and `pai runs` / `pai trace` print them, in text, JSON lines or OTLP JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pai_tui.paths import HomePaths
from tests.builders import rows
from tests.conftest import TEST_KEYS, point_providers_at, run_pai
from tests.fakes.llm_server import FakeLLMServer, Reply

KEYS = {"ANTHROPIC_API_KEY": TEST_KEYS["anthropic"], "OPENAI_API_KEY": TEST_KEYS["openai"]}


@pytest.fixture
def server(home: HomePaths, llm_server: FakeLLMServer) -> FakeLLMServer:
    point_providers_at(home, llm_server)
    return llm_server


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
    print(spans(home))
    print(rows(home, "SELECT attributes FROM spans"))
    assert 0
