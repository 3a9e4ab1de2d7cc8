"""`pai agent ...`: the named agents pai found, one agent's definition, and validation of agent
files.

Imports only click at module level: `pai`'s startup pays nothing for it. Text from agent files is
printed literally (control characters made visible), never as markup.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import (
    plural,
    print_findings,
    print_listing,
    report_checks,
    say,
    say_json,
    warn,
)

if TYPE_CHECKING:
    from pai_tui.agents.definition import AgentDefinition

NAME_WIDTH = 28  # names wider than this push their description along


@click.group("agent")
def agent() -> None:
    """Named agents: Markdown files (Claude Code's and PAI's format) that pai can run."""


@agent.command("list")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON array of {name, description, path, model, tools, ...}.")
@click.option("--warnings", "show_warnings", is_flag=True,
              help="Print what went wrong while loading, one 'path:line: message' per line.")
@click.pass_context
def list_agents(ctx: click.Context, as_json: bool, show_warnings: bool) -> None:
    """List the agents pai found, in name order.

    Roots, first wins: $PAI_HOME/agents, [agents] roots in config.toml, the bundled agents.
    """
    from pai_tui.agents.catalog import load_catalog

    catalog = load_catalog(config_for(ctx))
    if show_warnings:
        print_findings(catalog.findings(), as_json)
        return
    if as_json:
        say_json([as_record(a) for a in catalog])
        return
    agents = list(catalog)
    print_listing([(a.name, a.description, str(a.path)) for a in agents], NAME_WIDTH)
    summary = plural(len(agents), "agent")
    if catalog.warnings or catalog.rejected:
        summary += (f"; {len(catalog.rejected)} not loaded, {len(catalog.warnings)} warnings: "
                    f"pai agent list --warnings")
    warn(summary)


def as_record(agent: AgentDefinition) -> dict[str, Any]:
    """An agent as `pai agent list --json` prints it (name, description, path, model and tools
    are a contract; tools is null when the agent may use every tool)."""
    persona = agent.persona
    return {
        "name": agent.name, "description": agent.description, "path": str(agent.path),
        "model": agent.model, "tools": list(agent.tools) if agent.tools is not None else None,
        "unavailable_tools": list(agent.unavailable_tools), "skills": list(agent.skills),
        "color": agent.color, "isolation": agent.isolation,
        "persona": None if persona is None else {"name": persona.name, "title": persona.title},
        "budget": {k: v for k, v in vars(agent.budget).items() if v is not None},
        "root": str(agent.root),
    }


@agent.command("show")
@click.argument("name", required=False)
@click.pass_context
def show(ctx: click.Context, name: str | None) -> None:
    """Show one agent: who it is, its model, tools, budget, and its system prompt."""
    from pai_tui.agents.catalog import load_catalog

    catalog = load_catalog(config_for(ctx))  # a broken config.toml is said first
    if name is None:
        raise click.UsageError("say which agent: pai agent show NAME (pai agent list)")
    found = catalog.get(name)
    if found is None:
        warn(f"pai: no agent called '{name}' (pai agent list shows them)")
        ctx.exit(2)
    for line in describe(found):
        say(line)


def describe(agent: AgentDefinition) -> list[str]:
    budget = ", ".join(f"{k} {v}" for k, v in vars(agent.budget).items() if v is not None)
    tools = "every tool" if agent.tools is None else ", ".join(agent.tools) or "none"
    lines = [agent.title if agent.persona is None else f"{agent.name}: {agent.title}",
             f"  description  {' '.join(agent.description.split())}",
             f"  model        {agent.model}",
             f"  tools        {tools}"]
    if agent.unavailable_tools:
        lines.append(f"  unavailable  {', '.join(agent.unavailable_tools)}")
    if agent.skills:
        lines.append(f"  skills       {', '.join(agent.skills)}")
    if isinstance(agent.voice, dict) and agent.voice.get("id"):
        settings = ", ".join(f"{k} {v}" for k, v in agent.voice.items() if k != "id")
        lines.append(f"  voice        {agent.voice['id']}" + (f" ({settings})" if settings else ""))
    elif agent.voice is not None or agent.voice_id:
        lines.append("  voice        ElevenLabs settings (no offline meaning: a voice is derived)")
    if agent.isolation:
        lines.append(f"  isolation    {agent.isolation} (works in a git worktree of its own)")
    lines += [f"  budget       {budget or 'none'}", f"  file         {agent.path}", "",
              *agent.prompt.split("\n")]
    return lines


@agent.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True,
              help="What the loader forgives, and fields pai does not read, are errors.")
@click.pass_context
def validate_command(ctx: click.Context, path: Path | None, strict: bool) -> None:
    """Check agent files; print 'path:line: severity: message'.

    PATH is an agent file or a folder searched for them (default: every agent root). Exits 1
    when there is an error, else 0.
    """
    from pai_tui.agents.validate import check

    if path is not None:
        targets = [path]
    else:
        from pai_tui.agents.catalog import agent_roots

        targets = [root for root in agent_roots(config_for(ctx)) if root.is_dir()]
    findings, files = [], 0
    for target in targets:
        found, count = check(target, strict=strict, required=path is not None)
        findings.extend(found)
        files += count
    ctx.exit(report_checks(findings, files, "agent file"))


@agent.command("run")
@click.argument("name", required=False)
@click.argument("task", required=False)
@click.option("--with", "others", multiple=True, metavar="NAME",
              help="Another agent given the same task, at the same time (repeatable).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object per run (id, agent, status, text, usage, cost, "
                   "branch), one per line, in the order the agents were named.")
@click.option("--max-usd", type=click.FloatRange(min=0, min_open=True),
              help="Stop a run once it has cost this much (its own budget may be lower).")
@click.option("--max-turns", type=click.IntRange(min=1), help="Model calls per run, at most.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop a run after this long.")
@click.option("--yes", is_flag=True, help="Let tools whose policy is 'ask' run.")
@click.pass_context
def run_command(ctx: click.Context, name: str | None, task: str | None,
                others: tuple[str, ...], as_json: bool, max_usd: float | None,
                max_turns: int | None, timeout: float | None, yes: bool) -> None:
    """Give TASK (and text piped on stdin) to agent NAME, and to each --with agent at once.

    Results print in the order the agents were named, each headed by the agent when there are
    several. Exit codes as pai ask: 0 complete, 2 usage or configuration, 3 provider error,
    4 incomplete, cancelled or over budget.
    """
    from pai_tui.agents.catalog import load_catalog
    from pai_tui.agents.runs import RunRequest
    from pai_tui.cli.ask import EXIT_USAGE, UsageError, compose_prompt

    config = config_for(ctx)
    catalog = load_catalog(config)
    try:
        if name is None:
            raise UsageError("say which agent: pai agent run NAME TASK (pai agent list)")
        agents = [_agent_named(catalog, n) for n in (name, *others)]
        text = compose_prompt(task, sys.stdin)
    except UsageError as error:
        warn(f"pai agent run: {error}")
        ctx.exit(EXIT_USAGE)
    requests = [RunRequest(a, text, max_usd, max_turns, timeout) for a in agents]
    ctx.exit(_run_and_print(config, requests, as_json, yes))


def _agent_named(catalog: Any, name: str) -> AgentDefinition:
    from pai_tui.cli.ask import UsageError

    found = catalog.get(name)
    if found is None:
        raise UsageError(f"no agent called '{name}' (pai agent list shows them)")
    return found  # type: ignore[no-any-return]


VOICE_WAIT_S = 120.0  # seconds a finished command waits for what its agents still say


def _run_and_print(config: Any, requests: list[Any], as_json: bool, yes: bool) -> int:
    import asyncio

    from pai_tui.cli.ask import EXIT_INCOMPLETE, EXIT_USAGE
    from pai_tui.cockpit import Cockpit

    cockpit = Cockpit(config)
    if config.voice.enabled:  # the agents say they start and finish here too
        problem = cockpit.voice.start()
        if problem:
            warn(f"pai: voice unavailable: {problem}")
    try:
        code = asyncio.run(_runs(cockpit, requests, as_json, yes))
        if "voice" in vars(cockpit):
            cockpit.voice.finish(VOICE_WAIT_S)
        return code
    except KeyboardInterrupt:
        warn("pai: cancelled; what the agents wrote is saved, marked cancelled.")
        return EXIT_INCOMPLETE
    except Exception as error:  # a run that could not start (no worktree, no history)
        warn(f"pai agent run: {error}")
        return EXIT_USAGE
    finally:
        cockpit.close()


async def _runs(cockpit: Any, requests: list[Any], as_json: bool, yes: bool) -> int:
    from pai_tui.cli.ask import EXIT_FOR_STATUS, EXIT_INCOMPLETE, EXIT_USAGE, no_model_help
    from pai_tui.llm.providers import OFFLINE

    try:
        supervisor = cockpit.agents
        plans = [supervisor.plan(r) for r in requests]
        if any(choice.provider == OFFLINE for choice, _ in plans):
            warn(no_model_help(cockpit).replace("pai ask:", "pai agent run:"))
            return EXIT_USAGE
        cockpit.approvals.assume_yes = yes
        for request, (choice, notes) in zip(requests, plans, strict=True):
            warn(f"pai: {request.agent.name} starts on {choice.model}")
            for note in notes:
                warn(f"pai: {note}")
        results = await supervisor.run_all(requests)
    finally:
        await cockpit.providers.aclose()
    for result, (_, notes) in zip(results, plans, strict=True):
        _print_result(result, as_json, several=len(results) > 1, said=len(notes))
    codes = [EXIT_FOR_STATUS.get(r.answer.status, EXIT_INCOMPLETE) for r in results]
    return max(codes)


def _print_result(result: Any, as_json: bool, several: bool, said: int = 0) -> None:
    """A finished run on stdout (its notes after the first `said`, told already, on stderr)."""
    from pai_tui.agents.runs import run_record

    record = run_record(result)
    if as_json:
        say_json(record)
        return
    agent, answer = result.request.agent, result.answer
    summary = (f"{agent.name}: {record['status']} · {answer.input_tokens:,} in / "
               f"{answer.output_tokens:,} out · "
               + ("cost unknown" if answer.cost is None else f"${answer.cost:.4f}"))
    if several:
        say(f"── {agent.title} ({agent.name})" if agent.persona else f"── {agent.name}")
    for line in answer.content.split("\n"):
        say(line)
    warn(f"pai: {summary}" + (f": {answer.error}" if answer.error else ""))
    for note in result.notes[said:]:  # what the run learnt (a dirty parent, work committed)
        warn(f"pai: {note}")
    if result.branch:
        warn(f"pai: {agent.name}'s work is on branch {result.branch}, in {result.folder}")


@agent.command("ps")
@click.option("--all", "show_all", is_flag=True, help="Finished runs too, not only running ones.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON array of runs, newest first (id, agent, status, parent_id, "
                   "input_tokens, output_tokens, cost, started_at).")
@click.pass_context
def ps(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List agents' runs: running ones, or with --all every run, newest first."""
    from pai_tui.agents.runs import ps_record

    runs = in_cockpit(config_for(ctx), lambda cockpit: cockpit.history.runs(
        active_only=not show_all))
    records = [ps_record(r) for r in runs]
    if as_json:
        say_json(records)
        return
    for r in records:
        cost = "cost unknown" if r["cost"] is None else f"${r['cost']:.4f}"
        say(f"{r['id']:>6}  {r['agent']:<16} {r['status']:<12} {r['started_at'][:19]}  "
            f"{r['input_tokens']:,} in / {r['output_tokens']:,} out  {cost}")
    warn(plural(len(records), "run") + ("" if show_all else " running (--all: every run)"))


