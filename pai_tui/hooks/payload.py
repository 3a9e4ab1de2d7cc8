"""What a hook reads: Claude Code's field names for pai's things (its tool names and inputs), and
the session's JSONL transcript (Claude Code's line shape) for hooks that read `transcript_path`.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pai_tui.paths import private_file, private_folder

# pai's built-in agent tools -> Claude Code's names, so that `"matcher": "Bash"` hooks fire.
CLAUDE_TOOLS = {"bash": "Bash", "read": "Read", "write": "Write", "edit": "Edit",
                "glob": "Glob", "grep": "Grep", "list": "LS", "delegate": "Agent"}
AGENT_TOOLS_PREFIX = "agents/"


def tool_name(qualified: str) -> str:
    """The name a hook sees for a pai tool: Claude Code's for the agents' built-in tools
    (`agents/bash` -> `Bash`), else the skill's `skill/tool`."""
    if qualified.startswith(AGENT_TOOLS_PREFIX):
        short = qualified[len(AGENT_TOOLS_PREFIX):]
        return CLAUDE_TOOLS.get(short, short)
    return CLAUDE_TOOLS.get(qualified, qualified)


def agent_tool_input(name: str, arguments: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """A built-in tool's arguments as Claude Code's tool_input (pai's own keys kept too):
    `command` for bash, an absolute `file_path`, `old_string`/`new_string` for edit."""
    given = dict(arguments)
    if name == "bash" and "command" not in given and isinstance(given.get("argv"), list):
        given["command"] = shlex.join(str(part) for part in given["argv"])
    if isinstance(given.get("path"), str) and name in ("read", "write", "edit"):
        given["file_path"] = str((folder / given["path"]).resolve())
    if name == "edit":
        given.setdefault("old_string", given.get("old"))
        given.setdefault("new_string", given.get("new"))
    if name == "delegate":
        given.setdefault("subagent_type", given.get("agent"))
        given.setdefault("prompt", given.get("task"))
    return given


def skill_tool_input(args: list[str], stdin: str | None) -> dict[str, Any]:
    return {"argv": list(args), "stdin": stdin}


def step_tool_input(name: str, detail: str) -> dict[str, Any]:
    """A tool's input as its step row kept it (a line): for PostToolUse."""
    if name == "Bash":
        return {"command": detail}
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"arguments": detail}


class Transcripts:
    """$PAI_HOME/transcripts/<session>.jsonl: the conversation as Claude Code writes it (one
    JSON object a line: `type`, `message`), 0600, appended as turns go."""

    def __init__(self, folder: Path, redact: Mapping[str, str]):
        self.folder = folder
        self._redact = redact
        self._lock = threading.Lock()

    @staticmethod
    def path_in(folder: Path, session_id: int | str) -> Path:
        return folder / f"{session_id}.jsonl"

    def path(self, session_id: int | str) -> Path:
        return self.path_in(self.folder, session_id)

    def append(self, session_id: int | str, role: str, text: str, cwd: str) -> None:
        content: Any = text if role == "user" else [{"type": "text", "text": text}]
        line = json.dumps({"type": role, "sessionId": str(session_id), "cwd": cwd,
                           "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "message": {"role": role, "content": content}},
                          ensure_ascii=False)
        for value, replacement in self._redact.items():
            line = line.replace(value, replacement)
        path = self.path(session_id)
        with self._lock:
            private_folder(self.folder)
            private_file(path)
            with path.open("a", encoding="utf-8") as stream:
                stream.write(line + "\n")
