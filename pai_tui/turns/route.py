"""Routing a turn: the skill that answers it (or plain chat), decided by the skills' router, and
below its confidence, when `[skills] model_routing` is on, by the model among the top few.
A failure of the skills never costs the user the answer: it degrades to plain chat, said."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from pai_tui import events
from pai_tui.llm.base import ChatMessage, ChatRequest, ProviderError
from pai_tui.turns.collect import Collected, collect

if TYPE_CHECKING:
    from pai_tui.llm.providers import ModelChoice
    from pai_tui.skills.model import Skill
    from pai_tui.skills.router import RouteDecision
    from pai_tui.skills.service import Skills
    from pai_tui.turns.context import TurnContext
    from pai_tui.turns.turn import Streamer


async def decide(skills: Skills, bus: events.Bus, ctx: TurnContext, question: str | None,
                 streamer: Streamer, routed: RouteDecision | None = None,
                 ) -> tuple[RouteDecision | None, Skill | None]:
    """The routing decision for the turn (given in `ctx`, routed already with the turn's
    preparation, or made now for `question`) and the skill it names."""
    decision = ctx.decision
    try:
        if decision is None:
            if question is None:
                return None, None
            decision = routed
            if decision is None:
                router = await skills.router()
                # Off the event loop: routing a long message must never stall the screen.
                decision = await asyncio.to_thread(router.route, question)
            if decision.how == "model" and decision.candidates:
                decision = await _model_route(skills, ctx.choice, decision, streamer)
            bus.publish(events.RouteDecided(ctx.session_id, decision.skill, decision.how,
                                            tuple(decision.reasons), **ctx.ids))
        if decision.skill is None:
            return decision, None  # plain chat, or an unknown slash command
        skill = await skills.get(decision.skill)
        if skill is None:
            raise LookupError(f"no skill named {decision.skill!r} is installed")
        return decision, skill
    except (ProviderError, OSError, ValueError, LookupError) as error:
        bus.publish(events.TurnNotice(ctx.session_id, ctx.turn_id,
                                      f"skills: {error}; answering as plain chat", **ctx.ids))
        return None, None


async def _model_route(skills: Skills, choice: ModelChoice, decision: RouteDecision,
                       streamer: Streamer) -> RouteDecision:
    """The model picks one of the top candidates, or none (plain chat). Only this fuzzy choice
    is the model's."""
    from pai_tui.skills.router import RouteDecision

    index = await skills.index()
    listed = [s for s in (index.get(name) for name in decision.candidates) if s is not None]
    menu = "\n".join(f"- {s.key}: {s.description[:300]}" for s in listed)
    prompt = ("Which skill should handle the message below? Answer with one name from the "
              f"list, or `none` if it is ordinary conversation.\n\n{menu}\n\n"
              f"Message:\n{decision.text[:4000]}")
    request = ChatRequest([ChatMessage("user", prompt)], choice.model, max_tokens=20)
    said = await collect(streamer(request), Collected())
    pick = named_skill(said.text, listed)
    reasons = (*decision.reasons, f"the model ({choice}) chose "
               f"{pick.key if pick else 'none: plain chat'} among "
               f"{', '.join(s.key for s in listed)}")
    return RouteDecision(pick.name if pick else None, "model", decision.text, reasons=reasons,
                         scores=decision.scores, candidates=decision.candidates)


def named_skill(said: str, listed: list[Skill]) -> Skill | None:
    """The skill a model's routing answer names: none when it starts by saying none, else the
    one it names first (in any spelling: `extract_wisdom`, `first principles`)."""
    from pai_tui.skills.model import skill_key

    said = skill_key(said)
    if re.match(r"\W*(none|no\b|plain)", said):
        return None
    found = [(position, skill) for skill in listed
             if (position := said.find(skill.key)) >= 0]
    return min(found, key=lambda hit: hit[0])[1] if found else None
