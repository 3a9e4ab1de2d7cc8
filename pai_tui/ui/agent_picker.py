"""Starting an agent from the cockpit: the command palette searching the agents (name, persona,
description), then a dialog asking the task. The run belongs to the cockpit's supervisor."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from pai_tui.safe_text import printable

if TYPE_CHECKING:
    from pai_tui.agents.definition import AgentDefinition


class AgentCommands(Provider):
    @property
    def _pick(self) -> Callable[[str], None]:
        return self.app.ask_agent_task  # type: ignore[attr-defined,no-any-return]

    async def _agents(self) -> list[AgentDefinition]:
        catalog = await self.app.cockpit.agents.catalog()  # type: ignore[attr-defined]
        return list(catalog)

    @staticmethod
    def _shown(agent: AgentDefinition) -> str:
        return printable(agent.name if agent.persona is None else f"{agent.name} · {agent.title}")

    @staticmethod
    def _help(agent: AgentDefinition) -> str:
        """The description's first sentence (the palette shows one line of help)."""
        first = " ".join(agent.description.split()).split(". ", 1)[0]
        return printable(first[:100])

    async def discover(self) -> Hits:
        for agent in await self._agents():
            yield DiscoveryHit(self._shown(agent), partial(self._pick, agent.name),
                               help=self._help(agent))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for agent in await self._agents():
            shown = self._shown(agent)
            score = max(matcher.match(shown), matcher.match(agent.description) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(shown), partial(self._pick, agent.name),
                          help=self._help(agent))
