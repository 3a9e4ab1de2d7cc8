"""The git pre-commit hook that runs `pai secrets scan --staged`: a commit adding anything shaped
like a key is refused (git prints what was found, by its last 4 characters only).

A hook already there is never replaced without `force`, and even then it is kept beside the
new one (`pre-commit.before-pai`): nothing of the user's is lost. A hook pai wrote before is
rewritten freely (it is recognised by MARK).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

MARK = "pai-secrets"  # in every hook pai writes: a later install may replace it
BACKUP_SUFFIX = ".before-pai"


class HookExists(RuntimeError):
    """A pre-commit hook that is not pai's is there: the message says what it is."""


def hooks_folder(repo: Path) -> Path:
    """Where git looks for the hooks of the repository at `repo` (core.hooksPath and worktrees
    respected)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=repo,
                              capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError as error:
        raise RuntimeError("git is not installed (or not on PATH)") from error
    if done.returncode:
        raise RuntimeError(f"{repo} is not a git repository ({done.stderr.strip()})")
    return (repo / done.stdout.strip()).resolve()


def hook_script(python: str = sys.executable) -> str:
    """The hook: this Python running pai (so a hook run from a GUI, without the virtual
    environment on PATH, still finds it)."""
    return (f"#!/bin/sh\n"
            f"# {MARK}: written by `pai secrets install-hook`. Refuses a commit that adds\n"
            f"# something shaped like a key. A false positive: put `pai: allow-secret` on its\n"
            f"# line, or its fingerprint (pai secrets scan --staged --fingerprints) in\n"
            f"# .pai-secrets-allow at the repository root.\n"
            f"exec {shlex.quote(python)} -m pai_tui secrets scan --staged\n")


def describe(hook: Path) -> str:
    """What an existing hook is, in a few words: its first meaningful line, shown literally
    by the caller."""
    try:
        lines = hook.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        return f"unreadable ({error.strerror})"
    body = [line.strip() for line in lines[1:] if line.strip() and not line.startswith("#")]
    first = body[0] if body else (lines[0] if lines else "(empty)")
    return f"{len(lines)} lines; it runs: {first[:120]}"


def install_hook(repo: Path, *, force: bool = False, python: str = sys.executable) -> Path:
    """Write the pre-commit hook of the repository at `repo`; returns its path. Raises
    HookExists when another hook is there (unless `force`: then it is kept aside)."""
    folder = hooks_folder(repo)
    hook = folder / "pre-commit"
    if hook.exists() or hook.is_symlink():
        text = hook.read_text(encoding="utf-8", errors="replace") if hook.is_file() else ""
        if MARK not in text:
            if not force:
                raise HookExists(f"{hook} is already there ({describe(hook)}); it was left "
                                 f"as it is. --force keeps it as pre-commit{BACKUP_SUFFIX} "
                                 "and writes pai's.")
            hook.replace(hook.with_name(f"pre-commit{BACKUP_SUFFIX}"))
    folder.mkdir(parents=True, exist_ok=True)
    temporary = hook.with_name(".pre-commit.pai.tmp")
    temporary.write_text(hook_script(python), encoding="utf-8")
    os.chmod(temporary, 0o755)
    temporary.replace(hook)
    return hook


def install_home_hook(home: Path) -> Path | None:
    """The hook in PAI_HOME when it is a git repository (upgrades make it one), so no key is
    ever committed there. Returns the hook written; None when PAI_HOME is not a repository or
    has a hook of its own (left alone). Call it wherever PAI_HOME becomes a repository."""
    if not (home / ".git").exists():
        return None
    try:
        return install_hook(home)
    except (HookExists, RuntimeError, OSError):
        return None
