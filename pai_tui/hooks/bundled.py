"""The hooks pai ships, off until named in `[hooks] bundled`: ordinary hook scripts in
assets/hooks/ (the format shown by example), registered like any other hook."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from pai_tui.paths import bundled


@dataclass(frozen=True)
class BundledHook:
    name: str
    event: str
    matcher: str
    script: str  # file name in assets/hooks/
    what: str

    @property
    def path(self) -> Path:
        return bundled("assets") / "hooks" / self.script

    @property
    def command(self) -> str:
        """A Python script runs with pai's Python; any other (its `#!` line says how)
        directly."""
        if self.script.endswith(".py"):
            return shlex.join([sys.executable, str(self.path)])
        return shlex.quote(str(self.path))


BUNDLED = {
    hook.name: hook for hook in (
        BundledHook("command-guard", "PreToolUse", "Bash", "command-guard.py",
                    "blocks `rm -rf /`, `git push --force` to main and disk-wiping commands"),
        # Written with the secrets detector (pai_tui/secrets/guard.py), which it runs.
        BundledHook("secrets-guard", "PreToolUse", "*", "secrets-guard",
                    "blocks a tool call whose input carries an API key or a private key"),
    )
}

