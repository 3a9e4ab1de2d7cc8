"""Which hooks are registered: Claude Code's settings shape (event -> matcher groups -> handlers
`{type: "command", command, timeout}`), read from $PAI_HOME/hooks.json, the `hooks` section of
the Claude Code settings files named in `[hooks] settings_files`, and the bundled hooks turned on.

Lenient where real files are (keys the docs do not define, stale tool names, settings files with
much more than hooks): unknown keys and events are warnings naming the file. Strict where a gate
would silently stop guarding: bad JSON or an invalid matcher is an error naming file:line.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pai_tui.config import Config

EVENTS = ("SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure",
          "Stop", "SubagentStart", "SubagentStop", "Notification", "PreCompact", "SessionEnd")
# The events that may stop a turn: called at fixed points of it, and failing closed.
GATES = frozenset({"UserPromptSubmit", "PreToolUse", "Stop"})
# What each event's matcher is tested against (Claude Code's table); None: it always fires.
MATCHED_FIELD: dict[str, str | None] = {
    "PreToolUse": "tool_name", "PostToolUse": "tool_name", "PostToolUseFailure": "tool_name",
    "SessionStart": "source", "SessionEnd": "reason", "Notification": "notification_type",
    "SubagentStart": "agent_type", "SubagentStop": "agent_type", "PreCompact": "trigger",
    "UserPromptSubmit": None, "Stop": None,
}
# Keys real files carry that mean nothing to a runner: not worth a warning.
_QUIET_TOP = {"description", "$schema", "supportingFiles"}
_QUIET_GROUP = {"description", "id"}
_HANDLER_KEYS = {"type", "command", "timeout", "args", "on_error", "statusMessage"}
_EXACT = re.compile(r"^[A-Za-z0-9_\- ,|]*$")
_SCRIPT_SUFFIXES = (".py", ".sh", ".js", ".ts", ".mjs", ".cjs", ".rb", ".pl", ".bash")

OnError = Literal["block", "allow"]


class HookConfigError(Exception):
    """A hooks file pai cannot use; `str()` names the file (and line) and what is wrong."""


@dataclass(frozen=True)
class Matcher:
    """A matcher group's `matcher`: everything (`*`, empty, absent), exact names (`Edit|Write`),
    or an unanchored regular expression (`mcp__.*`)."""

    raw: str | None

    def __post_init__(self) -> None:
        if not self._everything() and not _EXACT.match(self.raw or ""):
            re.compile(self.raw or "")  # raises re.error: the loader reports it

    def _everything(self) -> bool:
        return self.raw is None or self.raw.strip() in ("", "*")

    def matches(self, value: str | None) -> bool:
        if self._everything():
            return True
        if value is None:
            return False
        raw = self.raw or ""
        if _EXACT.match(raw):
            return value in {part.strip() for part in re.split(r"[|,]", raw) if part.strip()}
        return re.search(raw, value) is not None


@dataclass(frozen=True)
class Hook:
    """One command handler, where it was registered."""

    event: str
    matcher: Matcher
    command: str
    args: tuple[str, ...] | None  # exec form (no shell) when given
    timeout: float | None  # seconds; None: `[hooks] timeout`
    source: Path  # the file it came from (for a bundled hook: its script)
    on_error: OnError = "block"

    @property
    def name(self) -> str:
        return hook_name(self.command)

    @property
    def gate(self) -> bool:
        return self.event in GATES

    @property
    def plugin_root(self) -> Path | None:
        """A Claude Code plugin's folder when the hook comes from its `hooks/hooks.json`
        (`${CLAUDE_PLUGIN_ROOT}` in its commands)."""
        if self.source.name == "hooks.json" and self.source.parent.name == "hooks":
            return self.source.parent.parent
        return None

    def argv(self) -> list[str]:
        """What runs: the command through `sh -c` (Claude Code's shell form), or the program
        with `args` verbatim (exec form)."""
        if self.args is not None:
            return [self.command, *self.args]
        return ["/bin/sh", "-c", self.command]


@dataclass
class Registry:
    """Every registered hook, and what was odd about the files they came from."""

    hooks: list[Hook] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # the files read
    warnings: list[str] = field(default_factory=list)
    error: str | None = None  # a file could not be used: gates fail closed with this

    def matching(self, event: str, value: str | None) -> list[Hook]:
        return [hook for hook in self.hooks
                if hook.event == event and hook.matcher.matches(value)]

    def has(self, event: str) -> bool:
        return any(hook.event == event for hook in self.hooks)


def hooks_file(config: Config) -> Path:
    return config.home.root / "hooks.json"


def load_registry(config: Config) -> Registry:
    """The hooks of `config`: a file that cannot be used is `Registry.error` (the others still
    load, so `pai hooks list` shows them)."""
    registry = Registry()
    sources: list[tuple[Path, bool]] = [(hooks_file(config), False)]
    sources += [(config.home.expand(raw), True) for raw in config.hooks.settings_files]
    seen: set[tuple[str, str, str | None, tuple[str, ...] | None]] = set()
    for path, is_settings in sources:
        if not path.exists():
            if is_settings:
                registry.warnings.append(f"{path}: not found (named in [hooks] settings_files)")
            continue
        try:
            found = read_hooks_file(path, is_settings, registry.warnings)
        except HookConfigError as error:
            registry.error = registry.error or str(error)
            registry.warnings.append(str(error))
            continue
        registry.files.append(path)
        for hook in found:
            key = (hook.event, hook.command, hook.matcher.raw, hook.args)
            if key not in seen:  # the same handler in several files runs once
                seen.add(key)
                registry.hooks.append(hook)
    try:
        registry.hooks += bundled_hooks(config.hooks.bundled)
    except HookConfigError as error:
        registry.error = registry.error or str(error)
        registry.warnings.append(str(error))
    on_error = config.hooks.on_error
    registry.hooks = [_relaxed(hook, on_error.get(hook.name)) for hook in registry.hooks]
    return registry


def bundled_hooks(names: list[str]) -> list[Hook]:
    """The bundled hooks turned on; one unknown or missing is an error (a guard the user asked
    for must not silently be absent)."""
    from pai_tui.hooks.bundled import BUNDLED

    hooks = []
    for name in names:
        known = BUNDLED.get(name)
        if known is None:
            raise HookConfigError(f"[hooks] bundled: no bundled hook {name!r} (known: "
                                  f"{', '.join(BUNDLED)})")
        if not known.path.is_file():
            raise HookConfigError(f"[hooks] bundled: {name}: its script {known.path} is not "
                                  "installed")
        hooks.append(Hook(known.event, Matcher(known.matcher), known.command, None, None,
                          known.path))
    return hooks


def _relaxed(hook: Hook, setting: OnError | None) -> Hook:
    from dataclasses import replace

    return replace(hook, on_error=setting) if setting is not None else hook


def read_hooks_file(path: Path, is_settings: bool, warnings: list[str]) -> list[Hook]:
    """The hooks of one file: a hooks.json (`{"hooks": {...}}`, or the events at its top) or a
    Claude Code settings file (its `hooks` section; the rest is not pai's business)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HookConfigError(f"{path}: cannot read: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise HookConfigError(f"{path}:{error.lineno}:{error.colno}: not valid JSON: "
                              f"{error.msg}") from error
    if not isinstance(data, dict):
        raise HookConfigError(f"{path}: expected a JSON object at the top")
    if "hooks" in data:
        events = data["hooks"]
        if not is_settings:
            for key in sorted(set(data) - {"hooks"} - _QUIET_TOP):
                warnings.append(f"{path}: unknown key {key!r} ignored")
    elif is_settings:
        return []
    else:
        events = data
    if not isinstance(events, dict):
        raise HookConfigError(f"{path}:{_line(text, 'hooks')}: 'hooks' must be an object of "
                              "events")
    hooks: list[Hook] = []
    for event, groups in events.items():
        if event in _QUIET_TOP:
            continue
        where = f"{path}:{_line(text, event)}"
        if event not in EVENTS:
            warnings.append(f"{where}: event {event!r} is not one pai fires (ignored; pai's: "
                            f"{', '.join(EVENTS)})")
            continue
        if not isinstance(groups, list):
            raise HookConfigError(f"{where}: {event} must be a list of matcher groups")
        for group in groups:
            hooks += _group(event, group, path, where, warnings)
    return hooks


def _group(event: str, group: Any, path: Path, where: str, warnings: list[str]) -> list[Hook]:
    if not isinstance(group, dict):
        raise HookConfigError(f"{where}: each {event} entry must be an object with 'hooks'")
    for key in sorted(set(group) - {"matcher", "hooks"} - _QUIET_GROUP):
        warnings.append(f"{where}: {event}: unknown key {key!r} ignored")
    raw = group.get("matcher")
    if raw is not None and not isinstance(raw, str):
        raise HookConfigError(f"{where}: {event}: matcher must be a string, got {raw!r}")
    try:
        matcher = Matcher(raw)
    except re.error as error:
        raise HookConfigError(f"{where}: {event}: matcher {raw!r} is not a valid regular "
                              f"expression: {error}") from error
    if raw not in (None, "", "*") and MATCHED_FIELD.get(event) is None:
        warnings.append(f"{where}: {event} has no matcher (it always fires): {raw!r} ignored")
        matcher = Matcher(None)
    handlers = group.get("hooks", [])
    if not isinstance(handlers, list):
        raise HookConfigError(f"{where}: {event}: 'hooks' must be a list of handlers")
    hooks = []
    for handler in handlers:
        hook = _handler(event, matcher, handler, path, where, warnings)
        if hook is not None:
            hooks.append(hook)
    return hooks


def _handler(event: str, matcher: Matcher, handler: Any, path: Path, where: str,
             warnings: list[str]) -> Hook | None:
    if not isinstance(handler, dict):
        raise HookConfigError(f"{where}: {event}: a handler must be an object, got {handler!r}")
    kind = handler.get("type", "command")
    if kind != "command":
        warnings.append(f"{where}: {event}: a {kind!r} handler is skipped (pai runs only "
                        "'command' hooks)")
        return None
    command = handler.get("command")
    if not isinstance(command, str) or not command.strip():
        raise HookConfigError(f"{where}: {event}: a command handler needs a 'command' string")
    for key in sorted(set(handler) - _HANDLER_KEYS):
        note = " (pai waits for every hook)" if key in ("async", "asyncRewake") else ""
        warnings.append(f"{where}: {event}: {hook_name(command)}: unknown key {key!r} "
                        f"ignored{note}")
    timeout = handler.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                or timeout <= 0):
        raise HookConfigError(f"{where}: {event}: {hook_name(command)}: timeout must be a "
                              f"number of seconds above 0, got {timeout!r}")
    args = handler.get("args")
    if args is not None and not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        raise HookConfigError(f"{where}: {event}: {hook_name(command)}: args must be a list of "
                              "strings")
    on_error = handler.get("on_error", "block")
    if on_error not in ("block", "allow"):
        raise HookConfigError(f"{where}: {event}: {hook_name(command)}: on_error must be "
                              f"\"block\" or \"allow\", got {on_error!r}")
    return Hook(event, matcher, command, tuple(args) if args is not None else None,
                float(timeout) if timeout is not None else None, path, on_error)


