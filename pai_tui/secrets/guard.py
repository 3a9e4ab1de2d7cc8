"""The bundled secrets-guard hook: a Claude Code PreToolUse hook that blocks a tool call whose
input carries something shaped like a key (a command line with a token in it, a file about to
be written with a private key block).

Reads the hook's JSON on stdin; exits 2 with the reason on stderr (the tool does not run and the
model reads why), 0 when the input is clean. Input it cannot read blocks too: a gate fails
closed. The reason names the field, the kind and the last 4 characters, never the key.

    python -m pai_tui.secrets.guard < payload.json   (assets/hooks/secrets-guard runs this)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from pai_tui.secrets.detect import Finding, find_secrets

BLOCK = 2  # Claude Code: exit 2 blocks the tool call, stderr goes to the model
MAX_INPUT = 10_000_000


def strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string inside `value` with where it is (`tool_input.command`, `.edits[0].new`)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{where}[{index}]")


def findings(payload: dict[str, Any]) -> list[tuple[str, Finding]]:
    return [(where, finding)
            for where, text in strings(payload.get("tool_input"), "tool_input")
            for finding in find_secrets(text)]


def guard(stdin: TextIO, stderr: TextIO) -> int:
    """The hook: 0 lets the tool run, BLOCK stops it (the reason on `stderr`)."""
    try:
        payload = json.loads(stdin.read(MAX_INPUT))
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as error:
        stderr.write(f"secrets-guard: cannot read the hook input ({error}); blocked\n")
        return BLOCK
    found = findings(payload)
    if not found:
        return 0
    tool = str(payload.get("tool_name") or "the tool")[:60]
    listed = "; ".join(f"{where} line {f.line}: {f}" for where, f in found[:5])
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    stderr.write(f"secrets-guard: blocked {tool}: its input holds something shaped like a "
                 f"secret ({listed}{more}). Keys stay out of commands and files: read them "
                 "from an environment variable instead.\n")
    return BLOCK


def main() -> None:
    sys.exit(guard(sys.stdin, sys.stderr))


if __name__ == "__main__":
    main()
