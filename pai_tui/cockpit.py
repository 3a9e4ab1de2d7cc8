"""The composition root: holds the config and the bus, builds each service on first use, and
closes them in reverse order. It runs nothing itself: the faces (the UI and the CLI) talk to the
services it builds.

    history    sessions and messages (history/service.py)
    providers  the models pai can talk to (llm/providers.py)
    skills     the skill index, router, permissions and tools (skills/service.py)
    approvals  who answers "may this tool run?" (turns/gates.py)
    turns      starting and running turns (turns/service.py)
    timeline   the recorder that writes every turn's spans (observe/timeline.py)
    agents     running named agents, several at once (agents/runs.py)
    settings   the one writer of config.toml (settings.py)
    hooks      lifecycle hooks: the turn's gates call them, observers follow the bus (hooks/)
    voice      agents speaking (voice/service.py); built only when voice is used

Nothing here imports Textual, an SDK or SQLAlchemy: each service imports what it needs when first
used, so starting the cockpit pays nothing for them.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from pai_tui import events
from pai_tui.config import Config

if TYPE_CHECKING:
    from pai_tui.agents.runs import Supervisor
    from pai_tui.history.service import History
    from pai_tui.hooks.service import Hooks
    from pai_tui.llm.providers import Providers
    from pai_tui.observe.timeline import TimelineRecorder
    from pai_tui.settings import Settings
    from pai_tui.skills.service import Skills
    from pai_tui.turns.gates import Approvals
    from pai_tui.turns.service import Turns
    from pai_tui.upgrade.feed import UpgradeFeed
    from pai_tui.voice.service import VoiceService


class Cockpit:
    """One pai process's services, built from one Config and one bus."""

    def __init__(self, config: Config, bus: events.Bus | None = None):
        self.config = config
        self.bus = bus or events.Bus()

    @cached_property
    def history(self) -> History:
        from pai_tui.history.service import History

        return History(self.config, self.bus)

    @cached_property
    def providers(self) -> Providers:
        from pai_tui.llm.providers import Providers

        return Providers(self.config)

    @cached_property
    def skills(self) -> Skills:
        from pai_tui.skills.service import Skills

        return Skills(self.config, self.settings)

    @cached_property
    def settings(self) -> Settings:
        from pai_tui.settings import Settings

        return Settings(self.config)

    @cached_property
    def approvals(self) -> Approvals:
        from pai_tui.turns.gates import Approvals

        return Approvals(lambda: self.skills.permissions, self.bus)

    @cached_property
    def turns(self) -> Turns:
        from pai_tui.llm.retry import RetryPolicy
        from pai_tui.turns.gates import Gates
        from pai_tui.turns.service import Turns
        from pai_tui.turns.turn import Services

        chat = self.config.chat
        self.timeline  # noqa: B018 (subscribed before the first turn tells a span)
        return Turns(Services(self.config, self.bus, self.history, self.providers, self.skills,
                              Gates(self.approvals, self.hooks), RetryPolicy(chat.retries,
                                                                 chat.max_retry_wait)))

    @cached_property
    def hooks(self) -> Hooks:
        from pai_tui.hooks.service import Hooks

        return Hooks(self.config, self.bus)

    @cached_property
    def timeline(self) -> TimelineRecorder:
        from pai_tui.observe.timeline import TimelineRecorder

        return TimelineRecorder(self.history, self.bus)

    @cached_property
    def upgrades(self) -> UpgradeFeed:
        from pai_tui.upgrade.feed import UpgradeFeed

        return UpgradeFeed(self.config, self.history, self.bus)

    @cached_property
    def agents(self) -> Supervisor:
        from pai_tui.agents.delegation import delegate_toolbox
        from pai_tui.agents.runs import Supervisor

        supervisor = Supervisor(self.config, self.providers, self.turns)
        supervisor.delegate_toolbox = delegate_toolbox
        return supervisor

    @cached_property
    def voice(self) -> VoiceService:
        """Speech, not started: `voice.start()` (blocking, off the UI loop) starts it."""
        from pai_tui.voice.service import VoiceService

        return VoiceService(self.config, self.bus, self._agent_task)

    def _agent_task(self, turn_id: int) -> str | None:
        """The task of the agent's run `turn_id`, for "Architect: design the export"."""
        found = self.agents.active.get(turn_id) if "agents" in self.__dict__ else None
        return found[0].task if found else None

    async def aclose(self) -> None:
        """Close the providers' connections (on the loop that opened them), then the rest."""
        if "providers" in self.__dict__:
            await self.providers.aclose()
        self.close()

    def close(self) -> None:
        """Close what holds resources (the store), newest service first."""
        if "hooks" in self.__dict__:  # SessionEnd, and queued observers finish
            self.hooks.close()
        if "voice" in self.__dict__:
            self.voice.close()
        if "timeline" in self.__dict__:
            self.timeline.close()
        if "history" in self.__dict__:
            self.history.close()
