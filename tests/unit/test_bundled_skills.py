"""The bundled skills: each passes strict Agent Skills validation (its tools' --help included),
routes well (a USE WHEN clause, a PAI routing table whose files exist), and declares in
`metadata` the calls, safe tools and keys the team agreed on."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from pai_tui.paths import bundled
from pai_tui.skills.index import SkillIndex, load_roots
from pai_tui.skills.model import Skill
from pai_tui.skills.routing_table import RoutingTable, bundled_table_path
from pai_tui.skills.validate import validate

# name -> (safe tools, skills it calls, keys its tools need), as in the team's plan.
EXPECTED = {
    "first-principles": ((), (), ()),
    "red-team": ((), ("first-principles",), ()),
    "research": (("sources",), (), ()),
    "summarize": (("wordcount", "chunk"), (), ()),
    "development": (("scaffold",), (), ()),
    "art": (("mermaid",), (), ("OPENAI_API_KEY",)),
    "lifelog": ((), (), ()),
    "telos": ((), (), ()),
    "create-skill": ((), (), ()),
}
ROOT = bundled("skills")


@cache
def bundled_index() -> SkillIndex:
    return load_roots([ROOT])


def bundled_skill(name: str) -> Skill:
    skill = bundled_index().get(name)
    assert skill is not None, f"{name} is not loaded: {bundled_index().findings()}"
    return skill


def test_the_bundled_skills_are_the_agreed_ones() -> None:
    folders = sorted(p.parent.name for p in ROOT.glob("*/SKILL.md"))
    assert folders == sorted(EXPECTED)
    assert bundled_index().rejected == [] and bundled_index().warnings == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_skill_passes_strict_validation(name: str) -> None:
    findings = validate(ROOT / name, strict=True)
    assert [str(f) for f in findings] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_description_says_what_and_when(name: str) -> None:
    description = bundled_skill(name).description
    assert description.count("USE WHEN") == 1
    what, _, when = description.partition("USE WHEN ")
    assert len(what.split()) >= 10, "say what the skill does before USE WHEN"
    triggers = [t.strip() for t in when.rstrip(".").split(",") if t.strip()]
    assert len(triggers) >= 8, f"USE WHEN lists only {triggers}"
    assert set(name.split("-")) <= set(re.findall(r"[a-z]+", when.lower()))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_declares_the_agreed_tools_calls_and_keys(name: str) -> None:
    skill = bundled_skill(name)
    safe, calls, keys = EXPECTED[name]
    assert (skill.safe_tools, skill.calls, skill.needs_keys) == (safe, calls, keys)
    tools = {tool.stem for tool in skill.tool_files()}
    assert set(safe) <= tools, f"safe-tools names a tool that is not in tools/: {tools}"
    for called in skill.calls:
        assert called in bundled_index()


def _referenced_files(skill: Skill) -> set[str]:
    """Paths like `workflows/x.md` or `templates/y.md` written in the SKILL.md."""
    text = skill.path.read_text(encoding="utf-8")
    return set(re.findall(r"`((?:workflows|templates|references|tools)/[\w./-]+)`", text))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_file_a_skill_names_exists(name: str) -> None:
    skill = bundled_skill(name)
    named = _referenced_files(skill) | {r.file for r in skill.routes if r.file}
    assert named, "the SKILL.md names no workflow file"
    for relative in named:
        assert (skill.folder / relative).is_file(), f"{skill.path} names missing {relative}"
    for workflow in skill.workflow_files():
        body = workflow.read_text(encoding="utf-8")
        for relative in re.findall(r"`(workflows/[\w.-]+\.md)`", body):
            assert (skill.folder / relative).is_file(), f"{workflow} names missing {relative}"


def _plain(name: str) -> str:
    """A workflow name as the runner compares it: `PreMortem` finds `premortem.md`."""
    return re.sub(r"[\s_-]+", "", name).lower()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_routing_table_rows_lead_to_every_workflow(name: str) -> None:
    """Each workflow file has a `| Workflow | Trigger | File |` row whose name finds it."""
    skill = bundled_skill(name)
    files = {p.name for p in skill.workflow_files()}
    assert files
    rows = {Path(r.file).name: r for r in skill.routes if r.file}
    assert set(rows) == files
    for file_name, row in rows.items():
        assert _plain(row.workflow) == _plain(Path(file_name).stem)
        assert row.trigger.count('"') >= 4, f"{row.workflow}: quote at least two triggers"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_body_mentions_each_tool_and_when_to_call_it(name: str) -> None:
    skill = bundled_skill(name)
    body = skill.body()
    for tool in skill.tool_files():
        assert f"`{tool.stem}`" in body, f"{skill.path} never tells the model about {tool.stem}"
    assert "## Output format" in body


def test_development_templates_have_the_scaffold_placeholders() -> None:
    templates = ROOT / "development" / "templates"
    assert sorted(p.name for p in templates.iterdir()) == ["plan.md", "spec.md", "tasks.md"]
    for template in templates.iterdir():
        text = template.read_text(encoding="utf-8")
        assert text.startswith(("# Spec: {{title}}", "# Plan: {{title}}", "# Tasks: {{title}}"))
        assert "Date: {{date}}" in text
        assert set(re.findall(r"\{\{\s*(\w+)\s*\}\}", text)) == {"title", "date"}


def test_bundled_routing_table_names_real_workflows_and_tools() -> None:
    table = RoutingTable.read(bundled_table_path())
    assert table.findings == []
    assert table.rules
    for rule in table.rules:
        skill = bundled_skill(rule.skill)
        if rule.workflow:
            stems = {p.stem for p in skill.workflow_files()}
            assert rule.workflow in stems, f"{rule.describe()}: no workflow {rule.workflow}"
        if rule.tool:
            assert rule.tool in {p.stem for p in skill.tool_files()}
