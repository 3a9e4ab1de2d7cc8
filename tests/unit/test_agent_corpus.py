"""The real-world corpus of agent definitions: 366 files from 10 public repositories (see
tests/corpus/agents/SOURCES.md). Every file loads or is rejected with a reason naming the file
and line, none crashes the loader, and each oddity in `survey.tsv` behaves as documented."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pai_tui.agents.catalog import MAX_DEPTH, load_roots
from pai_tui.agents.definition import AgentDefinition, agent_key, read_outcome
from pai_tui.agents.validate import validate_file
from pai_tui.skills.model import Finding
from tests.builders import corpus_dir

AGENTS = corpus_dir() / "agents"
with open(AGENTS / "survey.tsv", encoding="utf-8", newline="") as survey:
    ROWS = list(csv.DictReader(survey, delimiter="\t"))

# The corpus's files that cannot be agents, and why (checked against the survey's flags below).
NO_FRONTMATTER = "no frontmatter"
UNREADABLE_YAML = "invalid YAML"
NOT_CLOSED = "not closed"


def flags_of(row: dict[str, str]) -> set[str]:
    return {flag.split(":")[0] for flag in row["oddities"].split(",") if flag}


def outcome(row: dict[str, str]) -> AgentDefinition | Finding:
    path = AGENTS / row["path"]
    return read_outcome(path, path.parent)


def unescape(value: str) -> str:
    return value.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


def test_the_survey_covers_the_whole_corpus() -> None:
    on_disk = {str(p.relative_to(AGENTS)) for p in AGENTS.rglob("*.md") if p.name != "SOURCES.md"}
    assert len(ROWS) == 366 and {row["path"] for row in ROWS} == on_disk


@pytest.mark.parametrize("row", ROWS, ids=[row["path"][-60:] for row in ROWS])
def test_every_file_loads_or_is_rejected_with_file_line_and_reason(row: dict[str, str]) -> None:
    result = outcome(row)
    if isinstance(result, Finding):
        assert result.path == AGENTS / row["path"] and result.line and result.line >= 1
        assert result.severity == "error" and result.message.startswith("not loaded: ")
        flags = flags_of(row)
        assert flags & {"no-frontmatter", "frontmatter-not-at-start", "unclosed-frontmatter",
                        "yaml-error"}, f"{row['path']} rejected: {result.message}"
        return
    assert result.name and all(w.path == result.path for w in result.warnings)
    if row["name"] and "yaml-error" not in flags_of(row):
        assert result.name == unescape(row["name"]).strip().strip("'\"")


def test_what_is_rejected_and_why() -> None:
    rejected = {row["path"]: outcome(row) for row in ROWS
                if isinstance(outcome(row), Finding)}
    reasons = sorted(finding.message.split(":")[1].strip()[:14]  # type: ignore[union-attr]
                     for finding in rejected.values())
    # 7 without frontmatter at the start (READMEs, a plain prompt, metadata as a list, text
    # before the fence), 1 whose frontmatter never closes, 1 whose YAML cannot be read even
    # leniently (a description split by a blank line).
    assert len(rejected) == 9
    assert reasons.count("no frontmatter") == 7
    assert sum("not closed" in f.message for f in rejected.values()) == 1  # type: ignore[union-attr]
    [yaml_failure] = [f for f in rejected.values() if UNREADABLE_YAML in f.message]  # type: ignore[union-attr]
    assert yaml_failure.path.name == "go-reviewer.md" and yaml_failure.line == 5


def test_unquoted_colons_in_descriptions_load_with_a_warning_naming_the_line() -> None:
    rows = [row for row in ROWS if "unquoted-colon-in" in flags_of(row)]
    assert len(rows) == 19
    loaded = [outcome(row) for row in rows]
    loaded = [agent for agent in loaded if isinstance(agent, AgentDefinition)]
    assert len(loaded) >= 18
    for agent in loaded:
        [said] = [w for w in agent.warnings if "read as quoted text" in w.message]
        assert said.line and ": " in agent.description


def test_tools_as_comma_text_flow_list_star_and_absent() -> None:
    by_flag: dict[str, list[AgentDefinition]] = {}
    for row in ROWS:
        agent = outcome(row)
        if isinstance(agent, AgentDefinition):
            for flag in flags_of(row):
                by_flag.setdefault(flag, []).append(agent)
    # No tools: every tool, as in Claude Code (Kiro's files say theirs in `allowedTools`).
    assert all(a.tools is None for a in by_flag["no-tools-key"] if "allowedTools" not in a.fields)
    comma = [a for a in by_flag["tools-comma-string"] if "Read" in str(a.fields["tools"])]
    assert comma and all("read" in a.tools for a in comma)  # type: ignore[operator]
    flow = [a for a in by_flag["tools-flow-list"] if "Read" in a.fields["tools"]]
    assert flow and all("read" in a.tools for a in flow)  # type: ignore[operator]
    stars = [a for a in by_flag.get("yaml-error", []) if a.fields.get("tools") == "*"]
    assert len(stars) == 2 and all(a.tools is None for a in stars)


def test_tools_pai_does_not_have_are_named_never_dropped_silently() -> None:
    rows = [row for row in ROWS if "tools-mcp" in flags_of(row)]
    assert len(rows) == 45
    for row in rows:
        agent = outcome(row)
        assert isinstance(agent, AgentDefinition)
        mcp = [t for t in agent.unavailable_tools if t.startswith("mcp__")]
        assert mcp, row["path"]
        for tool in mcp:
            assert any(f"tool '{tool}' is an MCP server's tool" in w.message
                       for w in agent.warnings)


def test_kiro_allowed_tools_map_to_pai_tools() -> None:
    kiro = [outcome(row) for row in ROWS if row["path"].startswith(
        "affaan-m__everything-claude-code/.kiro/")]
    assert kiro
    for agent in kiro:
        assert isinstance(agent, AgentDefinition)
        if "shell" in agent.fields.get("allowedTools", []):
            assert agent.tools is not None and "bash" in agent.tools


def test_names_with_capitals_or_spaces_are_found_by_their_lowercase_hyphen_form() -> None:
    rows = [row for row in ROWS if "name-has-space" in flags_of(row)]
    assert len(rows) == 42
    for row in rows:
        agent = outcome(row)
        assert isinstance(agent, AgentDefinition)
        assert " " not in agent.key and agent.key == agent_key(agent.name)
        assert any("lowercase letters" in w.message and w.line for w in agent.warnings)


def test_models_colours_personas_and_voices_as_written() -> None:
    models, personas, voices, hex_colours = set(), 0, 0, 0
    for row in ROWS:
        agent = outcome(row)
        if not isinstance(agent, AgentDefinition):
            continue
        models.add(agent.model)
        personas += agent.persona is not None
        voices += agent.voice is not None or agent.voice_id is not None
        hex_colours += (agent.color or "").startswith("#")
    assert {"inherit", "sonnet", "opus", "haiku", "fable", "claude-sonnet-4-20250514"} <= models
    assert not any(" " in m or "(" in m for m in models)  # "Claude Sonnet 4.5 (copilot)"
    assert personas >= 29 and voices >= 40 and hex_colours >= 15


def test_pai_s_full_shape_reads_whole() -> None:
    path = AGENTS / "danielmiessler__Personal_AI_Infrastructure/Releases/v4.0.3/.claude/agents"
    agent = read_outcome(path / "Architect.md", path)
    assert isinstance(agent, AgentDefinition)
    assert agent.model == "opus" and agent.isolation == "worktree" and agent.color == "purple"
    assert agent.persona is not None and agent.persona.name and agent.persona.title
    assert isinstance(agent.voice, dict) and agent.voice_id
    assert "allow" in agent.permissions and agent.prompt.strip()


def test_literal_backslash_n_in_descriptions_are_line_breaks() -> None:
    rows = [row for row in ROWS if "description-literal-backslash-n" in flags_of(row)]
    assert len(rows) == 17
    for row in rows:
        agent = outcome(row)
        if isinstance(agent, AgentDefinition):
            assert "\\n" not in agent.description and "\n" in agent.description


def test_a_crlf_file_loads_like_any_other() -> None:
    [row] = [row for row in ROWS if "crlf" in flags_of(row)]
    agent = outcome(row)
    assert isinstance(agent, AgentDefinition)
    assert "\r" not in agent.prompt and "\r" not in agent.description


def test_a_name_given_twice_in_one_collection_is_shadowed_with_both_files_named() -> None:
    root = AGENTS / "vijaythecoder__awesome-claude-agents"
    catalog = load_roots([root])
    said = [w for w in catalog.warnings if "shadowed" in w.message
            and "vue-component-architect" in w.message]
    assert said and str(root) in said[0].message


def test_every_collection_loads_as_a_root_without_crashing() -> None:
    roots = sorted(p for p in AGENTS.iterdir() if p.is_dir())
    catalog = load_roots(roots)
    # Hidden folders under a root are not searched (PAI's .claude/agents is a root of its own),
    # nor folders deeper than MAX_DEPTH (an accidentally nested copy of a collection).
    visible = [row for row in ROWS
               if not any(part.startswith(".") for part in Path(row["path"]).parts)
               and len(Path(row["path"]).parts) - 2 <= MAX_DEPTH]
    shadowed = [w for w in catalog.warnings if "is shadowed by" in w.message]
    # Each readable file is an agent, or shadowed by one of its name found first (copies and
    # translations share names), or rejected with its reason.
    assert len(catalog) + len(shadowed) + len(catalog.rejected) == len(visible)
    assert len(catalog) > 250 and all(f.line for f in catalog.rejected)


def test_validate_strict_reports_each_file_by_line() -> None:
    path = AGENTS / "danielmiessler__LifeOS/LifeOS/install/agents/Forge.md"
    findings = validate_file(path, strict=True)
    assert findings and all(f.severity == "error" and f.line for f in findings)
    lenient = validate_file(path)
    assert all(f.severity == "warning" for f in lenient)