@agent.command("stop")
@click.argument("run_id", type=int, required=False)
@click.option("--all", "stop_all", is_flag=True, help="Every running run.")
@click.option("--wait", "wait", type=float, default=10.0, show_default=True, metavar="SECONDS",
              help="How long to wait for the runs to stop.")
@click.pass_context
def stop(ctx: click.Context, run_id: int | None, stop_all: bool, wait: float) -> None:
    """Stop a running run (and the runs it started), whichever pai runs it; or --all.

    Exit 0 when they stopped; 1 when nothing was running or a run did not stop in time.
    """
    config = config_for(ctx)
    if (run_id is None) == (not stop_all):
        raise click.UsageError("say which run: pai agent stop RUN_ID, or --all")
    ctx.exit(in_cockpit(config, lambda cockpit: _stop(cockpit, run_id, wait)))


async def _stop(cockpit: Any, run_id: int | None, wait: float) -> int:
    import asyncio
    import time

    from pai_tui.agents.status import run_status
    from pai_tui.agents.stops import ask_to_stop, withdraw

    history, home = cockpit.history, cockpit.config.home.root
    if run_id is not None:
        found = await history.run(lambda store: store.get_message(run_id))
        if found is None or found.agent is None:
            warn(f"pai: no run {run_id} (pai agent ps lists the running ones)")
            return 2
        targets = [found]
    else:
        targets = await history.runs(active_only=True)
    running = [run for run in targets if run.status == "streaming"]
    for run in targets:
        if run.status != "streaming":
            warn(f"pai: run {run.id} ({run.agent}) is not running: {run_status(run)}")
    if not running:
        if run_id is None:
            warn("pai: no run is running")
        return 1
    for run in running:
        await asyncio.to_thread(ask_to_stop, home, run.id)
    deadline, left = time.monotonic() + wait, {run.id for run in running}
    while left and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        now = {run.id: run for run in await history.runs(active_only=False)
               if run.id in left}
        for ended in [r for r in now.values() if r.status != "streaming"]:
            say(f"stopped run {ended.id} ({ended.agent}): {run_status(ended)}")
            left.discard(ended.id)
    for late in left:
        await asyncio.to_thread(withdraw, home, late)
        warn(f"pai: run {late} did not stop within {wait:g} s (is the pai running it busy?)")
    return 1 if left else 0


