"""Whether a skill's tool may run: allow, ask or deny.

The policy of a tool, first match wins:
  0. "always" answered in this session,
  1. `[skills.permissions] "skill/tool"` in config.toml,
  2. `[skills.permissions] "skill/*"`,
  3. allow, if the skill lists the tool in `metadata.safe-tools`,
  4. ask.
Names match in any case and `_`/`-` spelling. "Always" answered in the app grants the tool for
this session at once and is written to config.toml (comments kept) so that it lasts.
Headless, *ask* is refused unless the user said `--yes`; the refusal says how to allow it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pai_tui.config import ConfigError, Permission
from pai_tui.skills.model import skill_key

if TYPE_CHECKING:
    from pai_tui.config import Config
    from pai_tui.skills.tools import Tool

log = logging.getLogger(__name__)

# The user's answer when the policy is "ask": run it once, refuse, or always allow this tool.
Decision = Literal["yes", "no", "always"]
Asker = Callable[["Tool", list[str]], Awaitable[Decision]]
Save = Callable[[tuple[str, ...], dict[str, str]], Path]


@dataclass(frozen=True)
class Rule:
    """A tool's policy and where it comes from (shown when a tool is refused)."""

    action: Permission
    source: str


def _key(skill: str, tool: str) -> str:
    return f"{skill_key(skill)}/{tool if tool == '*' else skill_key(tool)}"


def config_line(tool: Tool, action: Permission = "allow") -> str:
    """The config.toml lines that give `tool` the policy `action`."""
    return f'[skills.permissions]\n"{tool.qualified}" = "{action}"'


def resolve(tool: Tool, permissions: Mapping[str, str],
            granted: frozenset[str] | set[str] = frozenset()) -> Rule:
    """The tool's policy from config (`permissions`), session grants and the skill's safe list."""
    if _key(tool.skill, tool.name) in granted:  # asked and answered "always" in this session
        return Rule("allow", "allowed always in this session")
    table = {}
    for raw, action in permissions.items():
        skill, _, name = raw.partition("/")
        table.setdefault(_key(skill, name or "*"), (raw, action))
    for wanted in (_key(tool.skill, tool.name), _key(tool.skill, "*")):
        if wanted in table:
            raw, action = table[wanted]
            return Rule(action, f'config.toml [skills.permissions] "{raw}" = "{action}"')
    if tool.safe:
        return Rule("allow", f"the skill {tool.skill} marks it safe (metadata.safe-tools)")
    return Rule("ask", "default: ask before running a tool the skill does not mark safe")


class Permissions:
    """The policy of one pai process: config.toml plus the "always" answers given so far."""

    def __init__(self, config: Config, save: Save | None = None):
        self.config = config
        if save is None:
            from pai_tui.settings import Settings

            save = Settings(config).save
        self._save = save  # the one writer of config.toml (settings.py)
        self.granted: set[str] = set()

    def rule(self, tool: Tool) -> Rule:
        return resolve(tool, self.config.skills.permissions, self.granted)

    def grant(self, tool: Tool) -> None:
        """Allow `tool` for the rest of this session (in memory only)."""
        self.granted.add(_key(tool.skill, tool.name))

    def remember(self, tool: Tool, action: Permission = "allow") -> Path:
        """Write `"skill/tool" = action` under [skills.permissions] in config.toml (atomic,
        comments kept) and apply it now. Raises ConfigError if the file cannot be parsed: the
        user's file is never overwritten then."""
        return self._save(("skills", "permissions"), {tool.qualified: action})

    def headless(self, tool: Tool, yes: bool = False) -> str | None:
        """None if the tool may run without a person to ask; else why not and how to allow."""
        rule = self.rule(tool)
        if rule.action == "allow" or (rule.action == "ask" and yes):
            return None
        if rule.action == "deny":
            return f"the tool {tool.qualified} is denied by {rule.source}"
        return (f"the tool {tool.qualified} needs permission ({rule.source}). Run again with "
                f"--yes to allow it this time, or allow it always in "
                f"{self.config.home.config}:\n{config_line(tool)}")

    async def authorize(self, tool: Tool, args: list[str], ask: Asker) -> str | None:
        """None if the tool may run now (asking the user when the policy says so); else why
        it is refused. "Always" grants it at once and is saved to config.toml."""
        rule = self.rule(tool)
        if rule.action == "allow":
            return None
        if rule.action == "deny":
            return f"the tool {tool.qualified} is denied by {rule.source}"
        answer = await ask(tool, args)
        if answer == "no":
            return f"you declined to run {tool.qualified}"
        if answer == "always":
            self.grant(tool)
            try:
                await asyncio.to_thread(self.remember, tool)
            except (ConfigError, OSError) as error:
                log.warning("could not save the permission for %s: %s", tool.qualified, error)
        return None
