"""A skill's deterministic tools, and what running one may see: code before prompts.

A tool is a file in one of the skill's tool folders. It runs through `pai_tui.process` (an
argument vector, never a shell, in its own process group: a tool that hangs is killed *with its
children*; a timeout, stdin passed or closed, output capped while reading) with an environment
without the user's keys unless the skill declares it needs one.

The environment rule (`tool_environment`): the tool gets pai's environment minus
  - the built-in provider key variables (ANTHROPIC_API_KEY, OPENAI_API_KEY),
  - every `key_env` variable of the configured providers,
  - every name in pai's secrets file,
  - what `scrub.scrubbed_environment` always hides: PAI_DATABASE_URL and any variable named
    like a credential anywhere in its name (GITHUB_TOKEN, ANTHROPIC_API_KEY_2, PGPASSWORD,
    MYSQL_PWD, GH_PAT, SLACK_WEBHOOK_URL, ...; PWD, OLDPWD and a few more are allowed),
    and the credentials in URLs (DATABASE_URL=postgres://u:pw@host/db arrives as
    postgres://host/db);
except the names the skill declares in `metadata.needs-keys`, which are passed from the
environment, else from the secrets file. PAI_SKILL_DIR, PAI_HOME and PAI_PYTHON are set.

What a tool prints: every key pai knows of (the providers' keys from the environment and the
secrets file, every value in the secrets file, and the value of every variable the rule above
hides or passes by `needs-keys`, from MIN_SECRET characters on) is replaced by
`[redacted NAME]` in its stdout and stderr as they are read (`secret_values`), in
`run_skill_tool`: the one door of every run pai makes (chat steps, direct tool answers, the
skills browser and `pai skill run --tool`, whose streamed output is redacted too), so no key
reaches a step row, the model or the terminal.

Timeouts: `metadata.tool-timeout` is seconds for every tool of the skill ("120"), per tool
("image=180 mermaid=5"), or both ("30 image=180"); else `config.skills.tool_timeout`.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pai_tui.llm.keys import KEY_VARIABLES
from pai_tui.paths import pai_home
from pai_tui.process import (
    KILL_GRACE,
    OutputCallback,
    ProcessRun,
    run,
    run_blocking,
    start_problem,
)
from pai_tui.scrub import is_secret_name, scrubbed_environment
from pai_tui.skills.model import Skill, skill_key

if TYPE_CHECKING:
    from pai_tui.config import Config

HELP_TIMEOUT = 5.0  # seconds for `TOOL --help`
HELP_CAP = 16 * 1024  # bytes of --help output kept
HELP_GRACE = 0.5  # seconds between SIGTERM and SIGKILL for a --help that hangs
MIN_SECRET = 8  # shorter values are not redacted from output (they would mangle ordinary text)

# Files in a tools folder that are data or documentation, not tools (unless executable).
NOT_TOOLS = frozenset({".md", ".txt", ".rst", ".json", ".yaml", ".yml", ".toml", ".lock",
                       ".cfg", ".ini", ".csv", ".pyc"})

ToolRun = ProcessRun  # what a tool run did


@dataclass(frozen=True)
class Tool:
    """One tool of one skill, with what the runner needs from the skill's metadata."""

    skill: str  # the skill's name
    name: str  # the file name without its suffix
    path: Path
    folder: Path  # the skill's folder (PAI_SKILL_DIR)
    safe: bool = False  # listed in the skill's `metadata.safe-tools`
    needs_keys: tuple[str, ...] = ()  # variables the skill declares in `metadata.needs-keys`
    timeout: float | None = None  # from `metadata.tool-timeout`; None: the configured default
    why_safe: str = ""  # what makes it safe when not the skill's list (a built-in read-only)

    @property
    def qualified(self) -> str:
        """`skill/tool`, as permissions in config.toml name it."""
        return f"{skill_key(self.skill)}/{self.name}"

    @property
    def command(self) -> list[str] | None:
        """How to run it: `.py` with pai's own interpreter (whatever its mode), an executable
        directly; None for any other file."""
        if self.path.suffix.lower() == ".py":
            return [sys.executable, str(self.path.absolute())]
        if os.access(self.path, os.X_OK):
            return [str(self.path.absolute())]
        return None

    @property
    def runnable(self) -> bool:
        return self.command is not None

    @property
    def problem(self) -> str | None:
        """Why it cannot run, or None."""
        if self.runnable:
            return None
        return (f"{self.path} cannot run: it is neither executable nor a .py file "
                f"(make it executable with `chmod +x {self.path}` and start it with a #! line)")


def _is_tool_file(path: Path) -> bool:
    if path.name.startswith("_"):  # helper modules such as _common.py or __init__.py
        return False
    return path.suffix.lower() not in NOT_TOOLS or os.access(path, os.X_OK)


