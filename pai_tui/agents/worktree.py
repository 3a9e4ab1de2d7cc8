"""Worktree isolation that never loses work: an agent with `isolation: worktree` works in a new
git worktree of the current repository, on a branch named after the agent and the run.

- A dirty parent repository is not a problem: the worktree starts from HEAD (and says so).
- At the end, anything left uncommitted is committed onto the run's branch: never lost.
- The worktree is removed only when the branch did not advance and the tree is clean; otherwise
  the run's result names the branch and the folder. Nothing is ever removed with --force.

Worktrees live under $PAI_HOME/worktrees/<repository>/<agent>-<run>; `pai agent worktrees`
lists the ones left behind.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pai_tui.process import run, scrubbed_environment

BRANCH_PREFIX = "pai/"
GIT_TIMEOUT_S = 60.0


class WorktreeError(Exception):
    """git could not make the worktree: `str()` says why."""


@dataclass(frozen=True)
class Worktree:
    repo: Path  # the repository's top folder
    path: Path  # the worktree's folder
    branch: str
    base: str  # the commit it started from
    note: str = ""  # what the user should know (a dirty parent)


@dataclass(frozen=True)
class Kept:
    """How a run's worktree ended."""

    branch: str | None  # the branch with the agent's work; None: nothing was done, removed
    path: Path | None
    note: str = ""


async def git(args: list[str], cwd: Path) -> tuple[int | None, str]:
    """`git args` in `cwd`: its exit code and output (stdout, then stderr)."""
    env = {**scrubbed_environment(os.environ), "GIT_TERMINAL_PROMPT": "0"}
    done = await run(["git", *args], timeout=GIT_TIMEOUT_S, output_cap=1_000_000, env=env,
                     cwd=cwd)
    return done.exit_code, (done.stdout + done.stderr).strip()


async def start(folder: Path, home: Path, agent: str, run_id: str) -> Worktree:
    """A new worktree of the repository holding `folder`, for `agent`'s run `run_id` (a name
    unique to the run)."""
    code, top = await git(["rev-parse", "--show-toplevel"], folder)
    if code != 0:
        raise WorktreeError(f"{folder} is not in a git repository, so the agent cannot work in "
                            f"a worktree of its own")
    repo = Path(top)
    code, base = await git(["rev-parse", "HEAD"], repo)
    if code != 0:
        raise WorktreeError(f"the repository {repo} has no commit yet to start a worktree from")
    slug = re.sub(r"[^a-z0-9-]+", "-", agent.lower()).strip("-") or "agent"
    branch = f"{BRANCH_PREFIX}{slug}-{run_id}"
    path = home / "worktrees" / repo.name / f"{slug}-{run_id}"
    path.parent.mkdir(parents=True, exist_ok=True)
    code, said = await git(["worktree", "add", "-b", branch, str(path), base], repo)
    if code != 0:
        raise WorktreeError(f"git could not make the worktree: {said}")
    code, dirty = await git(["status", "--porcelain"], repo)
    note = ("the repository has uncommitted changes; the worktree starts from HEAD without "
            "them") if dirty else ""
    return Worktree(repo, path, branch, base, note)


async def finish(tree: Worktree, message: str) -> Kept:
    """Keep the agent's work: commit what it left uncommitted onto its branch; remove the
    worktree only if nothing was done."""
    code, dirty = await git(["status", "--porcelain"], tree.path)
    note = ""
    if code == 0 and dirty:
        await git(["add", "-A"], tree.path)
        code, said = await git(["-c", "user.name=pai", "-c", "user.email=pai@localhost",
                                "commit", "--no-verify", "-m", message], tree.path)
        note = "uncommitted work was committed onto the branch" if code == 0 else \
            f"uncommitted work is left in the folder (git commit failed: {said})"
    _, head = await git(["rev-parse", "HEAD"], tree.path)
    _, still_dirty = await git(["status", "--porcelain"], tree.path)
    if head == tree.base and not still_dirty:
        await git(["worktree", "remove", str(tree.path)], tree.repo)  # never --force
        await git(["branch", "-d", tree.branch], tree.repo)
        return Kept(None, None, "nothing was changed: the worktree is removed")
    return Kept(tree.branch, tree.path, note)


async def leftovers(repo_folder: Path) -> list[tuple[Path, str]]:
    """pai's worktrees of the repository holding `repo_folder`: (folder, branch)."""
    code, listing = await git(["worktree", "list", "--porcelain"], repo_folder)
    if code != 0:
        return []
    found: list[tuple[Path, str]] = []
    path: Path | None = None
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
        elif line.startswith("branch refs/heads/") and path is not None:
            branch = line.removeprefix("branch refs/heads/")
            if branch.startswith(BRANCH_PREFIX):
                found.append((path, branch))
    return found
