"""API keys: where they come from and how they may be shown (masked, never whole).

A key lives in an environment variable, or in $PAI_HOME/secrets.toml (`NAME = "value"`, and an
`[added]` table of dates that `pai secrets` keeps) which pai reads only when no one but its owner
can (mode 600). Config names variables, never values; the
database, logs, events and errors never hold a key.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# The standard variables of each provider kind (a provider's `key_env` replaces them).
KEY_VARIABLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "anthropic": ("ANTHROPIC_API_KEY",), "openai": ("OPENAI_API_KEY",), "openai-compatible": ()}
# All of them, in that order: named in advice, and hidden from the tools pai runs.
KEY_VARIABLES = tuple(dict.fromkeys(v for vs in KEY_VARIABLES_BY_KIND.values() for v in vs))


def mask(key: str) -> str:
    """`…abcd`: the last 4 characters only, and nothing of a key too short to hide."""
    key = key.strip()
    return f"…{key[-4:]}" if len(key) >= 12 else "…(short key)"


@dataclass(frozen=True)
class Key:
    variable: str
    value: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.variable} ({mask(self.value)})"


class Secrets:
    """The optional secrets file. Problems are kept for `pai doctor`, never raised."""

    def __init__(self, path: Path):
        self.path = path
        self.problem: str | None = None
        self._values: dict[str, str] | None = None

    def values(self) -> dict[str, str]:
        if self._values is None:
            self._values = self._load()
        return self._values

    def _load(self) -> dict[str, str]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        except OSError as error:
            self.problem = f"{self.path}: cannot read ({error.strerror})"
            return {}
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            self.problem = (f"{self.path} is readable by others (mode "
                            f"{stat.S_IMODE(info.st_mode):03o}) and was ignored: "
                            f"chmod 600 {self.path}")
            return {}
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            # The message names a position, never the content (which holds keys).
            reason = str(error).split("(")[-1].rstrip(")") if "(" in str(error) else "unreadable"
            self.problem = f"{self.path}: not valid TOML ({reason}); ignored"
            return {}
        values = {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}
        # `[added]`: the dates `pai secrets` keeps beside the keys (llm/key_store.py).
        skipped = sorted(k for k in data if k not in values and k != "added")
        if skipped:
            self.problem = f"{self.path}: ignored entries that are not NAME = \"key\": " + \
                ", ".join(skipped)
        return values


def find_keys(variables: list[str] | tuple[str, ...], secrets: Secrets | None) -> list[Key]:
    """The keys present, in the order the variables are named: environment first, then the
    secrets file, for each name."""
    found = []
    for name in variables:
        value = os.environ.get(name, "").strip()
        if not value and secrets is not None:
            value = secrets.values().get(name, "").strip()
        if value:
            found.append(Key(name, value))
    return found
