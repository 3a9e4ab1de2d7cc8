"""Whether a skill's tool may run: allow, ask or deny.

The policy of a tool, first match wins:
  0. "always" answered in this session,
  1. `[skills.permissions] "skill/tool"` in config.toml,
  2. `[skills.permissions] "skill/*"`,
  3. allow, if the skill lists the tool in `metadata.safe-tools`,
  4. ask.
Names match in any case and `_`/`-` spelling. Rules that name one tool in different spellings
(`"tt/envdump" = "allow"` and `"TT/EnvDump" = "deny"`) conflict: the most restrictive applies
(deny over ask over allow, whatever their order), and the conflict is named wherever the rule is
shown (the refusal, `pai skill run --tool`) and logged once (`conflicts` lists them all).
"Always" answered in the app grants the tool for this session at once and is written to
config.toml (comments kept) so that it lasts.
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


# How restrictive each policy is: of conflicting rules, the highest applies. Anything else (not
# a policy config.py lets through) counts as deny: fail closed.
STRICTNESS = {"allow": 0, "ask": 1}
DENY_STRICTNESS = 2


def _strictness(action: str) -> int:
    return STRICTNESS.get(action, DENY_STRICTNESS)


def _rules_by_key(permissions: Mapping[str, str]) -> dict[str, list[tuple[str, str]]]:
    """The config's rules grouped by the tool (or `skill/*`) they name, spelling folded."""
    table: dict[str, list[tuple[str, str]]] = {}
    for raw, action in permissions.items():
        skill, _, name = raw.partition("/")
        table.setdefault(_key(skill, name or "*"), []).append((raw, action))
    return table


def _spelled(rules: list[tuple[str, str]]) -> str:
    return " and ".join(f'"{raw}" = "{action}"' for raw, action in rules)


def _strictest(rules: list[tuple[str, str]]) -> Rule:
    raw, action = max(rules, key=lambda rule: _strictness(rule[1]))
    source = f'config.toml [skills.permissions] "{raw}" = "{action}"'
    if len({a for _, a in rules}) > 1:
        source += (f" (conflicting rules for one tool: {_spelled(rules)}; the most restrictive "
                   "applies)")
    return Rule(action if action in ("allow", "ask") else "deny", source)  # type: ignore[arg-type]


def conflicts(permissions: Mapping[str, str]) -> list[str]:
    """One line per tool (or `skill/*`) named by rules that disagree, with what applies."""
    found = []
    for rules in _rules_by_key(permissions).values():
        if len({action for _, action in rules}) > 1:
            found.append(f"config.toml [skills.permissions]: {_spelled(rules)} name one tool; "
                         f'the most restrictive ("{_strictest(rules).action}") applies')
    return found


def resolve(tool: Tool, permissions: Mapping[str, str],
            granted: frozenset[str] | set[str] = frozenset()) -> Rule:
    """The tool's policy from config (`permissions`), session grants and the skill's safe list."""
    if _key(tool.skill, tool.name) in granted:  # asked and answered "always" in this session
        return Rule("allow", "allowed always in this session")
    table = _rules_by_key(permissions)
    for wanted in (_key(tool.skill, tool.name), _key(tool.skill, "*")):
        if wanted in table:
            return _strictest(table[wanted])
    if tool.safe:
        return Rule("allow", tool.why_safe or
                    f"the skill {tool.skill} marks it safe (metadata.safe-tools)")
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
        for conflict in conflicts(config.skills.permissions):
            log.warning("%s", conflict)

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
