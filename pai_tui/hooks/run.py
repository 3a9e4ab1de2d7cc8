"""One hook run, and what its answer means, by Claude Code's contract: JSON on stdin; exit 0
goes on (plain stdout is added context for UserPromptSubmit and SessionStart), exit 2 blocks
(stderr is the reason), JSON on stdout decides (`decision`, `reason`, `continue`, `stopReason`,
`systemMessage`, `hookSpecificOutput.permissionDecision` / `additionalContext`).

Where pai parts from Claude Code: for a gate (UserPromptSubmit, PreToolUse, Stop) a hook that
could not start, timed out, died, exited with another code or printed invalid JSON *blocks*
(fail closed), unless its `on_error` is "allow"; then it is a non-blocking error, shown.

The hook runs through pai_tui/process.py (own process group, killed with its children on
timeout, capped output) with an environment without the user's keys, and no key in its input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pai_tui import process
from pai_tui.config import Config
from pai_tui.hooks.registry import Hook
from pai_tui.llm.keys import KEY_VARIABLES

Outcome = Literal["ok", "block", "error"]
Permission = Literal["allow", "deny", "ask"]
ADDS_CONTEXT = frozenset({"UserPromptSubmit", "SessionStart"})  # plain stdout on exit 0
HEAD_CHARS = 300  # of stderr, in a span and a message
_DECISIONS = {"block": "deny", "deny": "deny", "approve": "allow", "allow": "allow",
              "ask": "ask"}  # top-level `decision` (old PreToolUse form; PAI's "ask")


@dataclass(frozen=True)
class Answer:
    """What one hook said. `block`: the action stops (`reason` says why); `error`: the hook
    failed without blocking (`reason` says how; shown to the user)."""

    hook: Hook
    outcome: Outcome
    reason: str = ""
    context: str = ""  # added to the model's context
    permission: Permission | None = None  # PreToolUse's decision, if it made one
    message: str = ""  # `systemMessage`: shown to the user
    failed: bool = False  # the hook itself broke (timed out, crashed, spoke nonsense)
    run: process.ProcessRun | None = None


def head(text: str, chars: int = HEAD_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= chars else text[:chars] + "…"


# --- running ---------------------------------------------------------------------------------

def key_variables(config: Config) -> list[str]:
    """The variables that hold the providers' keys."""
    names = list(KEY_VARIABLES)
    for provider in config.providers.values():
        names += [provider.key_env] if isinstance(provider.key_env, str) else provider.key_env
    return names


def hook_environment(config: Config, cwd: Path) -> dict[str, str]:
    """pai's environment without secrets (as a tool's), plus what Claude Code gives hooks."""
    env = process.scrubbed_environment(os.environ, hide=key_variables(config))
    env["CLAUDE_PROJECT_DIR"] = str(cwd)
    env["PAI_HOME"] = str(config.home.root)
    env["PAI_PYTHON"] = sys.executable  # pai's own hooks run its modules with it
    return env


def secrets_of(config: Config) -> dict[str, str]:
    """Known key values -> what replaces them in a hook's input and output."""
    from pai_tui.skills.tools import secret_values

    return secret_values(os.environ, key_variables=key_variables(config))


def encode_payload(payload: Mapping[str, Any], redact: Mapping[str, str]) -> bytes:
    """The hook's stdin: the payload as JSON, with no key in it (a model may have put one in a
    tool's input)."""
    text = json.dumps(payload, ensure_ascii=False)
    for value, replacement in redact.items():
        text = text.replace(value, replacement)
    return text.encode()


async def run_hook(hook: Hook, payload: Mapping[str, Any], config: Config,
                   cwd: Path) -> process.ProcessRun:
    """Run `hook` on `payload`, waiting at most its timeout (then it and its children are
    killed)."""
    redact = secrets_of(config)
    return await process.run(hook.argv(), timeout=hook.timeout or config.hooks.timeout,
                             output_cap=config.hooks.output_cap,
                             env=_with_plugin_root(hook_environment(config, cwd), hook),
                             stdin=encode_payload(payload, redact), cwd=cwd, redact=redact)


def _with_plugin_root(env: dict[str, str], hook: Hook) -> dict[str, str]:
    if hook.plugin_root is not None:
        env["CLAUDE_PLUGIN_ROOT"] = str(hook.plugin_root)
    return env


# --- reading the answer ----------------------------------------------------------------------

class _Nonsense(Exception):
    """JSON output outside the contract."""


