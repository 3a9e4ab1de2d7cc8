"""Skill index benchmark: index 1,000 generated skills in a fresh process, cold and warm,
against a baseline that only finds and reads the same files (os.scandir + read), all measured
in the same run.

- cold: no index cache on disk (it is deleted before each run): every SKILL.md is read and
  parsed, and the cache is written. Target: median under 150 ms.
- warm: the cache a previous run wrote is there and no file changed: the folders are walked and
  every SKILL.md is stat'ed, none is read. Target: median under 100 ms.

The skills are varied like real ones: a third nested in PAI-style category folders, plain and
quoted descriptions, `metadata` maps, lists, lists of maps and block scalars, bodies of a few
KB with code blocks and PAI routing tables, and workflows/, tools/, references/ folders. They
are left to age past the cache's racy window (a file changed in the last 2 s is not cached),
as installed skills have.

Each run is a fresh Python process, so module imports (PyYAML included, when needed) count; the
bytecode of pai's modules is cached (in a private folder, whatever PYTHONDONTWRITEBYTECODE
says), as an installed pai has it. The OS page cache cannot be dropped here: the figures are
warm-page-cache, fresh-process. Runs of the three alternate so that machine noise hits all.

    python benchmarks/skill_index.py [--skills 1000] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _setup import cached_bytecode  # noqa: E402

from pai_tui.skills.index_cache import CACHE_FILE, RACY_NS  # noqa: E402

COLD_TARGET_MS = 150.0
WARM_TARGET_MS = 100.0

# The timed part of each process: imports and indexing (not the interpreter's own start).
INDEX = """
import sys, time
start = time.perf_counter()
from pathlib import Path
from pai_tui.skills.index import load_roots
imported = time.perf_counter() - start
index = load_roots([Path(sys.argv[1])], cache=Path(sys.argv[3]))
elapsed = time.perf_counter() - start
assert len(index) == int(sys.argv[2]), (len(index), index.rejected[:3])
print(elapsed, imported, "yaml" in sys.modules, index.reused)
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
print(elapsed, 0.0, False, 0)
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
    # Shapes as in the corpus's 255 real files. 2% hold a list of maps (as K-Dense's
    # markdown-mermaid-writing does), which needed PyYAML until the fast path read them. The
    # corpus's 3 files that still need it (an unquoted ': ' in a description, a value starting
    # with '-' or '<') are not modelled: a run that meets one pays PyYAML's import (~17 ms).
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


@dataclass
class Run:
    """One fresh process: ms in all, ms of it importing, whether PyYAML was imported, and how
    many SKILL.md files the cache gave unread."""

    total: float
    imports: float
    yaml: bool
    reused: int


def timed(script: str, folder: Path, count: int, cache: Path, env: dict[str, str]) -> Run:
    out = subprocess.run([sys.executable, "-c", script, str(folder), str(count), str(cache)],
                         check=True, capture_output=True, text=True, cwd=REPO, env=env)
    total, imports, yaml, reused = out.stdout.split()
    return Run(float(total) * 1000, float(imports) * 1000, yaml == "True", int(reused))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(folder: Path, count: int, cache: Path, env: dict[str, str],
            runs: int) -> dict[str, list[Run]]:
    """Baseline, cold and warm runs, alternating; the cold run leaves the warm run its cache."""
    for script in (INDEX, INDEX, BASELINE):  # warm-up: bytecode caches, the page cache
        timed(script, folder, count, cache, env)
    results: dict[str, list[Run]] = {"baseline": [], "cold": [], "warm": []}
    for _ in range(runs):
        results["baseline"].append(timed(BASELINE, folder, count, cache, env))
        cache.unlink(missing_ok=True)
        results["cold"].append(timed(INDEX, folder, count, cache, env))
        results["warm"].append(timed(INDEX, folder, count, cache, env))
    assert all(run.reused == 0 for run in results["cold"])
    assert all(run.reused == count for run in results["warm"]), "a warm run read files"
    return results


def report(results: dict[str, list[Run]], count: int, size: int, runs: int) -> None:
    def line(label: str, kind: str, target: float | None = None) -> float:
        totals = [run.total for run in results[kind]]
        median = statistics.median(totals)
        goal = f"   (target < {target:.0f} ms)" if target else ""
        print(f"  {label:42} median {median:6.1f} ms   p95 {p95(totals):6.1f} ms{goal}")
        return median

    print(f"skill index: {count} skills ({size / 1e6:.1f} MB of SKILL.md), fresh process per "
          f"run, warm page cache, {runs} runs")
    b = line("baseline (scandir + read the files):", "baseline")
    cold = line("pai index, cold (no cache on disk):", "cold", COLD_TARGET_MS)
    warm = line("pai index, warm (cache, files unchanged):", "warm", WARM_TARGET_MS)
    for kind in ("cold", "warm"):
        yaml = any(run.yaml for run in results[kind])
        print(f"    {kind}: importing pai's modules: median "
              f"{statistics.median(run.imports for run in results[kind]):.1f} ms (PyYAML "
              f"{'imported: some files needed full YAML' if yaml else 'not imported'})")
    print(f"  ratio index / baseline: cold {cold / b:.1f}, warm {warm / b:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pai-skills-") as tmp:
        folder = Path(tmp) / "skills"
        count = generate_skills(folder, args.skills)
        written = time.monotonic()
        size = sum(p.stat().st_size for p in folder.rglob("SKILL.md"))
        time.sleep(max(0.0, RACY_NS / 1e9 + 0.5 - (time.monotonic() - written)))
        cache = Path(tmp) / "pai-home" / "cache" / CACHE_FILE
        cache.parent.mkdir(parents=True)
        env = cached_bytecode(dict(os.environ), Path(tmp))
        results = measure(folder, count, cache, env, args.runs)
    report(results, count, size, args.runs)


if __name__ == "__main__":
    main()
