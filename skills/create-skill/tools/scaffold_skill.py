#!/usr/bin/env python3
"""Create a new skill folder (SKILL.md, workflows/main.md, tools/) that follows the Agent
Skills rules, then validate it with `pai skill validate --strict` and print the findings."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME = 64
MAX_DESCRIPTION = 1024

SKILL_MD = """---
name: {name}
description: {description}
---

# {title}

## Workflow routing

| Workflow | Trigger | File |
|----------|---------|------|
| **Main** | "{phrase}" | `workflows/main.md` |

## Tools (code before prompts)

Put every deterministic step (parsing, counting, formatting, file edits, API calls) in `tools/`
as a script with an argparse `--help`, and list each one here with when to call it.

## Steps

1. Follow `workflows/main.md`.

## Output format

What the answer looks like: its sections, in order.
"""

WORKFLOW_MD = """# Main

Input: what the user gives this skill.

1. Restate the request in one sentence.
2. Call the skill's tools for every deterministic step.
3. Answer in the output format of SKILL.md.
"""


def name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= MAX_NAME:
        return f"the name is {len(name)} characters; it must be 1 to {MAX_NAME}"
    if not NAME.match(name):
        return (f"{name!r} is not a skill name: use lowercase letters, digits and single "
                "hyphens, like release-notes")
    return None


def create(root: Path, name: str, description: str) -> list[Path]:
    folder = root / name
    if folder.exists():
        raise FileExistsError(f"{folder} already exists: choose another name, or edit it")
    (folder / "workflows").mkdir(parents=True)
    (folder / "tools").mkdir()
    skill_md = folder / "SKILL.md"
    skill_md.write_text(SKILL_MD.format(
        name=name, description=json.dumps(description, ensure_ascii=False),
        title=name.replace("-", " ").capitalize(), phrase=name.replace("-", " ")),
        encoding="utf-8")
    workflow = folder / "workflows" / "main.md"
    workflow.write_text(WORKFLOW_MD, encoding="utf-8")
    return [skill_md, workflow, folder / "tools"]


def validate(folder: Path) -> tuple[int, str]:
    """`pai skill validate --strict FOLDER` with pai's own interpreter: (exit code, output)."""
    python = os.environ.get("PAI_PYTHON") or sys.executable
    try:
        done = subprocess.run([python, "-m", "pai_tui", "skill", "validate", "--strict",
                               str(folder)], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return 1, f"cannot run the validator with {python}: {error}"
    return done.returncode, (done.stdout + done.stderr).strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scaffold_skill", description=__doc__,
        epilog='Example: scaffold_skill release-notes --description "Write release notes from '
               'a git log. USE WHEN release notes, changelog, what changed". The validator '
               "runs with $PAI_PYTHON (set by pai), else this Python.")
    parser.add_argument("name", metavar="NAME", help="the skill's name, e.g. release-notes")
    parser.add_argument("--description", required=True,
                        help="what the skill does, then USE WHEN and trigger phrases")
    parser.add_argument("--dir", type=Path,
                        help="the skills folder to create it in (default: $PAI_HOME/skills)")
    parser.add_argument("--no-validate", action="store_true",
                        help="create the files without running the validator")
    options = parser.parse_args(argv)
    problem = name_problem(options.name)
    if problem:
        parser.error(problem)
    description = " ".join(options.description.split())
    if not 1 <= len(description) <= MAX_DESCRIPTION:
        parser.error(f"the description is {len(description)} characters; it must be 1 to "
                     f"{MAX_DESCRIPTION}")
    home = Path(os.environ.get("PAI_HOME") or "~/.pai").expanduser()
    root = options.dir or home / "skills"
    try:
        written = create(root, options.name, description)
    except FileExistsError as error:
        print(f"scaffold_skill: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"scaffold_skill: cannot create {error.filename}: {error.strerror}",
              file=sys.stderr)
        return 1
    for path in written:
        print(f"created {path}{'/' if path.is_dir() else ''}")
    if options.no_validate:
        return 0
    code, report = validate(root / options.name)
    print(report or "validator: no findings")
    if code != 0:
        print(f"scaffold_skill: {root / options.name} was created, but validation failed "
              f"(exit {code}): fix the findings above", file=sys.stderr)
        return 1
    print(f"valid: {root / options.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
