#!/usr/bin/env python3
"""Ingest transcript files (.txt, .md, .vtt, .srt) from a folder into the lifelog: one dated
entry per transcript, in $PAI_HOME/lifelog/YYYY-MM-DD.md, with subtitle numbering and timings
stripped. Idempotent: a file whose content was ingested once is skipped on every later run."""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

SUFFIXES = (".txt", ".md", ".vtt", ".srt")
STATE = ".ingested.json"  # content hash -> where it went
DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
TIMING = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{3}\s+-->\s+(\d{1,2}:)?\d{1,2}:\d{2}"
                    r"[.,]\d{3}.*$")
CUE_NUMBER = re.compile(r"^\s*\d+\s*$")
INLINE_TIME = re.compile(r"<\d{1,2}:\d{2}(:\d{2})?[.,]\d{3}>")
VOICE = re.compile(r"<v(?:\.[\w.]+)?\s+([^>]+)>")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
VTT_BLOCKS = ("NOTE", "STYLE", "REGION")


def subtitle_text(text: str) -> str:
    """The spoken words of an SRT or WebVTT file: no header, cue numbers or identifiers,
    timings, notes, styles or tags; a `<v Name>` voice becomes `Name: `; a line repeated by
    rolling captions is kept once."""
    lines: list[str] = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    for block in blocks:
        rows = block.split("\n")
        if rows[0].startswith("WEBVTT") or rows[0].split(" ")[0] in VTT_BLOCKS:
            continue
        timed = next((i for i, row in enumerate(rows) if TIMING.match(row)), None)
        if timed is not None:
            rows = rows[timed + 1:]  # what precedes the timing is a cue number or identifier
        for row in rows:
            row = VOICE.sub(lambda match: f"{match.group(1).strip()}: ", row)
            row = TAG.sub("", INLINE_TIME.sub("", row)).strip()
            if row and not CUE_NUMBER.match(row) and (not lines or lines[-1] != row):
                lines.append(row)
    return "\n".join(lines)


def transcript_text(path: Path, raw: bytes) -> str:
    text = raw.decode("utf-8-sig", errors="replace")
    if path.suffix.lower() in (".vtt", ".srt"):
        return subtitle_text(text)
    return text.replace("\r\n", "\n").strip()


def entry_time(path: Path) -> datetime.datetime:
    """When the transcript was made: a YYYY-MM-DD in its name (with the file's time of day),
    else the file's modification time."""
    modified = datetime.datetime.fromtimestamp(path.stat().st_mtime)
    match = DATE_IN_NAME.search(path.name)
    if match:
        try:
            return datetime.datetime.combine(
                datetime.date(*map(int, match.groups())), modified.time())
        except ValueError:
            pass  # not a real date (2024-13-45): fall back to the file's time
    return modified


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_state(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SystemExit(f"ingest: cannot read the state file {path} ({error}); fix or remove "
                         "it (removing it ingests every file again)") from None
    return data if isinstance(data, dict) else {}


def ingest(source: Path, lifelog: Path, dry_run: bool = False
           ) -> tuple[list[str], int, list[str]]:
    """Ingest new transcripts: (what was done, one line each; how many were already in; files
    that could not be read, which never stop the others)."""
    state_path = lifelog / STATE
    state = load_state(state_path)
    done: list[str] = []
    problems: list[str] = []
    skipped = 0
    files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(source).parts))
    for path in files:
        name = str(path.relative_to(source))
        try:
            raw = path.read_bytes()
            when = entry_time(path)
        except OSError as error:
            problems.append(f"cannot read {name}: {error.strerror}")
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest in state:
            skipped += 1
            continue
        text = transcript_text(path, raw)
        if not text:
            done.append(f"empty, skipped: {name}")
            continue
        day = lifelog / f"{when.date().isoformat()}.md"
        done.append(f"{name} -> {day}")
        if dry_run:
            continue
        existing = day.read_text(encoding="utf-8") if day.exists() else \
            f"# Lifelog {when.date().isoformat()}\n"
        entry = f"\n## {when:%H:%M} · {name}\n\nSource: {path}\n\n{text}\n"
        write_atomic(day, existing.rstrip("\n") + "\n" + entry)
        state[digest] = {"source": str(path), "entry": str(day), "at": when.isoformat()}
        write_atomic(state_path, json.dumps(state, indent=2, sort_keys=True) + "\n")
    return done, skipped, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ingest", description=__doc__,
        epilog="Example: ingest --from ~/Recordings/transcripts. The date of an entry is a "
               "YYYY-MM-DD in the file's name, else the file's modification time. Ingested "
               f"files are remembered by content hash in LIFELOG/{STATE}.")
    parser.add_argument("--from", dest="source", required=True, type=Path,
                        help="the folder holding transcripts (searched recursively)")
    parser.add_argument("--to", type=Path,
                        help="the lifelog folder (default: $PAI_HOME/lifelog)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be ingested")
    options = parser.parse_args(argv)
    if not options.source.is_dir():
        print(f"ingest: no folder {options.source}", file=sys.stderr)
        return 2
    home = Path(os.environ.get("PAI_HOME") or "~/.pai").expanduser()
    lifelog = options.to or home / "lifelog"
    try:
        done, skipped, problems = ingest(options.source.resolve(), lifelog, options.dry_run)
    except OSError as error:
        print(f"ingest: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 1
    for line in done:
        print(("would ingest: " if options.dry_run else "") + line)
    for problem in problems:
        print(f"ingest: {problem}", file=sys.stderr)
    added = sum(1 for line in done if not line.startswith("empty"))
    print(f"ingest: {added} {'to ingest' if options.dry_run else 'ingested'}, "
          f"{skipped} already ingested" + (f", {len(problems)} unreadable" if problems else ""),
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
