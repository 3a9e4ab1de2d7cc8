"""TELOS read as the user writes it (telos.py): one TELOS.md with sections or PAI's set of
files; items by id in any of the usual shapes, with their detail, keywords and weight; what is
wrong said with file and line, and the files never changed."""

from __future__ import annotations

from pathlib import Path

from pai_tui.telos import load_telos

TELOS = """# TELOS

## Mission
- M1: Be the best personal AI cockpit in the terminal

## Goals
- G1: Ship pai 1.0
  Keywords: release, textual
- **G2**: Offline voices on Linux
  - every agent speaks with its own voice
  Weight: high

## G3 Local models first
Run Ollama models as well as hosted ones.

## Problems
P1. Agents cost too much
- P2:

```
G9: not an item, in a code block
```
"""


def write(home: Path, name: str, text: str) -> Path:
    folder = home / "telos"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_items_in_every_usual_shape_with_their_detail(tmp_path: Path) -> None:
    path = write(tmp_path, "TELOS.md", TELOS)
    telos = load_telos(tmp_path)
    assert [(i.id, i.kind, i.text) for i in telos.items] == [
        ("M1", "mission", "Be the best personal AI cockpit in the terminal"),
        ("G1", "goal", "Ship pai 1.0"),
        ("G2", "goal", "Offline voices on Linux"),
        ("G3", "goal", "Local models first"),
        ("P1", "problem", "Agents cost too much")]
    g1, g2, g3 = telos.get("G1"), telos.get("G2"), telos.get("G3")
    assert g1 is not None and g1.keywords == ("release", "textual") and g1.line == 7
    assert g2 is not None and g2.weight == 2.0 and "own voice" in g2.detail
    assert g3 is not None and g3.detail == "Run Ollama models as well as hosted ones."
    assert telos.problems == [f"{path}:18: P2 has no text; not used"]
    assert path.read_text(encoding="utf-8") == TELOS  # read, never rewritten


def test_pai_s_set_of_files_each_gives_its_kind(tmp_path: Path) -> None:
    write(tmp_path, "GOALS.md", "# Goals\n\n- G1: Ship pai 1.0\n- G2 Voices\n")
    write(tmp_path, "PROBLEMS.md", "# Problems\n\n1. P1: Costs\n")
    write(tmp_path, "CHALLENGES.md", "- C1 — Time\n")
    write(tmp_path, "updates.md", "- G7: not TELOS, the update log\n")
    telos = load_telos(tmp_path)
    assert [(i.id, i.kind, i.text) for i in telos.items] == [
        ("C1", "challenge", "Time"), ("G1", "goal", "Ship pai 1.0"), ("G2", "goal", "Voices"),
        ("P1", "problem", "Costs")]


def test_an_id_given_twice_or_a_broken_file_is_said_with_its_place(tmp_path: Path) -> None:
    write(tmp_path, "TELOS.md", "## Goals\n- G1: Ship pai 1.0\n")
    goals = write(tmp_path, "GOALS.md", "- G1: Something else\n- G1: Ship pai 1.0\n")
    (tmp_path / "telos" / "OLD.md").write_bytes(b"- G5: caf\xe9\n")
    telos = load_telos(tmp_path)
    assert [i.text for i in telos.items] == ["Ship pai 1.0"]
    assert f"{goals}:1: G1 is given again, as something else" in telos.problems[0]
    assert any("OLD.md: not UTF-8 text" in p for p in telos.problems)


def test_no_telos_folder_is_no_goals(tmp_path: Path) -> None:
    telos = load_telos(tmp_path)
    assert telos.items == [] and telos.problems == []
