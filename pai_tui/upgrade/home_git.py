"""PAI_HOME as a git repository, so that every applied upgrade is a commit and every undo a new
commit (history is never rewritten). It becomes one on the first apply: a .gitignore keeps the
database, logs, secrets, keys, caches and backups out, pai's secrets hook refuses a commit that
adds anything shaped like a key, and what was there is committed first as the starting point.

git runs through process.py (own process group, timeout, scrubbed environment), never looking
for a repository above PAI_HOME (GIT_CEILING_DIRECTORIES): a PAI_HOME inside the user's dotfiles
repository is its own repository, never theirs."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pai_tui.paths import private_file
from pai_tui.process import run, scrubbed_environment
from pai_tui.upgrade.proposals import ProposalError

GIT_TIMEOUT_S = 60.0
OUTPUT_CAP = 1_000_000
IDENTITY = ("-c", "user.name=pai", "-c", "user.email=pai@localhost")
# Top folders of PAI_HOME that are pai's own, never the user's setup.
PRIVATE_FOLDERS = ("logs", "cache", "backups", "worktrees", "transcripts", "voice", "exports")
# Names, anywhere, that hold the history or secrets.
PRIVATE_NAMES = ("*.db", "*.db-wal", "*.db-shm", "*.db-journal", "*.sqlite", "*.sqlite3",
                 "secrets.toml", "*.key", "*.pem", ".env", "id_rsa*", "id_ed25519*")
GITIGNORE = ("# Written by pai when PAI_HOME became a git repository (pai upgrade apply):\n"
             "# the history, logs, secrets, keys and caches never go into it.\n"
             + "".join(f"/{folder}/\n" for folder in PRIVATE_FOLDERS)
             + "".join(f"{name}\n" for name in PRIVATE_NAMES))


class GitError(ProposalError):
    """git could not do it: `str()` says what and why."""


def why(said: str) -> str:
    return said.strip() or "no reason given"


@dataclass(frozen=True)
class Git:
    """git in one folder (PAI_HOME)."""

    root: Path

    async def run(self, *args: str, stdin: bytes | None = None) -> tuple[int | None, str]:
        """Its exit code (None: timed out or could not start) and what it said (as it said
        it: `status --porcelain` begins with a space)."""
        env = {**scrubbed_environment(os.environ), "GIT_TERMINAL_PROMPT": "0",
               "GIT_CEILING_DIRECTORIES": str(self.root.resolve().parent), "LC_ALL": "C"}
        done = await run(["git", *IDENTITY, *args], timeout=GIT_TIMEOUT_S,
                         output_cap=OUTPUT_CAP, env=env, cwd=self.root, stdin=stdin)
        if done.error or done.timed_out:
            return None, done.error or done.status()
        return done.exit_code, done.stdout + done.stderr

    async def must(self, *args: str, stdin: bytes | None = None, doing: str = "") -> str:
        code, said = await self.run(*args, stdin=stdin)
        if code != 0:
            raise GitError(f"{doing or 'git ' + args[0]} failed: {why(said)}")
        return said

    def is_repository(self) -> bool:
        return (self.root / ".git").exists()

    async def head(self) -> str:
        return (await self.must("rev-parse", "HEAD")).strip()

    async def changed_files(self) -> list[str]:
        """Files changed and not committed (untracked ones too; ignored ones not)."""
        said = await self.must("status", "--porcelain", "--untracked-files=all", "-z")
        entries = [e for e in said.split("\0") if e]
        files, skip = [], False
        for entry in entries:
            if skip:  # the source of a rename or copy
                skip = False
                continue
            files.append(entry[3:])
            skip = entry[0] in "RC"
        return files

    async def files_in(self, sha: str) -> list[str]:
        said = await self.must("diff-tree", "--no-commit-id", "--name-only", "-r", "-z",
                               "--root", sha)
        return [name for name in said.split("\0") if name]


async def ensure_repository(git: Git) -> bool:
    """Make PAI_HOME a repository if it is not one (a .gitignore, the secrets hook, what is
    there committed as the starting point). Whether it was made now. When the starting point
    cannot be committed (the hook found a key), nothing of it is left: fix it, and try again."""
    if git.is_repository():
        return False
    from pai_tui.secrets.githook import install_home_hook

    await git.must("init", "-q", doing="making PAI_HOME a git repository")
    os.chmod(git.root / ".git", 0o700)  # it will hold copies of the user's files: theirs only
    ignore = git.root / ".gitignore"
    wrote = not ignore.exists()
    if wrote:
        private_file(ignore)
        ignore.write_text(GITIGNORE, encoding="utf-8")
    try:
        await asyncio.to_thread(install_home_hook, git.root)  # it runs git: off the loop
        await git.must("add", "-A")
        await git.must("commit", "-q", "--allow-empty", "-m",
                       "pai: PAI_HOME as it was before the first upgrade",
                       doing="committing PAI_HOME as it was")
    except GitError:
        shutil.rmtree(git.root / ".git", ignore_errors=True)  # pai's own, made just now
        if wrote:
            ignore.unlink(missing_ok=True)
        raise
    return True


async def refuse_dirty(git: Git) -> None:
    """GitError listing the changed files when the tree is not clean: an upgrade is applied to
    a clean tree only, so that it never mixes with the user's own edits."""
    changed = await git.changed_files()
    if changed:
        listed = ", ".join(changed[:20]) + (f" and {len(changed) - 20} more"
                                            if len(changed) > 20 else "")
        raise GitError(f"{git.root} has changes not committed: {listed}. Commit or undo "
                       f"them first (git -C {git.root} status)")


async def commit_diff(git: Git, diff: str, message: str) -> str:
    """Apply `diff` and commit it with `message`; the new commit's sha. Nothing is left behind
    when git refuses the diff."""
    data = diff.encode("utf-8")
    await git.must("apply", "--check", stdin=data, doing="checking the diff (git apply)")
    await git.must("apply", "--index", stdin=data, doing="applying the diff (git apply)")
    code, said = await git.run("commit", "-q", "-m", message)
    if code != 0:
        await git.run("reset", "-q", "--hard", "HEAD")  # the tree was clean: only the diff goes
        raise GitError(f"committing the change failed: {why(said)}")
    return await git.head()


async def revert_commit(git: Git, sha: str, message: str) -> str:
    """A new commit undoing `sha`; its sha. Nothing is left behind when it cannot."""
    code, said = await git.run("revert", "--no-commit", sha)
    if code != 0:
        await git.run("revert", "--abort")
        raise GitError(f"undoing commit {sha[:12]} failed: {why(said)}")
    code, said = await git.run("commit", "-q", "--allow-empty", "-m", message)
    if code != 0:
        await git.run("revert", "--abort")
        raise GitError(f"committing the undo of {sha[:12]} failed: {why(said)}")
    return await git.head()
