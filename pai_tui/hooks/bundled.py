"""The hooks pai ships, off until named in `[hooks] bundled`: ordinary hook scripts in
assets/hooks/ (the format shown by example), registered like any other hook."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from pai_tui.hooks.registry import Hook, HookConfigError, Matcher
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

    def hook(self) -> Hook:
        command = shlex.join([sys.executable, str(self.path)])
        return Hook(self.event, Matcher(self.matcher), command, None, None, self.path)


BUNDLED = {
    hook.name: hook for hook in (
        BundledHook("command-guard", "PreToolUse", "Bash", "command-guard.py",
                    "blocks `rm -rf /`, `git push --force` to main and disk-wiping commands"),
        # Written with the secrets detector (pai_tui/secrets/), which it shares.
        BundledHook("secrets-guard", "PreToolUse", "*", "secrets-guard.py",
                    "blocks a tool call whose input carries an API key or a private key"),
    )
}


def bundled_hooks(names: list[str]) -> list[Hook]:
    """The bundled hooks turned on; one unknown or missing is an error (a guard the user asked
    for must not silently be absent)."""
    hooks = []
    for name in names:
        known = BUNDLED.get(name)
        if known is None:
            raise HookConfigError(f"[hooks] bundled: no bundled hook {name!r} (known: "
                                  f"{', '.join(BUNDLED)})")
        if not known.path.is_file():
            raise HookConfigError(f"[hooks] bundled: {name}: its script {known.path} is not "
                                  "installed")
        hooks.append(known.hook())
    return hooks
