"""`pai hooks ...`: what is registered and from where, whether it can run, and a dry run of an
event's hooks on a sample payload.

Imports only click at module level. Hook output is printed literally, never as markup.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import plural, say, say_json, warn

if TYPE_CHECKING:
    from pai_tui.config import Config
    from pai_tui.hooks.registry import Hook, Registry

TOOL_EVENTS = ("PreToolUse", "PostToolUse", "PostToolUseFailure")


@click.group("hooks")
def hooks() -> None:
    """Lifecycle hooks (Claude Code's format): list, check and try them."""


def _registry(config: Config) -> Registry:
    from pai_tui.hooks.registry import load_registry

    return load_registry(config)


def _row(hook: Hook, problem: str | None, last: dict[str, Any] | None) -> dict[str, Any]:
    return {"event": hook.event, "matcher": hook.matcher.raw, "name": hook.name,
            "command": hook.command, "source": str(hook.source), "timeout": hook.timeout,
            "on_error": hook.on_error, "runnable": problem is None, "problem": problem,
            "last_run": last}


@hooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: hooks, bundled, "
                                                      "warnings.")
@click.pass_context
def list_hooks(ctx: click.Context, as_json: bool) -> None:
    """What is registered, from which file, and whether each command exists and is
    executable; then the bundled hooks (on or off)."""
    from pai_tui.hooks.bundled import BUNDLED
    from pai_tui.hooks.registry import command_problem

    config = config_for(ctx)
    registry = _registry(config)
    rows = [_row(hook, command_problem(hook), None) for hook in registry.hooks]
    bundled = [{"name": b.name, "event": b.event, "matcher": b.matcher, "what": b.what,
                "enabled": b.name in config.hooks.bundled, "installed": b.path.is_file(),
                "path": str(b.path)} for b in BUNDLED.values()]
    if as_json:
        say_json({"hooks": rows, "bundled": bundled, "warnings": registry.warnings,
                  "files": [str(path) for path in registry.files]})
        return
    if not rows:
        say(f"No hooks registered (files: {_files(config)}).")
    for row in rows:
        matcher = f" [{row['matcher']}]" if row["matcher"] not in (None, "", "*") else ""
        state = "ok" if row["runnable"] else f"PROBLEM: {row['problem']}"
        relaxed = "  on_error=allow" if row["on_error"] == "allow" else ""
        say(f"{row['event']}{matcher}  {row['name']}  ({state}){relaxed}")
        say(f"    {row['command']}")
        say(f"    from {row['source']}")
    say("")
    say("Bundled hooks (turn on with [hooks] bundled = [\"NAME\"]):")
    for item in bundled:
        state = "on" if item["enabled"] else "off"
        missing = "" if item["installed"] else ", not installed"
        say(f"  {item['name']} ({state}{missing}): {item['event']}: {item['what']}")
    for warning in registry.warnings:
        warn(f"warning: {warning}")


def _files(config: Config) -> str:
    from pai_tui.hooks.registry import hooks_file

    return ", ".join([str(hooks_file(config)), *config.hooks.settings_files])


@hooks.command("check")
@click.pass_context
def check_hooks(ctx: click.Context) -> None:
    """Registered vs on disk vs last run: exit 1 if a hooks file cannot be used, a command is
    missing or not executable, or a hook's last run failed."""
    from pai_tui.hooks.registry import command_problem
    from pai_tui.hooks.service import Hooks

    config = config_for(ctx)
    registry = _registry(config)
    runs = _last_runs(Hooks, config)
    problems = []
    if registry.error:
        problems.append(registry.error)
    for hook in registry.hooks:
        problem = command_problem(hook)
        where = f"{hook.event} {hook.name} (from {hook.source})"
        if problem:
            problems.append(f"{where}: registered but cannot run: {problem}")
            continue
        last = runs.get(hook.command)
        if last is None:
            say(f"ok   {where}: never run yet")
        elif last.get("failed") or last.get("outcome") == "error":
            problems.append(f"{where}: its last run ({_ago(last.get('at'))}, "
                            f"{last.get('event')}) failed: {last.get('status')}: "
                            f"{last.get('stderr') or ''}".rstrip(": "))
        else:
            say(f"ok   {where}: last run {_ago(last.get('at'))}: {last.get('outcome')} "
                f"({last.get('status')})")
    for warning in registry.warnings:
        warn(f"warning: {warning}")
    for problem in problems:
        warn(f"PROBLEM {problem}")
    checked = plural(len(registry.hooks), "hook")
    if problems:
        warn(f"{checked} checked: {plural(len(problems), 'problem')}")
        ctx.exit(1)
    say(f"{checked} checked: no problem")


