"""At the end of a session, on request: the model reads it and proposes what is worth keeping
(learnings, decisions, research, preferences), as JSON that code checks. Nothing is kept here:
the user reviews the proposals and keeps the ones they choose."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pai_tui.history.records import NOTE_KINDS, NoteDraft
from pai_tui.turns.ask_json import Unanswered, ask, json_in

if TYPE_CHECKING:
    from pai_tui.history.records import MessageRecord
    from pai_tui.history.service import History
    from pai_tui.turns.service import Turns

MOST = 8  # proposals taken from one answer
TRANSCRIPT_CHARS = 40_000  # of the session shown to the model (its end, when longer)
TITLE_CHARS = 120

SYSTEM = f"""You read a conversation between a user and their AI assistant and propose what is
worth remembering for later sessions: what was learned (a fix, a pitfall, a fact that held),
what was decided (and why), research worth keeping, and the user's preferences.

Answer with JSON only: an array of at most {MOST} objects, each
{{"kind": one of {", ".join(NOTE_KINDS)}, "title": one line, "body": a few sentences}}.
Propose only what would help a later session; an empty array is a fine answer. Never include
secrets, keys or passwords."""


async def propose(turns: Turns, history: History, session_id: int) -> list[NoteDraft]:
    """What the model proposes to keep from session `session_id`, checked; Unanswered when
    there is nothing to read or its answer is unusable."""
    messages = await history.messages(session_id)
    said = transcript(messages)
    if not said:
        raise Unanswered("the session has no conversation to learn from yet")
    answer = await ask(turns, f"The conversation:\n\n{said}", SYSTEM,
                       "proposing learnings from a session")
    found = json_in(answer.content, "[")
    drafts = [d for d in (draft(item, session_id) for item in found[:MOST]) if d is not None]
    if found and not drafts:
        raise Unanswered("none of the model's proposals had a kind, a title and a body "
                         f"(its answer is in session {answer.session_id})")
    return drafts


def transcript(messages: list[MessageRecord]) -> str:
    """The user's messages and the answers (not steps, not replaced answers), its end kept."""
    lines = [f"{'User' if m.role == 'user' else 'Assistant'}: {m.content.strip()}"
             for m in messages if m.role in ("user", "assistant") and not m.superseded
             and m.content.strip()]
    said = "\n\n".join(lines)
    return said if len(said) <= TRANSCRIPT_CHARS else "…" + said[-TRANSCRIPT_CHARS:]


def draft(item: Any, session_id: int) -> NoteDraft | None:
    """One proposal, if it has a known kind, a title and a body."""
    if not isinstance(item, dict):
        return None
    kind, title, body = item.get("kind"), item.get("title"), item.get("body")
    if kind not in NOTE_KINDS or not isinstance(title, str) or not title.strip() \
            or not isinstance(body, str):
        return None
    title = " ".join(title.split())[:TITLE_CHARS]
    return NoteDraft(kind, title, body.strip(), created_by="user", session_id=session_id)
