"""`pai agent ...`: the named agents pai found, one agent's definition, and validation of agent
files.

Imports only click at module level: `pai`'s startup pays nothing for it. Text from agent files is
printed literally (control characters made visible), never as markup.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import listing, plural, say, say_json, warn

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
        findings = catalog.findings()
        if as_json:
            say_json([{"path": str(f.path), "line": f.line, "severity": f.severity,
                       "message": f.message} for f in findings])
        else:
            for finding in findings:
                say(finding)
        return
    if as_json:
        say_json([as_record(a) for a in catalog])
        return
    agents = list(catalog)
    width = min(NAME_WIDTH, max((len(a.name) for a in agents), default=0))
    columns = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 0
    for a in agents:
        for line in listing(a.name, a.description, str(a.path), width, columns):
            say(line)
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
    for finding in findings:
        where = f"{finding.path}:{finding.line}" if finding.line else str(finding.path)
        say(f"{where}: {finding.severity}: {finding.message}")
    errors = sum(1 for f in findings if f.severity == "error")
    warn(f"{plural(files, 'agent file')} checked: {plural(errors, 'error')}, "
         f"{plural(len(findings) - errors, 'warning')}")
    ctx.exit(1 if errors else 0)