@agent.command("logs")
@click.argument("run_id", type=int, required=False)
@click.option("--follow", "-f", is_flag=True, help="Print what the run writes until it ends.")
@click.pass_context
def logs(ctx: click.Context, run_id: int | None, follow: bool) -> None:
    """Print a run's task, its tool runs and its answer (pai agent ps gives the ids)."""
    config = config_for(ctx)  # a broken config.toml is said first
    if run_id is None:
        raise click.UsageError("say which run: pai agent logs RUN_ID (pai agent ps --all)")
    wanted = run_id
    try:
        code = in_cockpit(config, lambda cockpit: _logs(cockpit, wanted, follow))
    except KeyboardInterrupt:
        code = 0  # stopping to follow stops nothing else
    ctx.exit(code)


FOLLOW_EVERY_S = 0.5  # a run's text is saved about every second while it streams


async def _logs(cockpit: Any, run_id: int, follow: bool) -> int:
    import asyncio

    from pai_tui.agents.status import run_status

    messages = await _run_messages(cockpit, run_id)
    if messages is None:
        warn(f"pai: no run {run_id} (pai agent ps --all lists them)")
        return 2
    answer = next(m for m in messages if m.id == run_id)
    task = next((m for m in messages if m.role == "user" and m.id < run_id), None)
    say(f"run {run_id} · {answer.agent} · {answer.model} · {run_status(answer)}")
    say(f"task: {task.content if task else ''}")
    shown_steps, shown_text = set(), 0
    while True:
        for step in (m for m in messages if m.role == "step" and m.parent_id == run_id):
            if step.id not in shown_steps and step.status != "streaming":
                shown_steps.add(step.id)
                say(f"▸ {step.skill} {step.status}" + (f": {step.error}" if step.error else ""))
        answer = next(m for m in messages if m.id == run_id)
        if len(answer.content) > shown_text:
            say(answer.content[shown_text:].rstrip("\n"))
            shown_text = len(answer.content)
        if not follow or answer.status != "streaming":
            break
        await asyncio.sleep(FOLLOW_EVERY_S)
        messages = await _run_messages(cockpit, run_id) or messages
    cost = "cost unknown" if answer.cost is None else f"${answer.cost:.4f}"
    warn(f"pai: {run_status(answer)} · {answer.input_tokens:,} in / "
         f"{answer.output_tokens:,} out · {cost}" + (f": {answer.error}" if answer.error else ""))
    return 0


