"""The real-world corpus: 255 SKILL.md from 7 public repositories. Every file loads or is
rejected with a reason, none crashes the loader, and each oddity flagged in
`frontmatter-survey.tsv` behaves as documented (see the corpus's SOURCES.md)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from pai_tui.skills.frontmatter import fast_fields
from pai_tui.skills.index import load_roots, read_frontmatter, read_skill
from pai_tui.skills.spec import SPEC_FIELDS
from pai_tui.skills.validate import validate_file
from tests.builders import corpus_dir

CORPUS = corpus_dir()
SKILLS = CORPUS / "skills"
with open(SKILLS / "frontmatter-survey.tsv", encoding="utf-8", newline="") as survey:
    ROWS = list(csv.DictReader(survey, delimiter="\t"))

# Flags that break an Agent Skills rule (errors in `pai skill validate`, warnings when loading).
RULE_FLAGS = {"name-bad-chars", "name-dir-mismatch", "description-too-long",
              "metadata-non-string-values"}
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


# The survey could not read these two frontmatters (a comment before it; invalid YAML), so it
# recorded no name and no name flags; their names are TitleCase like every PAI skill's.
UNREAD_BY_SURVEY = {
    "danielmiessler__Personal_AI_Infrastructure/PAI/SKILL.md": "PAI",
    "danielmiessler__Personal_AI_Infrastructure__v3.0/Research/SKILL.md": "Research",
}


def flags_of(row: dict[str, str]) -> set[str]:
    flags = {flag for flag in row["flags"].split(",") if flag}
    return flags | {"name-bad-chars"} if row["path"] in UNREAD_BY_SURVEY else flags


def name_of(row: dict[str, str]) -> str:
    return row["name"] or UNREAD_BY_SURVEY[row["path"]]


def test_the_corpus_is_whole() -> None:
    files = sorted(SKILLS.rglob("SKILL.md"))
    assert len(files) == len(ROWS) == 255
    assert {f.relative_to(SKILLS).as_posix() for f in files} == {row["path"] for row in ROWS}


def test_every_file_loads_or_is_accounted_for() -> None:
    index = load_roots([SKILLS])
    loaded = {skill.path for skill in index}
    rejected = {finding.path for finding in index.rejected}
    shadowed = {finding.path for finding in index.warnings if "is shadowed by" in finding.message}
    for row in ROWS:
        path = SKILLS / row["path"]
        assert [path in loaded, path in rejected, path in shadowed].count(True) == 1, path
    assert all(f.message.startswith("not loaded: ") and f.line for f in index.rejected)
    # Two repositories ship a skill of the same name: the first found is used, and the warning
    # names the file that wins.
    assert shadowed == {
        SKILLS / "danielmiessler__Personal_AI_Infrastructure__v3.0/Research/SKILL.md",
        SKILLS / "openai__skills/skill-creator/SKILL.md"}
    assert (len(loaded), len(rejected)) == (253, 0)


def expected_warnings(row: dict[str, str], path: Path) -> set[str]:
    """The warnings the loader gives for a row, from its flags alone."""
    flags, name, folder = flags_of(row), name_of(row), path.parent.name
    expected = set()
    if "name-dir-mismatch" in flags:
        expected.add(f"name '{name}' differs from its folder '{folder}'")
    if "name-bad-chars" in flags:
        expected.add(f"name '{name}' ")  # a prefix: the reasons follow
    if "extra-fields" in flags:
        expected |= {f"field '{key}' is not in the Agent Skills spec"
                     for key in row["frontmatter_keys"].split(",") if key not in SPEC_FIELDS}
    if "description-too-long" in flags:
        expected.add(f"'description' is {row['desc_len']} characters; the limit is 1024")
    if "metadata-non-string-values" in flags:
        expected.add("'metadata' value of ")
    if "yaml-error" in flags:
        expected.add("the value of 'description' is not valid YAML (a ': ' inside a value that "
                     "is not in quotes); it was read as quoted text")
        expected |= {"field 'implements'", "field 'science_cycle_time'", "field 'context'"}
    if "frontmatter-after-leading-comment" in flags:
        expected.add("the frontmatter starts on line 2, after an HTML comment")
    return expected


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_survey_row_loads_as_documented(row: dict[str, str]) -> None:
    path = SKILLS / row["path"]
    flags = flags_of(row)
    skill = read_skill(path, SKILLS)
    body = skill.body()

    # What the survey measured, read the same way.
    if row["name"]:
        assert skill.name == row["name"]
        assert list(skill.fields) == row["frontmatter_keys"].split(",")
        assert len(skill.description) == int(row["desc_len"])
        fm, text = read_frontmatter(path)
        assert text.count("\n") + 2 - fm.body_line == int(row["body_lines"])

    # Every warning is one the flags explain, and every flag that should warn does.
    expected = expected_warnings(row, path)
    for warning in skill.warnings:
        assert warning.path == path and warning.line and warning.severity == "warning"
        assert any(warning.message.startswith(e) for e in expected), warning.message
    for prefix in expected:
        assert any(w.message.startswith(prefix) for w in skill.warnings), prefix

    if "name-dir-mismatch" in flags:
        [mismatch] = [w for w in skill.warnings if "differs from its folder" in w.message]
        assert path.read_text(encoding="utf-8").splitlines()[mismatch.line - 1].startswith(
            "name:")
    if "yaml-error" in flags:
        assert skill.description.endswith("NOTE: For due diligence, OSINT, or background "
                                          "checks, use OSINT skill instead.")
    if "frontmatter-after-leading-comment" in flags:
        assert (skill.name, skill.body_line) == ("PAI", 6)
        assert body.startswith("# Intro to PAI")
    if "crlf" in flags:
        assert b"\r\n" in path.read_bytes()
        assert "\r" not in body and "\r" not in skill.description
    if "description-multiline" in flags:
        assert "\n" in skill.description
    if "non-ascii-frontmatter" in flags:
        assert not repr(skill.fields).isascii() or not skill.description.isascii()
    if "non-ascii-body" in flags:
        assert not body.isascii()
    if "cjk" in flags:
        assert CJK.search(body)


@pytest.mark.parametrize("row", ROWS, ids=[row["path"] for row in ROWS])
def test_survey_row_validates_as_documented(row: dict[str, str]) -> None:
    path = SKILLS / row["path"]
    flags = flags_of(row)
    plain = validate_file(path)
    errors = [f.message for f in plain if f.severity == "error"]
    assert bool(errors) == bool(flags & RULE_FLAGS), errors
    extra = [key for key in row["frontmatter_keys"].split(",") if key and key not in SPEC_FIELDS]
    for key in extra:  # extra fields: a warning, and an error in strict mode
        assert any(f.severity == "warning" and f.message.startswith(f"field '{key}'")
                   for f in plain)
    strict = validate_file(path, strict=True)
    for key in extra:
        assert any(f.severity == "error" and f.message.startswith(f"field '{key}'")
                   for f in strict)
    lenient = {"yaml-error": "is not valid YAML",
               "frontmatter-after-leading-comment": "the frontmatter starts on line 2"}
    for flag, words in lenient.items():
        assert any(words in f.message and f.severity == "warning" for f in plain) == (
            flag in flags)
        assert any(words in f.message and f.severity == "error" for f in strict) == (
            flag in flags)
    long_body = [f for f in plain if f.message.startswith("the body is ")]
    if "body-over-500-lines" in flags:
        assert long_body[0].message.startswith(f"the body is {row['body_lines']} lines")
        assert long_body[0].severity == "warning"
    else:
        assert long_body == []

    claude = [f.message for f in validate_file(path, claude=True) if f.severity == "error"]
    assert any("reserved word" in m for m in claude) == ("name-reserved-word" in flags)
    assert any("contains '<' or '>'" in m for m in claude) == (
        "description-angle-brackets" in flags)
    assert not any("reserved word" in m or "'<' or '>'" in m for m in errors)


def test_fast_path_gives_what_yaml_gives_over_the_whole_corpus() -> None:
    taken = 0
    for row in ROWS:
        fm, _ = read_frontmatter(SKILLS / row["path"])
        fast = fast_fields(fm.source)
        if fast is None:
            continue  # left to YAML
        taken += 1
        text = "\n".join(fm.source)
        assert repr(fast) == repr(yaml.load(text, Loader=yaml.CSafeLoader)), row["path"]
        assert repr(fast) == repr(yaml.load(text, Loader=yaml.SafeLoader)), row["path"]
    assert taken >= 250  # the common case really is the fast one


def test_pai_routing_tables_are_read_from_the_corpus() -> None:
    index = load_roots([SKILLS / "danielmiessler__Personal_AI_Infrastructure"])
    routes = {skill.name: [(r.workflow, r.file) for r in skill.routes] for skill in index}
    assert routes["ExtractWisdom"] == [("Extract", "Workflows/Extract.md")]
    assert [w for w, _ in routes["Telos"]] == ["Update", "InterviewExtraction",
                                               "CreateNarrativePoints", "WriteReport"]
    # CreateSkill's example table sits in a code block: not a route.
    assert ("WorkflowName", "Workflows/WorkflowName.md") not in routes["CreateSkill"]
    assert len(routes["CreateSkill"]) == 4
    # A category routes to its nested skills.
    assert routes["Thinking"][0] == ("FirstPrinciples", "FirstPrinciples/SKILL.md")
    assert len(routes["Thinking"]) == 7
    extract = index.get("extractwisdom").routes[0]  # type: ignore[union-attr]
    assert extract.trigger == '"extract wisdom from", "analyze this", YouTube URL'


def test_nested_pai_categories_load_parents_and_children() -> None:
    index = load_roots([SKILLS / "danielmiessler__Personal_AI_Infrastructure"])
    utilities = index.get("Utilities")
    assert utilities is not None
    children = [s for s in index if s.folder.parent == utilities.folder]
    assert len(children) == 13
