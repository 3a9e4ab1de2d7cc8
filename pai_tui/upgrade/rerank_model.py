"""The model's say on the upgrade feed, bounded: after the code's ranking (poll.rerank), the chat
model judges only the top `[upgrade] rerank_top` unread items it has not judged yet, against the
user's TELOS, with a fixed rubric, and answers in JSON: for each item its goal id, a relevance
0-3 and one line on why it matters to this user. The answer is checked strictly (item ids that
were asked, relevance 0-3, goal ids of the TELOS, one array of objects); anything else leaves
the code's order as it is and says why.

A judgment multiplies the item's deterministic score by FACTORS[relevance] (0.25, 1, 2, 4): a
higher relevance moves an item above those the model rated lower unless the code scored it four
times lower, an item the model thinks irrelevant drops below the unjudged ones, and the code's
score breaks ties within a relevance. The explanation becomes "model: G2 (3/3) — why · <the
code's explanation>". Judgments are kept (in $PAI_HOME/cache, by source and item key) and
applied again after each ranking, so an item is judged once.

Money: each call is a `model` span in the timeline (spans.PURPOSE = "upgrade.rerank") with its
cost; today's calls (local day) count against `[upgrade] rerank_budget_usd`, and a call whose
cost is unknown (prices not known, or a call that never ended) counts as over budget. The span
is written before the call is sent, so a pai killed mid-call still counts it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pai_tui import events, spans
from pai_tui.config import Config

if TYPE_CHECKING:
    from pai_tui.history.records import FeedItemRecord
    from pai_tui.history.service import History
    from pai_tui.llm.base import Usage
    from pai_tui.telos import TelosItem

log = logging.getLogger(__name__)

PURPOSE = "upgrade.rerank"
FACTORS = (0.25, 1.0, 2.0, 4.0)  # by relevance 0-3
MODEL = "model: "  # how a judged item's explanation begins
FILE = "upgrade-rerank.json"  # in $PAI_HOME/cache: judgments, by source and item key
TEXT_CHARS = 600  # of an item's text the model is given
GOAL_CHARS = 300  # of a goal's text
WHY_CHARS = 300  # the longest "why" accepted
MAX_TOKENS = 2_000
CALL_SECONDS = 120.0

RUBRIC = """You rank news items for one person against their goals (their TELOS: missions, \
goals, problems, projects, each with an id such as G2). Judge each item only from its title and \
text; do not invent facts.

Relevance:
3 = acts directly on one of their goals now (something they should change or adopt)
2 = clearly useful for a goal
1 = loosely related
0 = not relevant to any goal

