"""Skill index benchmark: index 1,000 generated skills in a fresh process, against a baseline
that only finds and reads the same files (os.scandir + read), measured in the same run.

The skills are varied like real ones: a third nested in PAI-style category folders, plain and
quoted descriptions, `metadata` maps, lists and block scalars (the YAML path), bodies of a few
KB with code blocks and PAI routing tables, and workflows/, tools/, references/ folders.

Each run is a fresh Python process, so module imports (PyYAML included, when needed) count.
The OS page cache cannot be dropped here: the figures are warm-cache, cold-process. Runs of the
two alternate so that machine noise hits both. Target: median under 150 ms.

    python benchmarks/skill_index.py [--skills 1000] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_MS = 150.0

# The timed part of each process: imports and indexing (not the interpreter's own start).
INDEX = """
import sys, time
start = time.perf_counter()
from pathlib import Path
from pai_tui.skills.index import load_roots
imported = time.perf_counter() - start
index = load_roots([Path(sys.argv[1])])
elapsed = time.perf_counter() - start
assert len(index) == int(sys.argv[2]), (len(index), index.rejected[:3])
print(elapsed, imported, "yaml" in sys.modules)
"""

BASELINE = """
import os, sys, time
start = time.perf_counter()
count = 0
stack = [sys.argv[1]]
while stack:
    with os.scandir(stack.pop()) as listing:
        for entry in listing:
            if entry.is_dir() and not entry.name.startswith("."):
                stack.append(entry.path)
            elif entry.name == "SKILL.md":
                with open(entry.path, "rb") as file:
                    file.read()
                count += 1
