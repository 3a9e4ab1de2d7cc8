#!/usr/bin/env python3
"""Write spec.md, plan.md and tasks.md for a feature from the development skill's templates,
filling in the title and the date. Never overwrites an existing file unless --force is given."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

FILES = ("spec.md", "plan.md", "tasks.md")


def templates_folder() -> Path:
    """The skill's templates/: from PAI_SKILL_DIR when pai runs the tool, else beside it."""
    skill_dir = os.environ.get("PAI_SKILL_DIR")
    base = Path(skill_dir) if skill_dir else Path(__file__).resolve().parent.parent
    return base / "templates"


def fill(template: str, title: str, date: str) -> str:
    return template.replace("{{title}}", title).replace("{{date}}", date)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scaffold", description=__doc__,
        epilog='Example: scaffold --dir specs/login --title "Passwordless login". '
               "Prints the path of each file written.")
    parser.add_argument("--dir", required=True, type=Path, help="folder to write into "
                        "(created if missing)")
    parser.add_argument("--title", required=True, help="the feature's title")
    parser.add_argument("--date", help="the date to write (YYYY-MM-DD, default today)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    options = parser.parse_args(argv)
    title = " ".join(options.title.split())
    if not title:
        parser.error("--title is empty")
    date = options.date or datetime.date.today().isoformat()
    try:
        datetime.date.fromisoformat(date)
    except ValueError:
        parser.error(f"--date {date!r} is not a date like 2025-01-31")
    source = templates_folder()
    missing = [name for name in FILES if not (source / name).is_file()]
    if missing:
        print(f"scaffold: no template {', '.join(missing)} in {source}", file=sys.stderr)
        return 1
    existing = [options.dir / name for name in FILES if (options.dir / name).exists()]
    if existing and not options.force:
        print("scaffold: refusing to overwrite " + ", ".join(map(str, existing)) +
              " (read and update them instead, or pass --force)", file=sys.stderr)
        return 1
    try:
        options.dir.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            text = fill((source / name).read_text(encoding="utf-8"), title, date)
            target = options.dir / name
            with open(target, "w" if options.force else "x", encoding="utf-8") as handle:
                handle.write(text)
            print(target)
    except OSError as error:
        print(f"scaffold: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
