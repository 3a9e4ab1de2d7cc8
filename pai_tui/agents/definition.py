"""An agent definition: a Markdown file whose YAML frontmatter says who the agent is and whose
body is its system prompt, read leniently the way Claude Code, PAI and pai write them.

Everything a file gets wrong that can be read anyway is a warning naming the file and line (and
an error under `pai agent validate --strict`); a file that cannot be an agent is rejected with
the reason. Nothing is dropped silently: a tool pai does not have is named in a warning.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pai_tui.agents.names import (
    CLAUDE_COLORS,
    CSS_COLORS,
    MODEL_ALIASES,
    pai_tool,
    why_unavailable,
)
from pai_tui.skills.frontmatter import (
    Frontmatter,
    FrontmatterError,
    decode,
    normalize,
    parse_frontmatter,
)
from pai_tui.skills.model import Finding, skill_key

MAX_AGENT_BYTES = 1_000_000
# Fields pai reads: Claude Code's documented ones, PAI's and pai's own. Others load with a
# warning under --strict only (agent collections add their own: emoji, vibe, category...).
KNOWN_FIELDS = frozenset({
    "name", "description", "tools", "disallowedTools", "allowedTools", "model", "color",
    "maxTurns", "isolation", "permissions", "permissionMode", "skills", "mcpServers", "hooks",
    "memory", "background", "effort", "initialPrompt", "persona", "voiceId", "voice", "budget",
    "keeps",
})
# pai's `keeps`: what a finished run's result is kept as in the history's notes.
KEEPS = ("learning", "decision", "research", "preference")
BUDGET_FIELDS = {"max_turns": int, "max_output_tokens": int, "max_usd": float,
                 "max_seconds": float}
_CLAUDE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Persona:
    name: str
    title: str = ""
    background: str = ""


@dataclass(frozen=True)
class Budget:
    """Hard limits of one run (None: no limit of that kind)."""

    max_turns: int | None = None
    max_output_tokens: int | None = None
    max_usd: float | None = None
    max_seconds: float | None = None


@dataclass
class AgentDefinition:
    name: str  # as written (`Brand Guardian`); `key` is how it is looked up
    description: str
    prompt: str  # the body: the agent's system prompt
    path: Path
    root: Path
    tools: tuple[str, ...] | None = None  # pai's tool names; None: every tool (no `tools`)
    unavailable_tools: tuple[str, ...] = ()  # named in the file, not in pai
    skills: tuple[str, ...] = ()
    model: str = "inherit"  # an alias, a model id or provider/model, as written
    color: str | None = None
    isolation: str | None = None  # "worktree": the run works in a git worktree of its own
    permissions: dict[str, Any] = field(default_factory=dict)
    persona: Persona | None = None
    voice: Any = None  # pai's voice settings, or PAI's mapping (the voices issue reads it)
    voice_id: str | None = None  # PAI's ElevenLabs voice id (no meaning offline)
    budget: Budget = field(default_factory=Budget)
    keeps: str | None = None  # a finished run's result becomes a note of this kind
    fields: dict[str, Any] = field(default_factory=dict, repr=False)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def key(self) -> str:
        return agent_key(self.name)

    @property
    def title(self) -> str:
        """How the agent is shown: the persona's name and title, else its name."""
        if self.persona is None:
            return self.name
        return f"{self.persona.name}, {self.persona.title}" if self.persona.title \
            else self.persona.name


def agent_key(name: str) -> str:
    """The lookup form of a name: `Brand Guardian`, `brand_guardian` and `brand-guardian` are
    one agent (as for skills)."""
    return skill_key(name)


# --- reading a file ------------------------------------------------------------------------------

def read_outcome(path: Path, root: Path) -> AgentDefinition | Finding:
    """The agent a file defines, or why it is not loaded (an error naming the file and line)."""
    try:
        return read_agent(path, root)
    except FrontmatterError as error:
        return Finding(path, f"not loaded: {error.message}", error.line, "error")