elapsed = time.perf_counter() - start
assert count == int(sys.argv[2]), count
print(elapsed, 0.0, False)
"""

WORDS = ["analyze", "extract", "summarize", "research", "design", "plan", "review", "document",
         "test", "deploy", "write", "translate", "explain", "compare", "evaluate", "diagram",
         "image", "audio", "video", "transcript", "notes", "goals", "security", "threat", "model",
         "code", "api", "database", "cloud", "budget", "essay", "story", "poem", "email",
         "report", "meeting", "interview", "paper", "patent", "claim", "risk", "decision",
         "strategy", "habit", "health"]


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _description(rng: random.Random) -> str:
    text = " ".join(_sentence(rng, 6, 18) for _ in range(rng.randint(1, 4)))
    return f"{text} USE WHEN user says {rng.choice(WORDS)}, {rng.choice(WORDS)} or " \
           f"{rng.choice(WORDS)}."


def _frontmatter(rng: random.Random, name: str) -> str:
    description = _description(rng)
    style = rng.random()
    lines = [f"name: {name}"]
    # Shapes as in the corpus's 255 real files, where a few need full YAML (here 2%: nested
    # lists of maps, as in K-Dense's markdown-mermaid-writing), which then costs its import.
    if style < 0.65:
        lines.append(f"description: {description}")
    elif style < 0.85:
        lines.append(f'description: "{description}"')
    elif style < 0.90:  # a block scalar: full YAML
        lines.append("description: >-\n  " + description.replace(". ", ".\n  "))
    else:
        lines.append(f"description: {description}")
        lines.append("requires:\n  mcp: [rube]")
    if rng.random() < 0.4:
        lines.append("license: MIT")
    if rng.random() < 0.5:
        version = f'"1.{rng.randint(0, 9)}"' if rng.random() < 0.8 else "2.1.0"  # 2.1.0: YAML
        lines.append(f"metadata:\n  author: {rng.choice(WORDS)} team\n  version: {version}"
                     f"\n  safe-tools: {rng.choice(WORDS)}")
    tools = rng.random()
    if tools < 0.05:
        lines.append("allowed-tools:\n  - Read\n  - Grep")
    elif tools < 0.2:
        lines.append("allowed-tools: Read Grep Bash")
    if rng.random() < 0.02:
        lines.append("contributors:\n  - name: Ada\n    role: author")
    return "---\n" + "\n".join(lines) + "\n---\n"


def _body(rng: random.Random, name: str, size: int) -> str:
    parts = [f"# {name}\n"]
    if rng.random() < 0.3:
        rows = "\n".join(f"| **{w.capitalize()}** | \"{w} this\", \"{rng.choice(WORDS)}\" | "
                         f"`Workflows/{w.capitalize()}.md` |"
                         for w in rng.sample(WORDS, rng.randint(1, 5)))
        parts.append("## Workflow Routing\n\n| Workflow | Trigger | File |\n|---|---|---|\n"
                     f"{rows}\n")
    while sum(map(len, parts)) < size:
        kind = rng.random()
        if kind < 0.6:
            parts.append(" ".join(_sentence(rng, 8, 20) for _ in range(rng.randint(2, 6))) + "\n")
        elif kind < 0.8:
            parts.append(f"## {_sentence(rng, 2, 5)[:-1]}\n\n- " +
                         "\n- ".join(_sentence(rng, 4, 10) for _ in range(4)) + "\n")
        else:
            parts.append("```python\n" + "\n".join(f"{w} = {rng.randint(0, 99)}  # | {w} |"
                                                    for w in rng.sample(WORDS, 5)) + "\n```\n")
    return "\n".join(parts)


def generate_skills(folder: Path, count: int, seed: int = 4) -> int:
    """Write `count` skills under `folder`; returns how many SKILL.md files it wrote."""
    rng = random.Random(seed)
    written = 0
    category: Path | None = None
    while written < count:
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{written}"
        if written % 30 == 0:  # a PAI-style category: a skill holding skills
            category = folder / f"Category{written}"
            category.mkdir(parents=True)
            (category / "SKILL.md").write_text(
                _frontmatter(rng, category.name) + _body(rng, category.name, 1500))
            written += 1
            continue
        parent = category if category is not None and rng.random() < 0.33 else folder
        skill = parent / name
        (skill / "workflows").mkdir(parents=True)
        (skill / "SKILL.md").write_text(
            _frontmatter(rng, name) + _body(rng, name, rng.randint(1500, 6000)))
        (skill / "workflows" / "Default.md").write_text(_body(rng, "Default", 800))
        if rng.random() < 0.3:
            (skill / "tools").mkdir()
            (skill / "tools" / "tool.py").write_text("print('tool')\n")
        if rng.random() < 0.2:
            (skill / "references").mkdir()
            (skill / "references" / "notes.md").write_text(_body(rng, "Notes", 2000))
        written += 1
    return written


def timed(script: str, folder: Path, count: int) -> tuple[float, float, bool]:
    """(ms in all, ms of it importing, whether PyYAML was needed) of one fresh process."""
    out = subprocess.run([sys.executable, "-c", script, str(folder), str(count)], check=True,
                         capture_output=True, text=True, cwd=REPO)
    total, imports, yaml = out.stdout.split()
    return float(total) * 1000, float(imports) * 1000, yaml == "True"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pai-skills-") as tmp:
        folder = Path(tmp)
        count = generate_skills(folder, args.skills)
        size = sum(p.stat().st_size for p in folder.rglob("SKILL.md"))
        timed(INDEX, folder, count)  # warm-up: bytecode caches, the page cache
        timed(BASELINE, folder, count)
        index, baseline, imports = [], [], []
        for _ in range(args.runs):
            baseline.append(timed(BASELINE, folder, count)[0])
            total, imported, yaml = timed(INDEX, folder, count)
            index.append(total)
            imports.append(imported)
    i, b = statistics.median(index), statistics.median(baseline)
    print(f"skill index: {count} skills ({size / 1e6:.1f} MB of SKILL.md), fresh process per "
          f"run, warm page cache, {args.runs} runs")
    print(f"  baseline (scandir + read the files): median {b:6.1f} ms   "
          f"p95 {p95(baseline):6.1f} ms")
    print(f"  pai index (imports included):        median {i:6.1f} ms   p95 {p95(index):6.1f} ms"
          f"   (target < {TARGET_MS:.0f} ms)")
    print(f"    of which importing pai's modules: median {statistics.median(imports):.1f} ms "
          f"(PyYAML {'imported: some files needed full YAML' if yaml else 'not needed'})")
    print(f"  ratio index / baseline: {i / b:.1f}")


if __name__ == "__main__":
    main()
