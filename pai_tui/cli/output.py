"""Everything the commands write, made literal: text from outside (a provider's error body, a
model's answer, a skill file, a tool's output, a model name) could otherwise clear the screen,
retitle the window or write the clipboard. Every command writes through this module.

The rule: stderr is always filtered; stdout is filtered too, except the bytes a script asked for
(a model's answer, a tool's output) when stdout is a pipe, which pass unchanged. JSON keeps its
data exactly: the characters a terminal would act on are written as \\u escapes.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
import textwrap
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO

import click

from pai_tui.safe_text import printable

# What json.dumps(ensure_ascii=False) leaves raw that a terminal would act on (it escapes C0).
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def say(text: object = "", *, err: bool = False) -> None:
    """One line for the user, shown literally (on stderr with `err`)."""
    click.echo(printable(str(text)), err=err)


def warn(text: object) -> None:
    """One line on stderr, shown literally."""
    say(text, err=True)


def tell(stream: TextIO, text: str) -> None:
    """One line on `stream` (stderr, usually), shown literally. A closed stream loses the line:
    it is a notice, never a reason to fail."""
    try:
        stream.write(printable(text) + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def json_text(value: object) -> str:
    """`value` as one line of JSON, the same data, with nothing in it a terminal acts on."""
    import json  # not at startup: the cockpit imports this module and never writes JSON

    text = json.dumps(value, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def say_json(value: object) -> None:
    click.echo(json_text(value))


def is_terminal(stream: TextIO | BinaryIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real file
        return False


def bytes_writer(stream: BinaryIO, *, always: bool = False) -> Callable[[bytes], None]:
    """A writer of raw output (a tool's) to `stream`: unchanged to a pipe; to a terminal (or
    `always`) decoded as UTF-8 piece by piece (a character split between two pieces is kept
    whole) and shown literally."""
    if not (always or is_terminal(stream)):
        def passing(chunk: bytes) -> None:
            stream.write(chunk)
            stream.flush()
        return passing
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def literal(chunk: bytes) -> None:
        stream.write(printable(decoder.decode(chunk)).encode())
        stream.flush()
    return literal


def stdout_gone() -> None:
    """stdout was closed by its reader (`| head`): point it at /dev/null, so that nothing more
    is written there and Python's flush at exit does not complain of the broken pipe."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def plural(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"


def listing(name: str, description: str, path: str, width: int, columns: int) -> list[str]:
    """A named thing (skill, agent) as the `list` commands print it: name, description and
    path. On a terminal (`columns` wide) the description wraps under itself and the path has a
    line of its own; to a pipe (`columns` 0), one line. Text is made literal here."""
    name = printable(name)  # before padding: a stand-in is wider than what it stands for
    description = printable(" ".join(description.split()))
    path = printable(path)
    if not columns:
        return [f"{name:<{width}}  {description}  {path}".rstrip()]
    indent = " " * (width + 2)
    lines = textwrap.wrap(description, max(columns - len(indent), 20)) or [""]
    head = f"{name:<{width}}  "
    if len(head) > len(indent):  # a long name: the description starts on the next line
        return [name, *(indent + line for line in lines), indent + path]
    return [head + lines[0], *(indent + line for line in lines[1:]), indent + path]


def print_findings(findings: list[Any], as_json: bool = False) -> None:
    """What went wrong while loading (skills, agents): 'path:line: message' lines, or one JSON
    array of {path, line, severity, message}."""
    if as_json:
        say_json([{"path": str(f.path), "line": f.line, "severity": f.severity,
                   "message": f.message} for f in findings])
        return
    for finding in findings:
        say(finding)


def report_checks(findings: list[Any], checked: int, what: str) -> int:
    """A validation's findings as 'path:line: severity: message' lines, and a summary of
    `checked` files (of `what`) on stderr; the exit code: 1 when there is an error."""
    for finding in findings:
        where = f"{finding.path}:{finding.line}" if finding.line else str(finding.path)
        say(f"{where}: {finding.severity}: {finding.message}")
    errors = sum(1 for f in findings if f.severity == "error")
    warn(f"{plural(checked, what)} checked: {plural(errors, 'error')}, "
         f"{plural(len(findings) - errors, 'warning')}")
    return 1 if errors else 0


def print_listing(rows: list[tuple[str, str, str]], name_width: int) -> None:
    """(name, description, path) rows as the `list` commands print them (`listing`): on a
    terminal wrapped to its width, to a pipe one line each."""
    import shutil

    width = min(name_width, max((len(name) for name, _, _ in rows), default=0))
    columns = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 0
    for name, description, path in rows:
        for line in listing(name, description, path, width, columns):
            say(line)
