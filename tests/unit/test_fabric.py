"""Fabric patterns as prompt-only skills: all 225 patterns of the corpus load and list, names
resolve with `_` or `-`, descriptions come from the identity section, and the input goes where
the pattern says (`{{input}}`) or becomes the user message."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pai_tui.cli.group import cli
from pai_tui.paths import HomePaths
from pai_tui.skills.fabric import (
    INPUT_IN_SYSTEM,
    fabric_description,
    fabric_prompt,
    load_fabric,
)
from pai_tui.skills.index import load_roots
from tests.builders import corpus_dir
from tests.conftest import write_config

CORPUS = corpus_dir()

PATTERNS = CORPUS / "fabric-patterns"


def test_all_225_patterns_load_as_fabric_skills() -> None:
    folders = sorted(p.name for p in PATTERNS.iterdir() if (p / "system.md").is_file())
    skills, findings = load_fabric(PATTERNS)
    assert findings == []
    assert len(folders) == 225
    assert [s.name for s in skills] == folders
    for skill in skills:
        assert skill.kind == "fabric"
        assert skill.path == PATTERNS / skill.name / "system.md"
        assert skill.root == PATTERNS
        assert 0 < len(skill.description) <= 1024, skill.name
        assert skill.description.strip() == skill.description
        assert not skill.description.startswith(("#", "*", "<", "//")), skill.name
        assert skill.warnings == []
        text = skill.path.read_text(encoding="utf-8")
        assert skill.body() == text.replace("\r\n", "\n").strip("\n")


def test_descriptions_are_the_first_sentences_of_the_identity_section() -> None:
    skills = {s.name: s for s in load_fabric(PATTERNS)[0]}
    assert skills["extract_wisdom"].description.startswith(
        "You extract surprising, insightful, and interesting information from text content. "
        "You are interested in insights related to the purpose and meaning of life")
    assert skills["md_callout"].description == (  # an `IDENTITY and GOAL:` label, no heading
        "You are an ultra-wise and brilliant classifier and judge of content. You create a "
        "markdown callout based on the provided text.")
    assert skills["tweet"].description == (  # no identity section: the first text
        "Title: A Comprehensive Guide to Crafting Engaging Tweets with Emojis.")
    assert skills["convert_to_markdown"].description.startswith(  # an <identity> tag skipped
        "You are an expert format converter")


def test_description_is_deterministic_and_capped() -> None:
    text = "# IDENTITY and PURPOSE\n\n" + "word " * 400 + "end.\n\n# STEPS\n\n- Do.\n"
    description = fabric_description(text)
    assert description == fabric_description(text)
    assert len(description) <= 1024 and description.endswith("…")
    assert fabric_description("") == ""


def test_patterns_list_through_pai_skill_list(home: HomePaths) -> None:
    write_config(home, f'[skills]\nfabric = ["{PATTERNS}"]\n')
    result = CliRunner().invoke(cli, ["skill", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    fabric = {entry["name"] for entry in listed if entry["kind"] == "fabric"}
    # A pattern whose name a skill already has is shadowed by it (and the warning says so).
    skills = {entry["name"] for entry in listed if entry["kind"] == "skill"}
    all_patterns = {p.name for p in PATTERNS.iterdir() if (p / "system.md").is_file()}
    assert fabric == {name for name in all_patterns if name not in skills}
    assert len(fabric) >= 220
    warnings = CliRunner().invoke(cli, ["skill", "list", "--warnings"]).stdout
    assert f"{PATTERNS / 'summarize' / 'system.md'}: skill 'summarize' is not loaded: it is " \
           f"shadowed by" in warnings


def test_names_resolve_with_underscores_or_hyphens() -> None:
    index = load_roots([], [PATTERNS])
    wisdom = index.get("extract_wisdom")
    assert wisdom is not None and wisdom.name == "extract_wisdom"
    assert index.get("extract-wisdom") is wisdom
    assert index.get("Extract Wisdom") is wisdom
    mixed = index.get("summarize_pull-requests")
    assert mixed is not None
    assert index.get("summarize-pull-requests") is mixed
    assert index.get("summarize_pull_requests") is mixed


def test_prompt_with_an_input_placeholder_puts_the_input_there() -> None:
    index = load_roots([], [PATTERNS])
    pattern = index.get("extract_insights")
    assert pattern is not None and "{{input}}" in pattern.body()
    prompt = fabric_prompt(pattern, "THE TALK TRANSCRIPT")
    assert "{{input}}" not in prompt.system
    assert prompt.system.endswith("# INPUT\n\nTHE TALK TRANSCRIPT")
    assert prompt.system.startswith(pattern.body().split("{{input}}")[0])
    assert prompt.user == INPUT_IN_SYSTEM


def test_prompt_without_a_placeholder_sends_the_input_as_the_user_message() -> None:
    index = load_roots([], [PATTERNS])
    pattern = index.get("extract-wisdom")
    assert pattern is not None and "{{input}}" not in pattern.body()
    prompt = fabric_prompt(pattern, "A talk about {{curly}} things.\n")
    assert prompt.system == pattern.body()
    assert prompt.user == "A talk about {{curly}} things.\n"


def test_crlf_patterns_read_without_carriage_returns() -> None:
    index = load_roots([], [PATTERNS])
    for name in ("analyze_malware", "analyze_military_strategy", "create_user_story",
                 "summarize_lecture"):
        pattern = index.get(name)
        assert pattern is not None
        assert b"\r\n" in pattern.path.read_bytes()
        assert "\r" not in pattern.body() and "\r" not in pattern.description


def test_folder_without_system_md_is_not_a_pattern_and_empty_one_warns(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("not a pattern")
    (tmp_path / "blank").mkdir()
    empty = tmp_path / "blank" / "system.md"
    empty.write_text("")
    (tmp_path / "stray.md").write_text("a file, not a folder")
    index = load_roots([], [tmp_path])
    assert [s.name for s in index] == ["blank"]
    assert [(f.path, f.message) for f in index.warnings] == [
        (empty, "the pattern is empty: it has no text to describe it")]


def test_missing_fabric_folder_is_a_warning(tmp_path: Path) -> None:
    index = load_roots([], [tmp_path / "absent"])
    assert len(index) == 0
    assert [f.message for f in index.warnings] == [
        "Fabric pattern folder not found (check config.toml)"]
