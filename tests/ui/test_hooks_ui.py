"""Hooks in the cockpit, under `run_test()`: a PreToolUse hook refuses an agent's write before
anyone is asked, and an observer hook that has not finished holds nothing up."""

from __future__ import annotations

import json

from pai_tui.paths import HomePaths, pai_home
from pai_tui.ui.agents_pane import AgentsPane
from tests.fakes.llm_server import FakeLLMServer, Reply
from tests.pilot import eventually, running


def rows(app):  # type: ignore[no-untyped-def]
    return app.main.query_one(AgentsPane).rows


def register(hooks: dict[str, object]) -> None:
    home = HomePaths(pai_home())
    home.root.mkdir(parents=True, exist_ok=True)
    (home.root / "hooks.json").write_text(json.dumps({"hooks": hooks}))


async def test_a_hook_refuses_a_write_before_the_question_and_an_observer_never_stalls(
        llm_server: FakeLLMServer, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pai_tui.ui.dialogs import PermissionDialog

    monkeypatch.chdir(tmp_path)
    release, observed = tmp_path / "release", tmp_path / "observed"
    waiter = f"while [ ! -e {release} ]; do sleep 0.05; done; touch {observed}"
    register({
        "PreToolUse": [{"matcher": "Write", "hooks": [
            {"type": "command", "command": "echo 'specs are frozen' >&2; exit 2"}]}],
        "SubagentStop": [{"hooks": [{"type": "command", "command": waiter}]}]})
    llm_server.queue(Reply(tool_calls=[("write", {"path": "spec.md", "content": "# Spec\n"})]),
                     Reply(text="The specs are frozen, so I wrote nothing."))
    async with running(size=(160, 45), server=llm_server) as (app, pilot):
        app.start_agent("designer", "write the spec")
        # Done while the observer (SubagentStop) still waits: the run did not wait for it.
        assert await eventually(pilot, lambda: any(
            r.status == "complete" for r in rows(app).values()), timeout=15)
        assert not isinstance(app.screen, PermissionDialog)  # refused before anyone was asked
        assert not (tmp_path / "spec.md").exists()
        content = llm_server.requests[1].messages[-1]["content"]
        [result] = [part for part in content if part.get("type") == "tool_result"]
        assert "blocked by hook echo: specs are frozen" in json.dumps(result)
        assert not observed.exists()
        release.touch()
    assert observed.exists()  # closing let the observer finish
