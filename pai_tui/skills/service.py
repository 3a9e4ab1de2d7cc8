"""The skills as the rest of pai sees them: the index and its router (built once, off the event
loop, rebuilt on request), slash completions, the permission policy, and running a tool."""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from pai_tui.config import Config

if TYPE_CHECKING:
    from pai_tui.settings import Settings
    from pai_tui.skills.index import SkillIndex
    from pai_tui.skills.model import Skill
    from pai_tui.skills.permissions import Permissions
    from pai_tui.skills.router import Router
    from pai_tui.skills.tools import Tool, ToolRun


class Skills:
    """Nothing of the skills loads at start-up: each part is made on first use."""

    def __init__(self, config: Config, settings: Settings | None = None):
        self.config = config
        self.settings = settings
        self._loaded: tuple[SkillIndex, Router] | None = None
        self._lock = threading.Lock()
        self._permissions: Permissions | None = None

    @property
    def permissions(self) -> Permissions:
        """Which tools may run: config.toml plus the "always" answers given so far."""
        if self._permissions is None:
            from pai_tui.skills.permissions import Permissions

            save = self.settings.save if self.settings is not None else None
            self._permissions = Permissions(self.config, save)
        return self._permissions

    def load(self) -> tuple[SkillIndex, Router]:
        """The skill index and its router, built once. Blocking: call from a thread."""
        with self._lock:
            if self._loaded is None:
                from pai_tui.skills.index import load_index
                from pai_tui.skills.router import Router
                from pai_tui.skills.skill_turn import SkillTurn  # noqa: F401  (ready for a turn)

                index = load_index(self.config)
                self._loaded = index, Router(index, self.config)
            return self._loaded

    async def reload(self) -> SkillIndex:
        """Read the skills and the routing table again (a skill was added or edited)."""
        with self._lock:
            self._loaded = None
        return (await asyncio.to_thread(self.load))[0]

    async def index(self) -> SkillIndex:
        return (self._loaded or await asyncio.to_thread(self.load))[0]

    async def router(self) -> Router:
        return (self._loaded or await asyncio.to_thread(self.load))[1]

    def loaded_router(self) -> Router | None:
        """The router if the skills are loaded already (nothing to wait for), else None."""
        return self._loaded[1] if self._loaded else None

    async def get(self, name: str) -> Skill | None:
        return (await self.index()).get(name)

    def completions(self, prefix: str) -> list[str]:
        """`/su` -> the slash commands it may become (none until the skills are loaded)."""
        return self._loaded[1].completions(prefix) if self._loaded else []

    async def find_tool(self, skill: Skill, name: str) -> Tool | None:
        from pai_tui.skills.tools import find_tool

        return await asyncio.to_thread(find_tool, skill, name)

    async def run_tool(self, tool: Tool, args: list[str], stdin: bytes | None = None,
                       ) -> ToolRun:
        """Run a skill's tool with pai's settings (timeout, environment, output cap)."""
        from pai_tui.skills.tools import run_skill_tool

        return await run_skill_tool(self.config, tool, args, stdin=stdin)