def read_agent(path: Path, root: Path) -> AgentDefinition:
    fm, text = read_file(path)
    reader = _Reader(fm, path)
    agent = AgentDefinition(
        name=reader.name(), description=reader.description(),
        prompt=_body(text, fm.body_line), path=path, root=root, fields=fm.fields)
    agent.tools, agent.unavailable_tools = reader.tools()
    agent.skills = reader.names_list("skills")
    agent.model = reader.model()
    agent.color = reader.color()
    agent.isolation = reader.isolation()
    agent.permissions = reader.mapping("permissions")
    agent.persona = reader.persona()
    agent.voice, agent.voice_id = fm.fields.get("voice"), reader.text("voiceId") or None
    agent.budget = reader.budget()
    agent.keeps = reader.keeps()
    if not agent.prompt.strip():
        reader.warn("the file has no body: the agent has no system prompt", fm.body_line)
    agent.warnings = fm.warnings + reader.warnings
    return agent


def read_file(path: Path) -> tuple[Frontmatter, str]:
    """The frontmatter of an agent file and its whole text (LF line ends), read with a size cap;
    `FrontmatterError` saying why not."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            data = os.read(fd, MAX_AGENT_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as error:
        raise FrontmatterError(f"cannot read the file ({error.strerror})") from None
    if len(data) > MAX_AGENT_BYTES:
        raise FrontmatterError(f"the file is over {MAX_AGENT_BYTES:,} bytes (1 MB); an agent "
                               f"definition is a prompt, not a document")
    text = normalize(decode(data))
    return parse_frontmatter(text, path), text


def _body(text: str, body_line: int) -> str:
    return "\n".join(text.split("\n")[body_line - 1:]).strip("\n")


class _Reader:
    """Reads the fields of one frontmatter, collecting warnings with their lines."""

    def __init__(self, fm: Frontmatter, path: Path):
        self.fm, self.path, self.fields = fm, path, fm.fields
        self.warnings: list[Finding] = []

    def warn(self, message: str, line: int | None = None, key: str | None = None) -> None:
        where = line if line is not None else self.fm.line_of(key) if key else None
        self.warnings.append(Finding(self.path, message, where))

    def text(self, key: str) -> str:
        value = self.fields.get(key)
        if value is None:
            return ""
        if isinstance(value, dict | list):
            self.warn(f"'{key}' should be text, not a {type(value).__name__}: it is ignored",
                      key=key)
            return ""
        return str(value).strip()

    def name(self) -> str:
        name = self.text("name")
        if not name:
            name = self.path.stem
            self.warn(f"no 'name': the agent is called '{name}' after its file (Claude Code "
                      f"would take the file for documentation)", self.fm.start_line)
        elif name.startswith("-") or ":" in name:
            raise FrontmatterError(f"the name '{name}' starts with '-' or holds ':', which "
                                   f"Claude Code refuses", self.fm.line_of("name"))
        elif not _CLAUDE_NAME.match(name):
            self.warn(f"the name '{name}' is not lowercase letters, digits and hyphens "
                      f"(Claude Code's rule); it is found as '{agent_key(name)}'", key="name")
        return name

    def description(self) -> str:
        description = self.text("description")
        if not description:
            self.warn("no 'description': nothing says when to use this agent",
                      self.fm.start_line)
        # Some collections write line breaks as a literal "\n" on one physical line.
        return description.replace("\\n", "\n")

    def names_list(self, key: str) -> tuple[str, ...]:
        """A list written as a YAML list, a comma string or a space-separated string."""
        value = self.fields.get(key)
        if value is None:
            return ()
        if isinstance(value, list):
            items = [str(item) for item in value if item is not None]
        elif isinstance(value, str | int | float):
            items = re.split(r"[,\s]+" if "," not in str(value) else r"\s*,\s*", str(value))
        else:
            self.warn(f"'{key}' should be a list or a comma-separated text: it is ignored",
                      key=key)
            return ()
        return tuple(item.strip() for item in items if item.strip())

    def tools(self) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
        """pai's tools for the agent (None: all of them) and the names pai does not have."""
        key = "tools" if "tools" in self.fields else "allowedTools"
        written = self.names_list(key)
        if key not in self.fields or written == ("*",):
            granted: list[str] | None = None
            unavailable: list[str] = []
        else:
            granted, unavailable = [], []
            for name in written:
                tool = pai_tool(name)
                if tool is None:
                    unavailable.append(name)
                elif tool not in granted:
                    granted.append(tool)
        for name in unavailable:
            self.warn(f"tool '{name}' is {why_unavailable(name)}: the agent runs without it",
                      key=key)
        denied = {pai_tool(name) for name in self.names_list("disallowedTools")}
        if granted is not None and denied:
            granted = [tool for tool in granted if tool not in denied]
        return (tuple(granted) if granted is not None else None), tuple(unavailable)

    def model(self) -> str:
        model = self.text("model") or "inherit"
        if model.lower() in MODEL_ALIASES:
            return model.lower()
        if re.search(r"\s|[()]", model):
            self.warn(f"model '{model}' is not an alias ({', '.join(MODEL_ALIASES)}), a model "
                      f"id or 'provider/model': the agent uses the chat's model", key="model")
            return "inherit"
        return model

    def color(self) -> str | None:
        color = self.text("color")
        if not color or color.lower() in CLAUDE_COLORS:
            return color.lower() or None
        if color.lower() in CSS_COLORS:
            return CSS_COLORS[color.lower()]
        from rich.color import Color, ColorParseError

        try:
            Color.parse(color)
        except ColorParseError:
            self.warn(f"color '{color}' is not a colour pai knows (a name such as "
                      f"{', '.join(CLAUDE_COLORS[:3])}, or #RRGGBB): none is used", key="color")
            return None
        return color

    def keeps(self) -> str | None:
        keeps = self.text("keeps")
        if keeps and keeps not in KEEPS:
            self.warn(f"keeps '{keeps}' is not one of {', '.join(KEEPS)}: its results are not "
                      "kept as notes", key="keeps")
            return None
        return keeps or None

    def isolation(self) -> str | None:
        isolation = self.text("isolation")
        if isolation and isolation != "worktree":
            self.warn(f"isolation '{isolation}' is not 'worktree': the agent works in the "
                      f"current folder", key="isolation")
            return None
        return isolation or None

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.fields.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.warn(f"'{key}' should be a mapping of settings: it is ignored", key=key)
            return {}
        return value

    def persona(self) -> Persona | None:
        persona = self.mapping("persona")
        if not persona:
            return None
        name = persona.get("name") or persona.get("full_name")
        if not isinstance(name, str) or not name.strip():
            self.warn("'persona' has no name: it is ignored", key="persona")
            return None
        return Persona(name.strip(), str(persona.get("title") or "").strip(),
                       str(persona.get("background") or "").strip())

    def budget(self) -> Budget:
        """pai's `budget` mapping; Claude Code's `maxTurns` is its turn limit when the budget
        does not set one."""
        limits: dict[str, Any] = {}
        for key, value in self.mapping("budget").items():
            kind = BUDGET_FIELDS.get(str(key))
            line = self.fm.line_of("budget", str(key))
            if kind is None:
                self.warn(f"budget '{key}' is not one of {', '.join(BUDGET_FIELDS)}: ignored",
                          line)
            elif (number := _positive(value, kind)) is None:
                self.warn(f"budget '{key}' must be a number above 0, not {value!r}: no limit "
                          f"of that kind", line)
            else:
                limits[str(key)] = number
        if "max_turns" not in limits and "maxTurns" in self.fields:
            turns = _positive(self.fields["maxTurns"], int)
            if turns is None:
                self.warn(f"maxTurns must be a whole number above 0, not "
                          f"{self.fields['maxTurns']!r}: no turn limit", key="maxTurns")
            else:
                limits["max_turns"] = turns
        return Budget(**limits)


def _positive(value: Any, kind: type) -> int | float | None:
    """`value` as a positive `kind` (whole numbers for int), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value <= 0 or (kind is int and value != int(value)):
        return None
    return kind(value)