def _line(text: str, key: str) -> int:
    """The line where `"key"` first appears (1 if nowhere): for messages only."""
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


# --- what a command runs ---------------------------------------------------------------------

def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def script_word(command: str) -> tuple[str | None, str]:
    """(the interpreter, the script) a command line runs: `python3 x.py` -> ("python3",
    "x.py"); `./x.sh` -> (None, "./x.sh")."""
    words = [w for w in _words(command) if "=" not in w.split("/")[0]]  # skip `VAR=x cmd`
    if not words:
        return None, command
    for index, word in enumerate(words):
        if index and ("/" in word or word.endswith(_SCRIPT_SUFFIXES)):
            return words[0], word
    return None, words[0]


def hook_name(command: str) -> str:
    """A hook's short name (what `[hooks.on_error]` and the timeline call it): its script's
    file name."""
    _, script = script_word(command)
    return os.path.basename(script.rstrip("/")) or script


def command_problem(hook: Hook, cwd: Path | None = None) -> str | None:
    """Why `hook`'s command cannot run as written, or None: its program or script is missing
    or not executable (the registered-but-missing class of bug)."""
    env = {**os.environ, "CLAUDE_PROJECT_DIR": str(cwd or Path.cwd())}
    if hook.plugin_root is not None:
        env["CLAUDE_PLUGIN_ROOT"] = str(hook.plugin_root)
    if hook.args is not None:
        interpreter, script = None, hook.command
    else:
        interpreter, script = script_word(hook.command)
    script = _expand(script, env)
    base = cwd or Path.cwd()
    if interpreter is not None:
        if shutil.which(_expand(interpreter, env)) is None:
            return f"{interpreter}: not found on PATH"
        path = Path(script) if os.path.isabs(script) else base / script
        return None if path.is_file() else f"{script}: no such file"
    if "/" not in script:
        builtin = script in {"echo", "true", "false", "exit", "cat", "test", "[", "printf"}
        return None if builtin or shutil.which(script) else f"{script}: not found on PATH"
    path = Path(script) if os.path.isabs(script) else base / script
    if not path.is_file():
        return f"{script}: no such file"
    if not os.access(path, os.X_OK):
        return f"{script}: not executable (chmod +x it, or run it through its interpreter)"
    return None


_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")


def _expand(word: str, env: dict[str, str]) -> str:
    """`$VAR`, `${VAR}` and `~` expanded as the shell would (unset: empty)."""
    return os.path.expanduser(_VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), ""),
                                            word))