async def _run_messages(cockpit: Any, run_id: int) -> list[Any] | None:
    """The messages of the run's session, or None if `run_id` is no agent's run."""
    found = await cockpit.history.run(lambda store: store.get_message(run_id))
    if found is None or found.agent is None:
        return None
    return await cockpit.history.messages(found.session_id)  # type: ignore[no-any-return]


@agent.command("worktrees")
@click.option("--remove", "remove", multiple=True, metavar="BRANCH",
              help="Remove this branch's worktree folder (the branch and its commits stay). "
                   "A worktree with uncommitted changes is never removed.")
@click.pass_context
def worktrees(ctx: click.Context, remove: tuple[str, ...]) -> None:
    """List the worktrees agents left in this repository (their work is on their branches)."""
    import asyncio

    config_for(ctx)
    code = asyncio.run(_worktrees(Path.cwd(), remove))
    ctx.exit(code)


async def _worktrees(folder: Path, remove: tuple[str, ...]) -> int:
    from pai_tui.agents.worktree import git, leftovers

    found = await leftovers(folder)
    by_branch = {branch: path for path, branch in found}
    for branch in remove:
        path = by_branch.get(branch)
        if path is None:
            warn(f"pai: no agent worktree on branch {branch}")
            return 2
        code, said = await git(["worktree", "remove", str(path)], folder)  # never --force
        if code != 0:
            warn(f"pai: {path} is kept: {said}")
            return 1
        warn(f"pai: removed {path}; the branch {branch} keeps its commits")
        del by_branch[branch]
    for branch, path in by_branch.items():
        _, dirty = await git(["status", "--porcelain"], path)
        say(f"{branch}  {path}" + ("  (uncommitted changes)" if dirty else ""))
    warn(plural(len(by_branch), "agent worktree"))
    return 0
