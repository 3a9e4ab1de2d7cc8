#!/usr/bin/env python3
"""Create a git worktree with a new branch for an experiment, beside the repository, so that the
main checkout is never touched. Prints the new folder's path."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path


class Refusal(Exception):
    """Why the worktree was not created; the message is for the user."""


def git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise Refusal("git is not installed (or not on PATH)") from None


def create(name: str, repo: Path, base: str, path: Path | None) -> dict[str, str]:
    """Check everything first, then `git worktree add -b NAME PATH BASE`."""
    if not repo.is_dir():
        raise Refusal(f"no folder {repo}")
    found = git("rev-parse", "--show-toplevel", cwd=repo)
    if found.returncode != 0:
        raise Refusal(f"{repo} is not inside a git repository")
    top = Path(found.stdout.strip())
    if git("check-ref-format", "--branch", name, cwd=top).returncode != 0:
        raise Refusal(f"{name!r} is not a valid branch name")
    if git("rev-parse", "--verify", "--quiet", f"refs/heads/{name}", cwd=top).returncode == 0:
        raise Refusal(f"a branch {name!r} already exists in {top}: choose another name")
    commit = git("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", cwd=top)
    if commit.returncode != 0:
        raise Refusal(f"{base!r} names no commit in {top}" +
                      (" (the repository has no commits yet)" if base == "HEAD" else ""))
    target = path or top.parent / f"{top.name}-{re.sub(r'[^A-Za-z0-9._-]+', '-', name)}"
    target = target.absolute()
    if target.exists():
        raise Refusal(f"{target} already exists: choose another name or --path")
    added = git("worktree", "add", "-b", name, str(target), commit.stdout.strip(), cwd=top)
    if added.returncode != 0:
        raise Refusal(f"git worktree add failed: {added.stderr.strip()}")
    return {"path": str(target), "branch": name, "base": base,
            "commit": commit.stdout.strip(), "repository": str(top)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="worktree", description=__doc__,
        epilog="Example: worktree try-uv --base main. The folder is REPO-NAME beside the "
               "repository unless --path is given. Throw it away with "
               "`git worktree remove PATH` and `git branch -D NAME`.")
    parser.add_argument("name", metavar="NAME", help="the new branch (e.g. try-new-parser)")
    parser.add_argument("--repo", type=Path, default=Path("."),
                        help="a folder inside the repository (default: the current folder)")
    parser.add_argument("--base", default="HEAD", help="the commit to start from (default HEAD)")
    parser.add_argument("--path", type=Path, help="where to create the worktree")
    parser.add_argument("--json", action="store_true",
                        help="print {path, branch, base, commit, repository} as JSON")
    options = parser.parse_args(argv)
    try:
        made = create(options.name, options.repo, options.base, options.path)
    except Refusal as refusal:
        print(f"worktree: {refusal}", file=sys.stderr)
        return 1
    if options.json:
        print(json.dumps(made, indent=2))
    else:
        print(made["path"])
        print(f"worktree: branch {made['branch']} from {made['base']} "
              f"({made['commit'][:12]}) in {made['path']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