Answer with JSON only, no prose and no code fence: one array with one object per item, exactly
[{"item": <the item's id>, "goal": "<the id of the goal it serves most, or null when relevance \
is 0>", "relevance": <0, 1, 2 or 3>, "why": "<one line: why it matters to this person>"}]"""

Outcome = Literal["off", "nothing new", "no goals", "over budget", "no model", "failed",
                  "invalid", "re-ranked"]


@dataclass(frozen=True)
class Judgment:
    item: int
    goal: str | None
    relevance: int
    why: str


@dataclass(frozen=True)
class Refined:
    """How the model's re-rank went this time; `said()` for the user."""

    outcome: Outcome
    detail: str = ""
    items: int = 0  # judged this time
    cost: float | None = None  # of this call (None: unknown, or no call)

    def said(self) -> str:
        cost = "" if self.outcome not in ("re-ranked", "invalid", "failed") else \
            (", cost unknown" if self.cost is None else f", ${self.cost:.4f}")
        if self.outcome == "re-ranked":
            return f"model re-rank: {self.items} items judged{cost}"
        if self.outcome in ("invalid", "failed"):
            return f"model re-rank: the code's order stands ({self.detail}{cost})"
        return f"model re-rank: {self.outcome}" + (f" ({self.detail})" if self.detail else "")


class InvalidAnswer(ValueError):
    """Why the model's answer is not used."""


async def refine(config: Config, history: History, now: datetime | None = None) -> Refined:
    """Apply the judgments kept to the scores just ranked, then (when on, under budget, and
    with new items in the top) ask the model about the new ones. Call right after the
    deterministic ranking: a judgment multiplies the score the code gave."""
    from pai_tui.telos import load_telos

    path = config.home.cache / FILE
    settings = config.upgrade
    kept = await asyncio.to_thread(_load, path)
    if not kept and not settings.model_rerank:  # the usual case: nothing to read again
        return Refined("off")
    records = await history.run(lambda store: _apply(store, kept))
    if not settings.model_rerank:  # judgments made while it was on still count
        return Refined("off")
    top = [r for r in records if not r.read][:settings.rerank_top]
    new = [r for r in top if (r.source, r.item.key) not in kept]
    if not new:
        return Refined("nothing new", "the top unread items are judged already")
    goals = (await asyncio.to_thread(load_telos, config.home.root)).items
    if not goals:
        return Refined("no goals", f"no TELOS in {config.home.root / 'telos'}")
    since = _day_start()
    costs = await history.run(lambda store: store.purpose_costs(PURPOSE, since))
    if any(cost is None for cost in costs):
        return Refined("over budget", "a call today has an unknown cost")
    spent = sum(c for c in costs if c is not None)
    if spent >= settings.rerank_budget_usd:
        return Refined("over budget", f"${spent:.4f} of ${settings.rerank_budget_usd:g} "
                                      "spent today")
    refined, judgments, model = await _ask(config, history, new, goals)
    if judgments:
        by_id = {r.id: r for r in new}
        at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        for judgment in judgments:
            record = by_id[judgment.item]
            kept[(record.source, record.item.key)] = {
                "goal": judgment.goal, "relevance": judgment.relevance, "why": judgment.why,
                "model": model, "at": at}
        live = {(r.source, r.item.key) for r in records}
        await asyncio.to_thread(_save, path, {k: v for k, v in kept.items() if k in live})
        fresh = {(by_id[j.item].source, by_id[j.item].item.key): kept[
            (by_id[j.item].source, by_id[j.item].item.key)] for j in judgments}
        await history.run(lambda store: _apply(store, fresh))
    return refined


def _apply(store: Any, judged: dict[tuple[str, str], dict[str, Any]]) -> list[FeedItemRecord]:
    """Multiply the scores of the judged items (those not multiplied yet); the items as they
    were, best first by the code's score."""
    records = store.feed_items()
    scores = {}
    for record in records:
        judgment = judged.get((record.source, record.item.key))
        if judgment is not None and not record.why.startswith(MODEL):
            scores[record.id] = adjusted(record.score, record.why, judgment)
    store.score_feed_items(scores)
    return records


def adjusted(score: float, why: str, judgment: dict[str, Any]) -> tuple[float, str]:
    """The score and explanation of an item the model judged (the module says the formula)."""
    relevance = int(judgment["relevance"])
    said = f"{MODEL}{judgment.get('goal') or '-'} ({relevance}/3) — {judgment['why']}"
    return round(score * FACTORS[relevance], 6), said + (f" · {why}" if why else "")


async def _ask(config: Config, history: History, items: Sequence[FeedItemRecord],
               goals: Sequence[TelosItem]) -> tuple[Refined, list[Judgment], str]:
    """One call to the chat model; what came of it, the judgments (none unless valid), and
    the model's name."""
    from pai_tui.llm.base import ChatMessage, ChatRequest, ProviderError, Stop, TextPart, Usage
    from pai_tui.llm.providers import OFFLINE, Providers
    from pai_tui.llm.retry import RetryPolicy, stream_with_retries
    from pai_tui.scrub import redact_shapes

    providers = Providers(config)
    choice = providers.default()
    if choice.provider == OFFLINE:
        return Refined("no model", "no provider has a key (pai secrets add PROVIDER)"), [], ""
    request = ChatRequest([ChatMessage("user", prompt(items, goals))], choice.model,
                          system=RUBRIC, max_tokens=MAX_TOKENS)
    span = _Span(history, choice.provider, choice.model)
    await span.start()
    text: list[str] = []
    usage, stop, failure = Usage(), None, None
    try:
        provider = await asyncio.to_thread(providers.build, choice.provider)
        async with asyncio.timeout(CALL_SECONDS):
            async for delta in stream_with_retries(
                    provider, request, providers.keys(choice.provider),
                    RetryPolicy(config.chat.retries, config.chat.max_retry_wait),
                    providers.key_variables(choice.provider)):
                if isinstance(delta, TextPart):
                    text.append(delta.text)
                elif isinstance(delta, Usage):
                    usage = delta
                elif isinstance(delta, Stop):
                    stop = delta
    except (ProviderError, TimeoutError, asyncio.CancelledError) as error:
        failure = error
    except Exception as error:  # a refinement: whatever breaks it, the code's order stands
        log.warning("upgrade re-rank: the call broke", exc_info=True)
        failure = error
    finally:
        await providers.aclose()
    cost = _cost(providers, choice, usage, failure)
    await span.end(usage, cost, stop, failure)
    if isinstance(failure, asyncio.CancelledError):
        raise failure
    if failure is not None:
        reason = "no answer in time" if isinstance(failure, TimeoutError) else \
            str(failure) if isinstance(failure, ProviderError) else \
            redact_shapes(f"{type(failure).__name__}: {failure}")
        log.info("upgrade re-rank: the call failed: %s", reason)
        return Refined("failed", reason, cost=cost), [], choice.model
    if stop is None or stop.reason != "end":
        reason = "the answer was cut" if stop is None else f"the answer stopped: {stop.reason}"
        log.info("upgrade re-rank: %s", reason)
        return Refined("invalid", reason, cost=cost), [], choice.model
    try:
        judgments = parse_answer("".join(text), {r.id for r in items}, {g.id for g in goals})
    except InvalidAnswer as error:
        log.info("upgrade re-rank: the answer is not used: %s", error)
        return Refined("invalid", str(error), cost=cost), [], choice.model
    return Refined("re-ranked", items=len(judgments), cost=cost), judgments, choice.model


def prompt(items: Sequence[FeedItemRecord], goals: Sequence[TelosItem]) -> str:
    """The goals and the items, as text; whatever is shaped like a key is redacted (a feed or a
    TELOS file may hold one: it is not sent on)."""
    from pai_tui.scrub import redact_shapes

    listed = "\n".join(f"{g.id}: {g.text[:GOAL_CHARS]}" for g in goals)
    shown = [{"item": r.id, "source": r.source, "title": r.item.title,
              "text": r.item.summary[:TEXT_CHARS]} for r in items]
    return redact_shapes(f"The person's goals:\n{listed}\n\nThe items:\n"
                         + json.dumps(shown, ensure_ascii=False, indent=1))


_FENCE = re.compile(r"^```(?:json)?\s*\n(.*)\n```$", re.S)


def parse_answer(text: str, asked: set[int], goal_ids: set[str]) -> list[Judgment]:
    """The judgments of a valid answer; InvalidAnswer saying what is wrong otherwise."""
    text = text.strip()
    fenced = _FENCE.match(text)
    try:
        data = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError as error:
        raise InvalidAnswer(f"not JSON: {error.msg} at line {error.lineno} column "
                            f"{error.colno}") from None
    if not isinstance(data, list) or not data:
        raise InvalidAnswer("not a non-empty JSON array of judgments")
    judgments: list[Judgment] = []
    for index, entry in enumerate(data):
        judgments.append(_judgment(entry, f"[{index}]", asked, goal_ids))
    seen = [j.item for j in judgments]
    twice = sorted({i for i in seen if seen.count(i) > 1})
    if twice:
        raise InvalidAnswer(f"item {twice[0]} is judged twice")
    return judgments


def _judgment(entry: Any, where: str, asked: set[int], goal_ids: set[str]) -> Judgment:
    if not isinstance(entry, dict):
        raise InvalidAnswer(f"{where} is not an object")
    item, goal, relevance, why = (entry.get(k) for k in ("item", "goal", "relevance", "why"))
    if type(item) is not int or item not in asked:
        raise InvalidAnswer(f"{where}: item {json.dumps(item)[:40]} is not one of the items "
                            f"asked about ({', '.join(map(str, sorted(asked)))})")
    if type(relevance) is not int or not 0 <= relevance <= 3:
        raise InvalidAnswer(f"{where}: relevance {json.dumps(relevance)[:40]} is not 0, 1, 2 "
                            "or 3")
    if goal in (None, "") and relevance == 0:
        goal = None
    elif not isinstance(goal, str) or goal not in goal_ids:
        raise InvalidAnswer(f"{where}: goal {json.dumps(goal)[:40]} is not an id of the TELOS "
                            f"({', '.join(sorted(goal_ids))})")
    if not isinstance(why, str) or not why.strip():
        raise InvalidAnswer(f"{where}: why is missing (one line)")
    why = " ".join(why.split())
    if len(why) > WHY_CHARS:
        raise InvalidAnswer(f"{where}: why is longer than one line ({len(why)} characters)")
    return Judgment(item, goal, relevance, why)


def _cost(providers: Any, choice: Any, usage: Usage, failure: BaseException | None,
          ) -> float | None:
    """What the call cost; None when unknown: no prices, or stopped before the provider said
    what it took (it may be billed)."""
    from pai_tui.llm.base import Usage

    if isinstance(failure, TimeoutError | asyncio.CancelledError) and usage == Usage():
        return None
    try:
        return providers.model_info(choice).cost(usage)
    except (ArithmeticError, LookupError, TypeError, ValueError):
        return None


class _Span:
    """The call as a `model` span of the timeline, written to the store as it starts and ends
    (not through the bus: the budget must see it before the next call)."""

    def __init__(self, history: History, provider: str, model: str):
        self._history = history
        self._id, self._trace = spans.new_span_id(), spans.new_trace_id()
        self._started = events.SpanStarted(
            self._id, self._trace, None, "model", f"{spans.CHAT} {model}", None,
            {spans.OPERATION: spans.CHAT, spans.PROVIDER: provider, spans.REQUEST_MODEL: model,
             spans.REQUEST_MAX_TOKENS: MAX_TOKENS, spans.PURPOSE: PURPOSE})

    async def start(self) -> None:
        await self._history.run(lambda store: store.record_spans([self._started], []))

    async def end(self, usage: Usage, cost: float | None, stop: Any,
                  failure: BaseException | None) -> None:
        said: dict[str, Any] = {spans.INPUT_TOKENS: usage.input_tokens,
                                spans.OUTPUT_TOKENS: usage.output_tokens, spans.COST: cost}
        status = "ok"
        if stop is not None:
            said[spans.FINISH_REASONS] = [stop.reason]
        if isinstance(failure, asyncio.CancelledError):
            status = "cancelled"
        elif failure is not None:
            status, said[spans.ERROR_TYPE] = "error", spans.error_type(failure)
        ended = events.SpanEnded(self._id, status,
                                 {k: v for k, v in said.items() if v is not None})
        await self._history.run(lambda store: store.record_spans([], [ended]))


def _day_start() -> float:
    """The start of today (local time), as the timeline's clock counts."""
    moment = datetime.now().astimezone()
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _load(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The judgments kept; an unreadable file is as none (it is a cache: judging again costs
    at most the daily budget)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {(j["source"], j["key"]): j for j in data["judged"]
                if j.get("relevance") in (0, 1, 2, 3) and isinstance(j.get("why"), str)}
    except (OSError, ValueError, KeyError, TypeError) as error:
        if path.exists():
            log.warning("%s: not read (%s): items are judged again", path, error)
        return {}


def _save(path: Path, judged: dict[tuple[str, str], dict[str, Any]]) -> None:
    from pai_tui.settings import write_atomic

    entries = [{"source": source, "key": key, **{k: v for k, v in judgment.items()
                                                 if k not in ("source", "key")}}
               for (source, key), judgment in judged.items()]
    write_atomic(path, json.dumps({"judged": entries}, ensure_ascii=False, indent=1) + "\n")