def interpret(hook: Hook, run: process.ProcessRun, event: str) -> Answer:
    """What `run` of `hook` on `event` answered."""
    stdout = run.stdout.strip()
    problem = _broke(run)
    if problem is None and run.exit_code == 2:
        reason = run.stderr.strip()
        try:
            data = _json(stdout)
            decided = _from_json(hook, data, event, run) if data is not None else None
            if decided is not None and decided.outcome == "block" and decided.reason:
                reason = decided.reason
        except _Nonsense:
            pass
        return Answer(hook, "block", reason or f"{hook.name} exited 2 (no reason given)",
                      run=run)
    if problem is None:
        try:
            data = _json(stdout)
            if data is not None:
                return _from_json(hook, data, event, run)
        except _Nonsense as nonsense:
            problem = str(nonsense)
    if problem is None and run.exit_code != 0:
        stderr = head(run.stderr)
        problem = f"failed: {run.status()}" + (f": {stderr}" if stderr else "")
    if problem is not None:
        return _failure(hook, problem, event, run)
    context = stdout if event in ADDS_CONTEXT else ""
    return Answer(hook, "ok", context=context, run=run)


def _broke(run: process.ProcessRun) -> str | None:
    if run.error:
        return f"could not start: {run.error}"
    if run.timed_out:
        return f"timed out after {run.timeout:g} s (killed with its child processes)"
    if run.exit_code is not None and run.exit_code < 0:
        return run.status()
    return None


def _failure(hook: Hook, problem: str, event: str, run: process.ProcessRun) -> Answer:
    from pai_tui.hooks.registry import GATES

    if event in GATES and hook.on_error == "block":
        return Answer(hook, "block", f"hook {hook.name} {problem}; a {event} hook that fails "
                      f"blocks (set on_error = \"allow\" for it to let this through)",
                      failed=True, run=run)
    relaxed = " (on_error = \"allow\": going on)" if event in GATES else ""
    return Answer(hook, "error", f"hook {hook.name} {problem}{relaxed}", failed=True, run=run)


def _json(stdout: str) -> dict[str, Any] | None:
    """stdout as Claude Code reads it: an object if it starts with `{`, else plain text."""
    if not stdout.startswith("{"):
        return None
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError as error:
        raise _Nonsense(f"printed invalid JSON ({error.msg} at line {error.lineno}): "
                        f"{head(stdout, 120)!r}") from error
    if not isinstance(data, dict):  # (cannot happen after `{`, but said)
        raise _Nonsense("printed JSON that is not an object")
    return data


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Nonsense(f"printed {key!r} that is not a string: {value!r}")
    return value


def _from_json(hook: Hook, data: dict[str, Any], event: str,
               run: process.ProcessRun) -> Answer:
    specific = data.get("hookSpecificOutput") or {}
    if not isinstance(specific, dict):
        raise _Nonsense("printed 'hookSpecificOutput' that is not an object")
    go_on = data.get("continue", True)
    if not isinstance(go_on, bool):
        raise _Nonsense(f"printed 'continue' that is not true or false: {go_on!r}")
    decision = data.get("decision")
    if decision is not None and decision not in _DECISIONS:
        raise _Nonsense(f"printed an unknown decision {decision!r}")
    permission = specific.get("permissionDecision")
    if permission not in (None, "allow", "deny", "ask", "defer"):
        raise _Nonsense(f"printed an unknown permissionDecision {permission!r}")
    reason = (_text(specific, "permissionDecisionReason") or _text(data, "reason")
              or _text(data, "message") or run.stderr.strip())
    context = _text(specific, "additionalContext") or _text(data, "additionalContext")
    message = _text(data, "systemMessage")
    if not go_on:
        why = _text(data, "stopReason") or reason or f"{hook.name} asked to stop"
        return Answer(hook, "block", why, context, message=message, run=run)
    if event == "PreToolUse":
        chosen = permission if permission in ("allow", "deny", "ask") else \
            _DECISIONS.get(decision) if decision else None
        if chosen == "deny":
            return Answer(hook, "block", reason or f"denied by {hook.name}", context, "deny",
                          message, run=run)
        return Answer(hook, "ok", reason if chosen == "ask" else "", context,
                      chosen, message, run=run)  # type: ignore[arg-type]
    if decision == "block":
        return Answer(hook, "block", reason or f"blocked by {hook.name}", context,
                      message=message, run=run)
    return Answer(hook, "ok", "", context, message=message, run=run)
