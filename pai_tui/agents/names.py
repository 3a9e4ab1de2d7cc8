"""What other products' agent files call things, in pai's terms: Claude Code's tool names and
model aliases. Kept in one place so that the loader, `pai agent validate` and the runs agree."""

from __future__ import annotations

import re

# pai's built-in tools for agents (issue 10): read-only ones are allowed by default, the rest ask.
BUILTIN_TOOLS = ("read", "list", "glob", "grep", "write", "edit", "bash")
# Handing a task to another agent (Claude Code's `Task` / `Agent`): only for agents that name it.
DELEGATE = "delegate"
READ_ONLY_TOOLS = frozenset({"read", "list", "glob", "grep"})

# Claude Code's (and Kiro's) tool names -> pai's. Matching ignores case.
TOOL_NAMES = {
    "read": "read", "ls": "list", "list": "list", "glob": "glob", "grep": "grep",
    "write": "write", "edit": "edit", "multiedit": "edit", "bash": "bash", "shell": "bash",
    "task": DELEGATE, "agent": DELEGATE, DELEGATE: DELEGATE,
}
# Tools pai does not have (yet): named in the warning so that a user knows what is missing.
KNOWN_ELSEWHERE = frozenset({
    "webfetch", "websearch", "todowrite", "todoread", "notebookedit",
    "notebookread", "exitplanmode", "bashoutput", "killbash", "killshell", "skill",
    "slashcommand", "askuserquestion",
})

# Claude Code's model aliases; "inherit" (the default) is the chat's model.
MODEL_ALIASES = ("sonnet", "opus", "haiku", "fable", "inherit")
# Default model for each alias, by the kind of the chat's provider ([agents.models] overrides).
DEFAULT_MODELS = {
    "anthropic": {"sonnet": "claude-sonnet-4-6", "opus": "claude-opus-4-6",
                  "haiku": "claude-haiku-4-5", "fable": "claude-sonnet-4-6"},
    "openai": {"sonnet": "gpt-5", "opus": "gpt-5", "haiku": "gpt-5-mini", "fable": "gpt-5"},
}

# Claude Code's documented colours; pai also takes any colour Rich knows (`#B45309`) and these
# CSS names that agent collections use and Rich does not know.
CLAUDE_COLORS = ("red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan")
CSS_COLORS = {"teal": "#008080", "gray": "#808080", "grey": "#808080", "amber": "#FFBF00",
              "fuchsia": "#FF00FF", "indigo": "#4B0082", "violet": "#EE82EE",
              "brown": "#A52A2A", "gold": "#FFD700", "lime": "#00FF00"}

_CALL = re.compile(r"^([A-Za-z_][\w-]*)\s*\(.*\)$")  # `Read(*)`, `Bash(git:*)`


def pai_tool(name: str) -> str | None:
    """pai's tool for a tool name as an agent file writes it (`Read`, `Bash(git:*)`, `shell`),
    or None when pai has no such tool (`WebFetch`, `mcp__github__create_issue`)."""
    written = name.strip()
    call = _CALL.match(written)
    if call:
        written = call.group(1)
    return TOOL_NAMES.get(written.lower())


def why_unavailable(name: str) -> str:
    """Why pai cannot give an agent the tool `name`, in a few words."""
    lowered = name.strip().lower()
    if lowered.startswith("mcp__"):
        return "an MCP server's tool (pai does not connect to MCP servers)"
    if lowered in KNOWN_ELSEWHERE:
        return "a Claude Code tool pai has no counterpart for"
    return "not a tool pai knows"
