"""Asking the model for structured JSON in a turn of its own: the question and the answer are
saved as a session like any other (so what it cost is counted, and the answer can be read when
it does not parse), routed to no skill. Code checks whatever comes back."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pai_tui.history.records import MessageRecord
    from pai_tui.turns.service import Turns

_FENCED = re.compile(r"^```[a-zA-Z]*\n(.*)\n```$", re.S)


class Unanswered(Exception):
    """No usable answer: no model, an unfinished answer, or one without the JSON asked for.
    `str()` says why, for the user."""


async def ask(turns: Turns, text: str, system: str, why: str) -> MessageRecord:
    """The model's complete answer to `text` (Unanswered if there is no model or it did not
    finish)."""
    from pai_tui.llm.providers import OFFLINE
    from pai_tui.skills.router import RouteDecision

    if turns.default_choice().provider == OFFLINE:
        raise Unanswered(f"no model is set up for {why} (pai doctor says what is missing)")
    plain = RouteDecision(None, "chat", text, reasons=(why,))
    answer = await (await turns.start(None, text, system=system, decision=plain)).run()
    if answer.status != "complete":
        raise Unanswered(f"the model did not finish its answer ({answer.status}: "
                         f"{answer.error or 'no reason given'}); session {answer.session_id}")
    return answer


def json_in(text: str, opening: str = "{") -> Any:
    """The JSON object (`{`) or array (`[`) in a model's answer, a ```json fence or prose
    around it tolerated; Unanswered when there is none."""
    closing = "}" if opening == "{" else "]"
    body = text.strip()
    fenced = _FENCED.match(body)
    if fenced:
        body = fenced.group(1)
    start, end = body.find(opening), body.rfind(closing)
    what = "object" if opening == "{" else "array"
    if start < 0 or end < start:
        raise Unanswered(f"the model's answer holds no JSON {what}")
    try:
        found = json.loads(body[start:end + 1])
    except json.JSONDecodeError as error:
        raise Unanswered(f"the model's answer is not valid JSON ({error})") from None
    if not isinstance(found, dict if opening == "{" else list):
        raise Unanswered(f"the model's answer is not a JSON {what}")
    return found