def _last_runs(hooks_class: Any, config: Config) -> dict[str, Any]:
    from pai_tui import events

    service = hooks_class(config, events.Bus())
    try:
        return service.last_runs()
    finally:
        service.close(0)


def _ago(at: object) -> str:
    if not isinstance(at, int | float):
        return "at an unknown time"
    seconds = max(time.time() - at, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit} ago"
    return f"{seconds:.0f} s ago"


SAMPLES: dict[str, dict[str, Any]] = {
    "SessionStart": {"source": "startup"},
    "UserPromptSubmit": {"prompt": "Write a function that adds two numbers."},
    "PreToolUse": {"tool_input": {"command": "ls -la"}},
    "PostToolUse": {"tool_input": {"command": "ls -la"},
                    "tool_response": {"output": "total 0"}},
    "PostToolUseFailure": {"tool_input": {"command": "false"}, "error": "exit 1"},
    "Stop": {"stop_hook_active": False, "last_assistant_message": "Done."},
    "SubagentStart": {"agent_id": "1", "agent_type": "general-purpose"},
    "SubagentStop": {"agent_id": "1", "agent_type": "general-purpose",
                     "stop_hook_active": False, "last_assistant_message": "Done."},
    "Notification": {"message": "pai needs your permission to use Bash",
                     "title": "Permission needed", "notification_type": "permission_prompt"},
    "PreCompact": {"trigger": "auto", "custom_instructions": ""},
    "SessionEnd": {"reason": "other"},
}


@hooks.command("test")
@click.argument("event", required=False)
@click.option("--tool", help="The tool name for tool events (default: Bash).")
@click.option("--input", "given", metavar="JSON",
              help="JSON merged into the sample payload; for tool events, an object without "
                   "'tool_input' is the tool's input ('{\"command\": \"rm -rf /\"}').")
@click.pass_context
def test_hooks(ctx: click.Context, event: str | None, tool: str | None, given: str | None) -> None:
    """Run the hooks of EVENT that match, on a sample payload, and print their answers.

    Exit codes: 0 nothing blocked, 2 a hook blocked, 1 a hook failed without blocking (or
    usage)."""
    import asyncio

    from pai_tui import events, spans
    from pai_tui.hooks.registry import EVENTS
    from pai_tui.hooks.service import Hooks, Parent

    config = config_for(ctx)  # a broken config.toml is said first, whatever the arguments
    if not event:
        raise click.UsageError(f"name the event: pai hooks test EVENT ({', '.join(EVENTS)})")
    if event not in EVENTS:
        raise click.UsageError(f"unknown event {event!r} (events: {', '.join(EVENTS)})")
    fields = dict(SAMPLES[event])
    if event in TOOL_EVENTS:
        fields["tool_name"] = tool or "Bash"
    if given is not None:
        try:
            extra = json.loads(given)
        except json.JSONDecodeError as error:
            raise click.UsageError(f"--input is not valid JSON: {error}") from error
        if not isinstance(extra, dict):
            raise click.UsageError("--input must be a JSON object")
        if event in TOOL_EVENTS and "tool_input" not in extra:
            extra = {"tool_input": extra}
        fields |= extra
    service = Hooks(config, events.Bus())
    try:
        registry = service.registry()
        if registry.error:
            warn(f"PROBLEM {registry.error}")
        verdict = asyncio.run(service.run_event(event, fields, Parent(None,
                                                                      spans.new_trace_id())))
    finally:
        service.close(0)
    if not verdict.answers:
        say(f"No {event} hook matches.")
    failed = False
    for answer in verdict.answers:
        run = answer.run
        code = "not run" if run is None else run.status()
        say(f"{answer.hook.name}: {answer.outcome} ({code})")
        if answer.reason:
            say(f"    reason: {answer.reason}")
        if answer.permission:
            say(f"    permission: {answer.permission}")
        if answer.context:
            say(f"    context: {answer.context}")
        if answer.message:
            say(f"    message: {answer.message}")
        if run is not None and run.stderr.strip() and answer.outcome == "ok":
            say(f"    stderr: {run.stderr.strip()}")
        failed = failed or answer.outcome == "error"
    if verdict.blocked is not None:
        say(f"=> blocked: {verdict.blocked}")
        ctx.exit(2)
    ctx.exit(1 if failed or registry.error else 0)
