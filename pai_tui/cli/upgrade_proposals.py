"""`pai upgrade propose | proposals | proposal | accept | reject | apply | revert`: upgrade
proposals from the shell (added to the `pai upgrade` group by cli/upgrade.py).

Exit codes as the other upgrade commands: 0 done, 1 refused or failed (the message says why:
no such proposal, a move its state does not allow, a dirty PAI_HOME, a failed verification),
2 usage."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import say, say_json, warn

if TYPE_CHECKING:
    from pai_tui.cockpit import Cockpit
    from pai_tui.history.records import ProposalRecord

EXIT_FAILED = 1
STATES = ("proposed", "accepted", "applied", "verified", "rejected", "expired", "failed",
          "reverted")  # upgrade/proposals.py STATES, without importing it for --help


def _run(ctx: click.Context, work: Callable[[Cockpit], Coroutine[Any, Any, Any]]) -> Any:
    """`work` in a cockpit; a refusal (its message) exits 1."""
    from pai_tui.upgrade.proposals import ProposalError

    try:
        return in_cockpit(config_for(ctx), work)
    except ProposalError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_FAILED)


def cost_text(cost: float | None) -> str:
    """What drafting cost; unknown is said, never shown as $0."""
    if cost is None:
        return "cost unknown (no prices for its model)"
    return "cost <$0.0001" if 0 < cost < 0.00005 else f"cost ${cost:.4f}"


def iso(moment: Any) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"


def proposal_record(record: ProposalRecord) -> dict[str, Any]:
    """A proposal as `--json` prints it."""
    draft = record.draft
    return {"id": record.id, "item_id": draft.item_id, "title": draft.title,
            "state": record.state, "rationale": draft.rationale, "diff": draft.diff,
            "check": list(draft.check) if draft.check else None,
            "drafted_by": draft.drafted_by, "cost": draft.cost,
            "created_at": iso(record.created_at), "updated_at": iso(record.updated_at),
            "commit": record.commit_sha, "revert_commit": record.revert_sha,
            "failure": record.failure,
            "events": [{"from": e.from_state, "to": e.to_state, "at": iso(e.at),
                        "cause": e.cause} for e in record.events]}


def line(record: ProposalRecord) -> str:
    item = f"  (item {record.draft.item_id})" if record.draft.item_id is not None else ""
    return (f"{record.id:>5}  {record.state:<9}  {record.updated_at:%Y-%m-%d}  "
            f"{record.title}{item}")


@click.command("propose")
@click.argument("item_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="The proposal as one JSON object.")
@click.pass_context
def propose(ctx: click.Context, item_id: int | None, as_json: bool) -> None:
    """Draft a proposal from item ITEM_ID with the model: a change to your setup in $PAI_HOME
    (a diff), with its rationale. Nothing is changed until you accept and apply it."""
    config_for(ctx)  # a broken config.toml is said first, as by every command
    if item_id is None:
        raise click.UsageError("which item? pai upgrade propose ITEM_ID (pai upgrade list)")
    record = _run(ctx, lambda c: _propose(c, item_id))
    if as_json:
        say_json(proposal_record(record))
        return
    say(f"proposal {record.id}: {record.title}")
    say(f"drafted by {record.draft.drafted_by}, {cost_text(record.draft.cost)}")
    say(f"pai upgrade proposal {record.id} shows it; pai upgrade accept {record.id} accepts it")


async def _propose(cockpit: Cockpit, item_id: int) -> ProposalRecord:
    try:
        return await cockpit.upgrades.propose(item_id, cockpit.turns)
    finally:
        await cockpit.providers.aclose()


@click.command("proposals")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES),
              help="Only proposals in this state (again for more).")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of proposals, newest "
              "first.")
@click.pass_context
def proposals(ctx: click.Context, states: tuple[str, ...], as_json: bool) -> None:
    """The proposals, newest first: id, state, last change, title."""
    records = _run(ctx, lambda c: c.upgrades.proposals(states or None))
    if as_json:
        say_json([proposal_record(r) for r in records])
        return
    if not records:
        say("No proposals." if states else "No proposals yet: pai upgrade propose ITEM_ID")
    for record in records:
        say(line(record))


@click.command("proposal")
@click.argument("proposal_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="The proposal as one JSON object.")
@click.pass_context
def show_proposal(ctx: click.Context, proposal_id: int | None, as_json: bool) -> None:
    """One proposal in full: its rationale, check, diff and every change of state."""
    from pai_tui.upgrade.proposals import NoSuchProposal

    config_for(ctx)  # a broken config.toml is said first, as by every command
    if proposal_id is None:
        raise click.UsageError("which proposal? pai upgrade proposal ID (pai upgrade proposals)")
    record = _run(ctx, lambda c: c.upgrades.proposal(proposal_id))
    if record is None:
        warn(f"pai: {NoSuchProposal(proposal_id)}")
        ctx.exit(EXIT_FAILED)
    if as_json:
        say_json(proposal_record(record))
        return
    _print(record)


def _print(record: ProposalRecord) -> None:
    draft = record.draft
    say(f"proposal {record.id}: {draft.title}")
    say(f"{record.state} · drafted by {draft.drafted_by} · {cost_text(draft.cost)}"
        + (f" · from item {draft.item_id}" if draft.item_id is not None else ""))
    if record.failure:
        say(f"failed: {record.failure}")
    say()
    say(draft.rationale)
    say()
    say(f"check: {' '.join(draft.check)}" if draft.check else "check: none")
    say(draft.diff.rstrip("\n"))
    say()
    for event in record.events:
        say(f"{event.at:%Y-%m-%d %H:%M}  {event.from_state or 'new'} → {event.to_state}: "
            f"{event.cause}")


def _mover(name: str, doc: str) -> click.Command:
    """`pai upgrade NAME ID`: one move of the lifecycle, said in one line."""

    @click.command(name, help=doc)
    @click.argument("proposal_id", type=int, required=False)
    @click.pass_context
    def command(ctx: click.Context, proposal_id: int | None) -> None:
        config_for(ctx)  # a broken config.toml is said first, as by every command
        if proposal_id is None:
            raise click.UsageError(f"which proposal? pai upgrade {name} ID "
                                   "(pai upgrade proposals)")
        record = _run(ctx, lambda c: getattr(c.upgrades, name)(proposal_id))
        said = f"proposal {record.id}: {record.state}"
        if record.commit_sha and name == "apply":
            said += f" (commit {record.commit_sha[:12]})"
        if record.revert_sha:
            said += f" (undone by commit {record.revert_sha[:12]})"
        say(f"{said}: {record.title}")
        if record.state == "failed":
            warn(f"pai: verification failed: {record.failure}")
            ctx.exit(EXIT_FAILED)

    return command


COMMANDS = (
    propose, proposals, show_proposal,
    _mover("accept", "Accept proposal ID (it can then be applied)."),
    _mover("reject", "Reject proposal ID (proposed or accepted)."),
    _mover("apply", "Apply accepted proposal ID as a git commit in $PAI_HOME, then verify it "
                    "(config, changed skills, routing, sources, its own check). A failed "
                    "verification is undone by a new commit. Exit 1 if it failed."),
    _mover("revert", "Undo applied proposal ID with a new commit in $PAI_HOME."),
)