def parse_tool_timeouts(text: str) -> tuple[float | None, dict[str, float], list[str]]:
    """`metadata.tool-timeout` read: (seconds for every tool, seconds per tool key, problems).

    Problems name the bad word, for the validator; bad words are otherwise ignored."""
    default: float | None = None
    per_tool: dict[str, float] = {}
    problems: list[str] = []
    for word in re.split(r"[\s,]+", text.strip()):
        if not word:
            continue
        name, _, raw = word.rpartition("=")
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0) or (name == "" and "=" in word):
            problems.append(f"tool-timeout: {word!r} is not seconds (write \"120\" for every "
                            "tool, or \"name=seconds\" pairs)")
        elif name:
            per_tool[skill_key(name)] = seconds
        else:
            default = seconds
    return default, per_tool, problems


def tools_of(skill: Skill) -> list[Tool]:
    """The skill's tools, read from disk now (progressive disclosure). Two files with one name
    (`x.py`, `x.sh`): the first in folder order (tools/, Tools/, scripts/), then name order."""
    if skill.kind != "skill":
        return []
    default, per_tool, _ = parse_tool_timeouts(skill.metadata.get("tool-timeout", ""))
    safe = {skill_key(name) for name in skill.safe_tools}
    found: dict[str, Tool] = {}
    for path in skill.tool_files():
        if not _is_tool_file(path):
            continue
        key = skill_key(path.stem)
        if key in found:
            continue
        found[key] = Tool(
            skill=skill.name, name=path.stem, path=path, folder=skill.folder,
            safe=key in safe or skill_key(path.name) in safe, needs_keys=skill.needs_keys,
            timeout=per_tool.get(key, default))
    return list(found.values())


def find_tool(skill: Skill, name: str) -> Tool | None:
    """The tool called `name`, with or without its suffix, in any case and `_`/`-` spelling."""
    wanted = skill_key(name)
    for tool in tools_of(skill):
        if wanted in (skill_key(tool.name), skill_key(tool.path.name)):
            return tool
    return None


def tool_environment(tool: Tool, *, home: Path | None = None,
                     base: Mapping[str, str] | None = None,
                     allowed_keys: Iterable[str] | None = None,
                     key_variables: Iterable[str] = (),
                     secrets: Mapping[str, str] | None = None,
                     unbuffered: bool = False) -> dict[str, str]:
    """The tool's environment: `base` (default os.environ) without keys, except those allowed
    (default: the skill's `needs-keys`), which come from `base`, else from `secrets`."""
    source = dict(os.environ if base is None else base)
    secrets = secrets or {}
    allowed = set(tool.needs_keys if allowed_keys is None else allowed_keys)
    env = scrubbed_environment(source, hide=_hidden_names(key_variables, secrets),
                               keep=allowed)
    for name in allowed:
        if not env.get(name) and secrets.get(name):
            env[name] = secrets[name]
    env["PAI_SKILL_DIR"] = str(tool.folder)
    env["PAI_HOME"] = str(home if home is not None else pai_home())
    env["PAI_PYTHON"] = sys.executable
    if unbuffered:  # a Python tool's output arrives as it is printed, not when it exits
        env["PYTHONUNBUFFERED"] = "1"
    return env


def _hidden_names(key_variables: Iterable[str], secrets: Mapping[str, str]) -> set[str]:
    """The names hidden from a tool besides those named like a credential."""
    return {*KEY_VARIABLES, *key_variables, *secrets}


def secret_values(base: Mapping[str, str], *, key_variables: Iterable[str] = (),
                  secrets: Mapping[str, str] | None = None,
                  declared: Iterable[str] = ()) -> dict[str, str]:
    """What to take out of a tool's output: each key's value -> `[redacted NAME]`. The keys:
    the provider key variables and the `declared` ones (from `base`, else the secrets file),
    every value of the secrets file, and every variable of `base` named like a credential or
    hidden by name; values shorter than MIN_SECRET are left (too common to replace)."""
    secrets = secrets or {}
    hidden = _hidden_names(key_variables, secrets)
    found: dict[str, str] = {}
    for name in [*KEY_VARIABLES, *key_variables, *declared]:
        found.setdefault((base.get(name) or secrets.get(name) or "").strip(), name)
    for name, value in secrets.items():
        found.setdefault(value.strip(), name)
    for name, value in base.items():
        if name in hidden or is_secret_name(name):
            found.setdefault(value.strip(), name)
    return {value: f"[redacted {name}]" for value, name in found.items()
            if len(value) >= MIN_SECRET}


def _start_problem(tool: Tool, error: OSError, cwd: str | os.PathLike[str] | None) -> str:
    return start_problem(error, cwd, name=tool.name, path=str(tool.path))


