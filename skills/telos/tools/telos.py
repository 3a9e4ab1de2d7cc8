#!/usr/bin/env python3
"""Read and update your TELOS file ($PAI_HOME/telos/TELOS.md): mission, goals, problems,
strategies, one `## Section` each. Every change first copies the file to a timestamped backup
in telos/backups/, is written atomically (an error never loses the file), and is recorded in the
append-only telos/updates.md."""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


class Refusal(Exception):
    """Why nothing was changed; the message is for the user."""


@dataclass
class Section:
    name: str
    heading: str  # the heading line as written
    body: list[str]  # the lines after it, up to the next heading


def key(name: str) -> str:
    return " ".join(name.split()).casefold()


def parse(text: str) -> tuple[list[str], list[Section]]:
    """The lines before the first `## ` heading, and the sections in order; `render` gives the
    same text back, so sections that are not changed stay exactly as the user wrote them."""
    preamble: list[str] = []
    sections: list[Section] = []
    fence = False
    for line in text.replace("\r\n", "\n").rstrip("\n").split("\n"):
        if line.lstrip().startswith("```"):
            fence = not fence
        match = None if fence else HEADING.match(line)
        if match:
            sections.append(Section(match.group(1), line, []))
        elif sections:
            sections[-1].body.append(line)
        else:
            preamble.append(line)
    return preamble, sections


def render(preamble: list[str], sections: list[Section]) -> str:
    lines = [*preamble]
    for section in sections:
        lines += [section.heading, *section.body]
    return "\n".join(lines).strip("\n") + "\n"


def find(sections: list[Section], name: str) -> Section | None:
    return next((s for s in sections if key(s.name) == key(name)), None)


def bullet(text: str) -> list[str]:
    first, *rest = text.strip().split("\n")
    return [f"- {first}", *(f"  {line}" if line.strip() else "" for line in rest)]


def content(lines: list[str]) -> list[str]:
    """The lines without blank lines around them."""
    text = "\n".join(lines).strip("\n")
    return text.split("\n") if text.strip() else []


# Sections whose entries get ids (G3, P1...), which pai ranks the upgrade feed against and
# which reviews can name. Books and other lists get none.
PREFIXES = {"mission": "M", "missions": "M", "goals": "G", "goal": "G", "problems": "P",
            "challenges": "C", "strategies": "S", "projects": "PR", "narratives": "N",
            "beliefs": "B", "lessons": "L", "wisdom": "W", "frames": "F", "values": "V",
            "ideas": "I"}
ITEM_ID = re.compile(r"^\s*(?:[-*+]\s+|#{1,6}\s+|\d+[.)]\s+)?(?:\*\*)?([A-Z]{1,2})(\d{1,3})"
                     r"(?:\*\*)?(?=[\s:.)\-])")


def with_id(text: str, section: str, value: str) -> str:
    """`value` with the section's next id in front (`G4: ...`), unless it has one already or
    the section's entries have none."""
    prefix = PREFIXES.get(key(section))
    if prefix is None or ITEM_ID.match(value):
        return value
    used = [int(match.group(2)) for line in text.splitlines()
            if (match := ITEM_ID.match(line)) and match.group(1) == prefix]
    return f"{prefix}{max(used, default=0) + 1}: {value.strip()}"


def change(text: str, action: str, name: str, value: str) -> str:
    """The file's new text after `add` (a bullet at the end of the section) or `set` (the
    section's whole body); a missing section is added at the end. Other sections are kept as
    they are."""
    preamble, sections = parse(text if text.strip() else "# TELOS\n")
    section = find(sections, name)
    if section is None:
        title = " ".join(name.split())
        section = Section(title, f"## {title}", [])
        last = sections[-1].body if sections else preamble
        if last and last[-1].strip():
            last.append("")
        sections.append(section)
    lines = value.strip("\n").split("\n") if action == "set" else \
        content(section.body) + bullet(with_id(text, section.name, value))
    section.body = ["", *lines, ""]
    return render(preamble, sections)


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup(path: Path, now: datetime.datetime) -> Path:
    """A copy of the file as it is now, named by the time (never overwriting another)."""
    folder = path.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{path.stem}-{now:%Y%m%d-%H%M%S-%f}"
    target = folder / f"{stem}{path.suffix}"
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{stem}-{number}{path.suffix}"
    shutil.copy2(path, target)
    return target


def log(path: Path, now: datetime.datetime, action: str, name: str, value: str,
        saved: Path | None) -> None:
    """Append one entry to updates.md (created with a heading the first time)."""
    first = " ".join(value.split())
    shown = first if len(first) <= 200 else first[:199] + "…"
    where = f" · backup {saved.relative_to(path.parent)}" if saved else " · new file"
    entry = f"- {now:%Y-%m-%d %H:%M:%S} · {action} · {name}{where}\n  > {shown}\n"
    new = not path.exists()
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(("# TELOS updates\n\n" if new else "") + entry)


def update(folder: Path, action: str, name: str, value: str) -> str:
    """Back up, change, log. Returns what happened, for the user."""
    if not name.strip() or "\n" in name or name.lstrip().startswith("#"):
        raise Refusal(f"{name!r} is not a section name (one line, like Goals)")
    if not value.strip():
        raise Refusal("the text is empty")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "TELOS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    new = change(old, action, name, value)
    if new == old:
        return f"{path} already says that: nothing changed"
    now = datetime.datetime.now()
    saved = backup(path, now) if path.exists() else None
    write_atomic(path, new)
    section = find(parse(new)[1], name)
    title = section.name if section else name
    log(folder / "updates.md", now, action, title, value, saved)
    done = "added to" if action == "add" else "set"
    return f"{done} {title} in {path}" + (f" (backup {saved})" if saved else "")


def show(folder: Path, name: str | None) -> str:
    path = folder / "TELOS.md"
    if not path.exists():
        raise Refusal(f"no TELOS file yet at {path}; start one with: telos add Mission \"...\"")
    text = path.read_text(encoding="utf-8")
    if name is None:
        return text.rstrip("\n")
    section = find(parse(text)[1], name)
    if section is None:
        names = ", ".join(s.name for s in parse(text)[1]) or "none"
        raise Refusal(f"no section {name!r} in {path} (sections: {names})")
    return "\n".join(section.body).strip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="telos", description=__doc__,
        epilog='Examples: telos show Goals · telos add Goals "Run a marathon in 2026" · '
               'telos set Mission - < mission.txt (TEXT "-" reads stdin)')
    parser.add_argument("--dir", type=Path,
                        help="the telos folder (default: $PAI_HOME/telos)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    shown = commands.add_parser("show", help="print the file, or one section")
    shown.add_argument("section", nargs="?", help="a section name (any case)")
    for action, about in (("add", "add TEXT as a bullet at the end of SECTION"),
                          ("set", "replace the whole of SECTION with TEXT")):
        sub = commands.add_parser(action, help=about, description=about)
        sub.add_argument("section", help="a section name, e.g. Goals (created if missing)")
        sub.add_argument("text", help='the text ("-" reads it from stdin)')
    options = parser.parse_args(argv)
    home = Path(os.environ.get("PAI_HOME") or "~/.pai").expanduser()
    folder = options.dir or home / "telos"
    try:
        if options.command == "show":
            print(show(folder, options.section))
        else:
            text = sys.stdin.read() if options.text == "-" else options.text
            print(update(folder, options.command, options.section, text))
    except Refusal as refusal:
        print(f"telos: {refusal}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"telos: {error.filename or folder}: {error.strerror}; the file was not changed "
              "(or, if the error is about updates.md, changed but not logged)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
