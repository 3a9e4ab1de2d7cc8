"""Drafting a proposal from a feed item: the model is asked (one plain turn, saved in the history
like any answer, so its cost is counted with the rest) for a JSON object {title, rationale,
diff, check}; the answer is checked by code (well-formed, a diff that touches only the user's
setup inside PAI_HOME and that `git apply --check` accepts) before anything is stored. A draft
that fails a check is not stored: the error says why, and the model's answer stays in its
session."""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pai_tui.history.records import FeedItemRecord, ProposalDraft
from pai_tui.upgrade.draft_context import home_listing, item_text, telos_text
from pai_tui.upgrade.home_git import Git, why
from pai_tui.upgrade.proposal_diff import refusals
from pai_tui.upgrade.proposals import ProposalError

if TYPE_CHECKING:
    from pai_tui.history.records import MessageRecord, ProposalRecord
    from pai_tui.history.service import History
    from pai_tui.turns.service import Turns

MAX_DIFF = 256 * 1024
MAX_TITLE = 200
SYSTEM = """You improve the user's pai setup (a personal AI cockpit) from AI news.
pai keeps the user's setup in one folder, PAI_HOME: skills/NAME/SKILL.md (Agent Skills: YAML
frontmatter with name and description, then instructions), sources.toml ([[source]] name, url),
routing.toml ([[rule]] tables), config.toml. Propose ONE concrete, small change to that setup
that the news item makes worthwhile for THIS user's goals (their TELOS), or a new skill.

Answer with one JSON object and nothing else:
{"title": "...", "rationale": "...", "diff": "...", "check": ["argv", "..."] or null}
- title: one line saying what changes.
- rationale: why, citing the item (its title or URL) and the TELOS ids it serves.
- diff: a unified diff (git style, paths a/... b/... relative to PAI_HOME; /dev/null for a new
  file) whose context lines match the files exactly as shown. Never touch the database, logs,
  secrets, keys, caches, backups or .gitignore.
- check: an optional command (argv list) run in PAI_HOME that exits 0 when the change works."""


class DraftError(ProposalError):
    """No proposal was stored: `str()` says why."""


@dataclass(frozen=True)
class Drafted:
    """What the model proposed, checked."""

    title: str
    rationale: str
    diff: str
    check: tuple[str, ...] | None


def prompt(record: FeedItemRecord, home: Path) -> str:
    return (f"Draft an upgrade proposal from item {record.id}: {record.item.title}\n\n"
            f"{item_text(record)}\n\nThe user's TELOS:\n{telos_text(home)}\n\n"
            f"PAI_HOME as it is now:\n{home_listing(home)}")


def _json_object(text: str) -> dict[str, Any]:
    from pai_tui.turns.ask_json import Unanswered, json_in

    try:
        found: dict[str, Any] = json_in(text, "{")
    except Unanswered as error:
        raise DraftError(str(error)) from None
    return found


def _text(found: dict[str, Any], name: str) -> str:
    value = found.get(name)
    if not isinstance(value, str) or not value.strip():
        raise DraftError(f"the model's answer has no {name} (a non-empty string)")
    return value.strip()


def _check(value: Any) -> tuple[str, ...] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return tuple(shlex.split(value))
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return tuple(value)
    raise DraftError("the model's check is neither a command line nor a list of strings")


def cited(rationale: str, record: FeedItemRecord) -> str:
    """The rationale, citing the item: its title and link added when it names neither."""
    item = record.item
    if (item.url and item.url in rationale) or (item.title and item.title in rationale):
        return rationale
    return f"{rationale}\n\nFrom item {record.id}: {item.title or '(untitled)'}" + \
        (f" <{item.url}>" if item.url else "")


def parse_answer(text: str, record: FeedItemRecord) -> Drafted:
    """The model's answer, checked for shape; DraftError says what is wrong."""
    found = _json_object(text)
    title = " ".join(_text(found, "title").split())[:MAX_TITLE]
    _text(found, "diff")
    diff = found["diff"].strip("\n") + "\n"  # as given: a context line may be one space
    if len(diff) > MAX_DIFF:
        raise DraftError(f"the diff is {len(diff)} characters, more than {MAX_DIFF}")
    return Drafted(title, cited(_text(found, "rationale"), record), diff,
                   _check(found.get("check")))


async def check_diff(home: Path, diff: str) -> None:
    """DraftError unless the diff stays in the user's setup and applies to PAI_HOME as it is."""
    refused = refusals(home, diff)
    if refused:
        raise DraftError("the diff may not be applied: " + "; ".join(refused))
    home.mkdir(parents=True, exist_ok=True)
    code, said = await Git(home).run("apply", "--check", stdin=diff.encode("utf-8"))
    if code != 0:
        raise DraftError(f"the diff does not apply to {home} (git apply --check: {why(said)})")


async def _ask(turns: Turns, text: str) -> MessageRecord:
    from pai_tui.turns.ask_json import Unanswered, ask

    try:
        return await ask(turns, text, SYSTEM, "drafting an upgrade proposal")
    except Unanswered as error:
        raise DraftError(str(error)) from None


async def draft(turns: Turns, history: History, home: Path, item_id: int) -> ProposalRecord:
    """A proposal drafted by the model from feed item `item_id`, checked and stored as
    proposed. DraftError (nothing stored) when the item is unknown or the answer unusable."""
    record = await history.run(lambda store: store.feed_item(item_id))
    if record is None:
        raise DraftError(f"no item {item_id} (pai upgrade list --all)")
    text = await asyncio.to_thread(prompt, record, home)  # reads files: off the loop
    answer = await _ask(turns, text)
    try:
        drafted = parse_answer(answer.content, record)
        await check_diff(home, drafted.diff)
    except DraftError as error:
        raise DraftError(f"{error}; nothing was stored (the model's answer is in session "
                         f"{answer.session_id})") from None
    by = f"{answer.provider}:{answer.model}" if answer.model else str(answer.provider)
    proposal = ProposalDraft(item_id, drafted.title, drafted.rationale, drafted.diff,
                             drafted.check, by, answer.id, answer.cost)
    return await history.run(lambda store: store.add_proposal(
        proposal, "proposed", f"drafted by {by} from item {item_id}"))