async def run_tool(tool: Tool, args: Sequence[str] = (), *, stdin: bytes | None = None,
                   cwd: str | os.PathLike[str] | None = None, timeout: float | None = None,
                   output_cap: int = 1_000_000, env_base: Mapping[str, str] | None = None,
                   allowed_keys: Iterable[str] | None = None, key_variables: Iterable[str] = (),
                   secrets: Mapping[str, str] | None = None, home: Path | None = None,
                   on_stdout: OutputCallback | None = None,
                   on_stderr: OutputCallback | None = None,
                   grace: float = KILL_GRACE,
                   redact: Mapping[str, str] | None = None) -> ToolRun:
    """Run `tool` with `args` and wait for it (at most `timeout` s, default tool.timeout or 60).

    `on_stdout` / `on_stderr` get every chunk as it arrives, uncapped (for piping and progress),
    with the values in `redact` replaced as in what the returned ToolRun keeps (capped).
    Cancelling the coroutine kills the tool and its children (SIGTERM, then SIGKILL after
    `grace` s) and re-raises."""
    limit = timeout if timeout is not None else (tool.timeout or 60.0)
    command = tool.command
    argv = [*(command or [str(tool.path)]), *(str(a) for a in args)]
    if command is None:
        return ToolRun(argv, None, error=tool.problem, timeout=limit)
    env = tool_environment(tool, home=home, base=env_base, allowed_keys=allowed_keys,
                           key_variables=key_variables, secrets=secrets,
                           unbuffered=on_stdout is not None)
    return await run(
        argv, stdin=stdin, timeout=limit, output_cap=output_cap, env=env, cwd=cwd,
        on_stdout=on_stdout, on_stderr=on_stderr, grace=grace, redact=redact,
        start_error=lambda error: _start_problem(tool, error, cwd))


async def run_skill_tool(config: Config, tool: Tool, args: Sequence[str] = (), *,
                         stdin: bytes | None = None, cwd: str | os.PathLike[str] | None = None,
                         on_stdout: OutputCallback | None = None,
                         on_stderr: OutputCallback | None = None) -> ToolRun:
    """`run_tool` with pai's settings: the timeout (the skill's, else `[skills] tool_timeout`),
    the output cap, PAI_HOME, the providers' key variables to hide and the secrets file; every
    key pai knows of is redacted from the output (callbacks included): every run pai makes of
    a skill's tool comes through here."""
    from pai_tui.llm.keys import Secrets

    variables = [name for provider in config.providers.values()
                 for name in ([provider.key_env] if isinstance(provider.key_env, str)
                              else provider.key_env)]
    secrets = Secrets(config.home.root / "secrets.toml").values()
    return await run_tool(
        tool, args, stdin=stdin, cwd=cwd, timeout=tool.timeout or config.skills.tool_timeout,
        output_cap=config.skills.output_cap, key_variables=variables, secrets=secrets,
        home=config.home.root, on_stdout=on_stdout, on_stderr=on_stderr,
        redact=secret_values(os.environ, key_variables=variables, secrets=secrets,
                             declared=tool.needs_keys))


@dataclass(frozen=True)
class ToolHelp:
    text: str  # what `--help` printed (stdout, else stderr), capped
    problem: str | None = None  # why it does not describe the tool


_HELP_CACHE: dict[tuple[Path, int], ToolHelp] = {}


def tool_help(tool: Tool) -> ToolHelp:
    """`TOOL --help`, run once per file version (path and mtime). Blocking: call it off the UI
    loop (`asyncio.to_thread`)."""
    try:
        stamp = tool.path.stat().st_mtime_ns
    except OSError as error:
        return ToolHelp("", f"cannot read {tool.path}: {error.strerror}")
    key = (tool.path, stamp)
    if key not in _HELP_CACHE:
        _HELP_CACHE[key] = _run_help(tool)
    return _HELP_CACHE[key]


def help_text(tool: Tool) -> str:
    """What the tool says it does, or why it says nothing: shown to the model and in the UI."""
    described = tool_help(tool)
    return described.text if described.problem is None else f"({described.problem})"


def _run_help(tool: Tool) -> ToolHelp:
    """`TOOL --help` through the same runner as a tool run: its own process group, a timeout,
    the output capped while read, what it leaves behind killed, keys redacted."""
    command = tool.command
    if command is None:
        return ToolHelp("", tool.problem)
    run = run_blocking([*command, "--help"], timeout=HELP_TIMEOUT, output_cap=HELP_CAP,
                       env=tool_environment(tool, allowed_keys=()), cwd=tool.folder,
                       grace=HELP_GRACE, redact=secret_values(os.environ),
                       start_error=lambda error: _start_problem(tool, error, None))
    if run.error is not None:
        return ToolHelp("", run.error)
    if run.timed_out:
        return ToolHelp("", f"`{tool.name} --help` did not finish in {HELP_TIMEOUT:g} s")
    text = run.stdout.strip() or run.stderr.strip()
    if not run.ok:
        first = text.splitlines()[0] if text else "no output"
        how = (f"exited {run.exit_code}" if (run.exit_code or 0) >= 0
               else run.status().split(" after ")[0])
        return ToolHelp(text, f"`{tool.name} --help` {how}: {first}")
    if not text:
        return ToolHelp("", f"`{tool.name} --help` printed nothing")
    return ToolHelp(text)
