"""Applying a proposal is a git commit in PAI_HOME, checked before it counts: an accepted
proposal's diff is applied to a clean tree and committed (applied), then verified by code
(verified); a failed verification is undone by a new commit (failed, with the reason). Reverting
an applied or verified proposal is a new commit too (reverted). History is never rewritten."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.upgrade import verify
from pai_tui.upgrade.home_git import (
    Git,
    commit_diff,
    ensure_repository,
    refuse_dirty,
    revert_commit,
)
from pai_tui.upgrade.proposals import IllegalTransition, NoSuchProposal, allowed, move

if TYPE_CHECKING:
    from pai_tui.history.records import ProposalRecord
    from pai_tui.history.service import History



async def _get(history: History, proposal_id: int) -> ProposalRecord:
    record = await history.run(lambda store: store.proposal(proposal_id))
    if record is None:
        raise NoSuchProposal(proposal_id)
    return record


def commit_message(record: ProposalRecord, undo: str = "") -> str:
    head = f"pai upgrade: {undo}proposal {record.id}: {record.title}"
    return head if undo else f"{head}\n\n{record.draft.rationale}"


async def apply(history: History, home: Path, proposal_id: int) -> ProposalRecord:
    """Commit the accepted proposal's diff, then verify it; the proposal as it ends (verified,
    or failed and reverted). IllegalTransition unless accepted; GitError (nothing changed,
    still accepted) when the tree is dirty or git refuses the diff."""
    record = await _get(history, proposal_id)
    if not allowed(record.state, "applied"):
        raise IllegalTransition(proposal_id, record.state, "applied")
    git = Git(home)
    await ensure_repository(git)
    await refuse_dirty(git)
    sha = await commit_diff(git, record.draft.diff, commit_message(record))
    record = await move(history, proposal_id, "applied", f"committed {sha[:12]}",
                        commit_sha=sha)
    return await _verify(history, git, record, sha)


async def _verify(history: History, git: Git, record: ProposalRecord,
                  sha: str) -> ProposalRecord:
    changed = await git.files_in(sha)
    found = await verify.problems(git.root, changed, record.draft.check)
    if not found:
        return await move(history, record.id, "verified",
                          f"checks passed on {', '.join(changed) or 'no file'}")
    reason = "; ".join(found)
    undo = await revert_commit(git, sha, commit_message(record, "undo failed ")
                               + f"\n\nVerification failed: {reason}")
    return await move(history, record.id, "failed",
                      f"verification failed, undone by {undo[:12]}: {reason}",
                      failure=reason, revert_sha=undo)


async def revert(history: History, home: Path, proposal_id: int) -> ProposalRecord:
    """Undo an applied or verified proposal with a new commit (reverted)."""
    record = await _get(history, proposal_id)
    if not allowed(record.state, "reverted") or record.commit_sha is None:
        raise IllegalTransition(proposal_id, record.state, "reverted")
    git = Git(home)
    await refuse_dirty(git)
    undo = await revert_commit(git, record.commit_sha, commit_message(record, "revert "))
    return await move(history, proposal_id, "reverted", f"undone by {undo[:12]}",
                      revert_sha=undo)
