"""Agent definitions as a user writes them and as pai shows them: fields read leniently with
warnings by file and line, roots with precedence and shadowing, the bundled agents, and the
`pai agent` commands (list --json is a contract)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pai_tui.agents.catalog import load_catalog
from pai_tui.agents.definition import AgentDefinition, Budget, read_outcome
from pai_tui.agents.validate import validate_file
from pai_tui.cli.group import cli
from pai_tui.config import load_config
from pai_tui.paths import HomePaths, bundled
from tests.conftest import run_pai, write_config

BUNDLED = ("architect", "designer", "engineer", "qa-tester", "red-teamer", "researcher")


def write_agent(folder: Path, name: str, front: str, body: str = "You help.\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    return path


def read(path: Path) -> AgentDefinition:
    agent = read_outcome(path, path.parent)
    assert isinstance(agent, AgentDefinition), agent
    return agent


def test_a_claude_code_agent_reads_with_pai_tools_and_its_prompt(tmp_path: Path) -> None:
    path = write_agent(tmp_path, "reviewer", "name: reviewer\ndescription: Reviews code.\n"
                       "tools: Read, Grep, Glob, Bash(git diff:*), WebFetch\nmodel: haiku\n"
                       "color: cyan\nmaxTurns: 7", "You review.\n\nBe brief.\n")
    agent = read(path)
    assert (agent.name, agent.description, agent.model, agent.color) == \
        ("reviewer", "Reviews code.", "haiku", "cyan")
    assert agent.tools == ("read", "grep", "glob", "bash")
    assert agent.unavailable_tools == ("WebFetch",)
    [said] = agent.warnings
    assert said.line == 4 and "tool 'WebFetch'" in said.message
    assert "runs without it" in said.message
    assert agent.budget == Budget(max_turns=7)
    assert agent.prompt == "You review.\n\nBe brief."


def test_pai_budget_and_persona_with_bad_values_said_by_line(tmp_path: Path) -> None:
    path = write_agent(tmp_path, "a", "name: a\ndescription: d\npersona:\n  name: Ada\n"
                       "  title: Lead\nbudget:\n  max_usd: 0.5\n  max_turns: -3\n"
                       "  max_tokens: 9\n  max_seconds: .nan")
    agent = read(path)
    assert agent.budget == Budget(max_usd=0.5)
    assert agent.title == "Ada, Lead"
    by_line = {w.line: w.message for w in agent.warnings}
    assert "max_turns" in by_line[9] and "above 0" in by_line[9]
    assert "max_tokens" in by_line[10] and "not one of" in by_line[10]
    assert "max_seconds" in by_line[11]


def test_a_file_without_name_loads_under_its_file_name_and_says_so(tmp_path: Path) -> None:
    agent = read(write_agent(tmp_path, "helper", "description: Helps."))
    assert agent.name == "helper"
    assert any("no 'name'" in w.message and w.line == 1 for w in agent.warnings)


def test_a_name_claude_code_refuses_is_not_loaded_with_the_reason(tmp_path: Path) -> None:
    outcome = read_outcome(write_agent(tmp_path, "x", "name: team:lead\ndescription: d"),
                           tmp_path)
    assert not isinstance(outcome, AgentDefinition)
    assert outcome.line == 2 and "holds ':'" in outcome.message


def test_first_root_wins_and_the_shadowed_file_is_named(home: HomePaths, tmp_path: Path
                                                         ) -> None:
    mine = write_agent(home.agents, "architect", "name: architect\ndescription: Mine.")
    extra = tmp_path / "claude-agents"
    write_agent(extra, "Architect", "name: Architect\ndescription: Theirs.")
    write_agent(extra, "scout", "name: scout\ndescription: Scouts.")
    write_config(home, f'[agents]\nroots = ["{extra}", "{tmp_path / "missing"}"]\n')
    catalog = load_catalog(load_config(home))
    architect = catalog.get("ARCHITECT")
    assert architect is not None and architect.path == mine
    assert catalog.get("scout") is not None and catalog.get("researcher") is not None
    messages = [str(f) for f in catalog.findings()]
    assert any(f"is shadowed by {mine}" in m and "Architect.md" in m for m in messages)
    assert any(str(tmp_path / "missing") in m and "does not exist" in m for m in messages)


def test_the_bundled_agents_are_six_distinct_people_with_budgets() -> None:
    root = bundled("assets") / "agents"
    agents = [read(root / f"{name}.md") for name in BUNDLED]
    assert all(a.persona and a.persona.title and a.prompt and a.description for a in agents)
    assert all(a.budget.max_usd and a.budget.max_turns and a.budget.max_seconds for a in agents)
    voices = [a.voice["id"] for a in agents]
    assert len(set(voices)) == 6 and len({a.color for a in agents}) == 6
    engineer = next(a for a in agents if a.name == "engineer")
    assert engineer.isolation == "worktree" and "bash" in (engineer.tools or ())
    assert next(a for a in agents if a.name == "red-teamer").skills == ("red-team",)
    assert all(validate_file(a.path, strict=True) == [] for a in agents)


def test_agent_list_json_is_the_contract(home: HomePaths) -> None:
    path = write_agent(home.agents, "scout", "name: scout\ndescription: Scouts.\n"
                       "tools: [Read, mcp__web__search]\nmodel: openai/gpt-5-mini")
    result = CliRunner().invoke(cli, ["agent", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert set(listed) >= {"scout", *BUNDLED}
    scout = listed["scout"]
    assert {k: scout[k] for k in ("name", "description", "path", "model", "tools")} == {
        "name": "scout", "description": "Scouts.", "path": str(path),
        "model": "openai/gpt-5-mini", "tools": ["read"]}
    assert scout["unavailable_tools"] == ["mcp__web__search"]
    warnings = CliRunner().invoke(cli, ["agent", "list", "--warnings"])
    assert f"{path}:4: tool 'mcp__web__search' is an MCP server's tool" in warnings.stdout


def test_agent_validate_names_file_line_and_exits_1_on_an_error(home: HomePaths,
                                                                 tmp_path: Path) -> None:
    good = write_agent(tmp_path, "ok", "name: ok\ndescription: Fine.\nmodel: sonnet")
    bad = write_agent(tmp_path, "bad", "name: bad\ndescription: [unclosed")
    odd = write_agent(tmp_path / "odd", "odd", "name: odd\ndescription: d\nemoji: x")
    assert run_pai("agent", "validate", str(good)).returncode == 0
    result = run_pai("agent", "validate", str(bad))
    assert result.returncode == 1 and f"{bad}:4: error: not loaded: invalid YAML" in result.stdout
    assert "starting on line 3" in result.stdout
    assert run_pai("agent", "validate", str(odd.parent)).returncode == 0
    strict = run_pai("agent", "validate", "--strict", str(odd.parent))
    assert strict.returncode == 1
    assert f"{odd}:4: error: 'emoji' is not a field pai reads" in strict.stdout
    assert "1 agent file checked: 1 error" in strict.stderr


def test_agent_show_prints_who_and_the_prompt_literally(home: HomePaths) -> None:
    write_agent(home.agents, "scout", "name: scout\ndescription: Scouts.",
                "Look \x1b]0;pwned\x07 around.\n")
    result = run_pai("agent", "show", "Scout")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "Look" in result.stdout and "around." in result.stdout
    missing = run_pai("agent", "show", "nobody")
    assert missing.returncode == 2 and "no agent called 'nobody'" in missing.stderr
