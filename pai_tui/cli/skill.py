"""`pai skill ...`: list the skills pai found and validate skill files.

Imports only click at module level: `pai`'s startup pays nothing for it. Text from skill files is
printed literally (control characters made visible), never as markup.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import (
    bytes_writer,
    print_findings,
    print_listing,
    report_checks,
    say_json,
    warn,
)

if TYPE_CHECKING:
    from pai_tui.cockpit import Cockpit

NAME_WIDTH = 32  # names wider than this push their description along


@click.group("skill")
def skill() -> None:
    """Skills: folders with a SKILL.md (and Fabric patterns) that pai can run."""


@skill.command("list")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON array of {name, description, path, kind, root}.")
@click.option("--warnings", "show_warnings", is_flag=True,
              help="Print what went wrong while loading, one 'path:line: message' per line.")
@click.pass_context
def list_skills(ctx: click.Context, as_json: bool, show_warnings: bool) -> None:
    """List the skills pai found, in name order.

    Roots, first wins: $PAI_HOME/skills, [skills] roots in config.toml, the bundled skills,
    then [skills] fabric folders of Fabric patterns.
    """
    from pai_tui.skills.index import load_index

    index = load_index(config_for(ctx))
    if show_warnings:
        print_findings(index.findings(), as_json)
        return
    if as_json:
        say_json([{"name": s.name, "description": s.description, "path": str(s.path),
                   "kind": s.kind, "root": str(s.root)} for s in index])
        return
    skills = list(index)
    print_listing([(s.name, ("[fabric] " if s.kind == "fabric" else "") + s.description,
                     str(s.path)) for s in skills], NAME_WIDTH)
    problems = len(index.warnings) + len(index.rejected)
    fabric = sum(1 for s in skills if s.kind == "fabric")
    summary = f"{len(skills)} skills ({fabric} Fabric patterns)"
    if problems:
        summary += (f"; {len(index.rejected)} not loaded, {len(index.warnings)} warnings: "
                    f"pai skill list --warnings")
    warn(summary)


@skill.command("validate")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True,
              help="Only the spec's fields; what the loader forgives is an error.")
@click.option("--claude", is_flag=True,
              help="Also the Claude API's rules: no 'anthropic' or 'claude' in names, no "
                   "angle brackets.")
@click.pass_context
def validate_command(ctx: click.Context, path: Path | None, strict: bool, claude: bool) -> None:
    """Check skills against the Agent Skills rules; print 'path:line: severity: message'.

    PATH is a SKILL.md or a folder searched for skills (default: every skill root). Each tool
    in a skill's tools/ must answer --help. Exits 1 when there is an error, else 0.
    """
    from pai_tui.skills.validate import check

    if path is not None:
        targets = [path]
    else:
        from pai_tui.skills.index import skill_roots

        targets = [root for root in skill_roots(config_for(ctx)) if root.is_dir()]
    findings, skills = [], 0
    for target in targets:
        found, count = check(target, strict=strict, claude=claude, required=path is not None)
        findings.extend(found)
        skills += count
    ctx.exit(report_checks(findings, skills, "skill"))


@skill.command("run")
@click.argument("name", required=False)
@click.argument("args", nargs=-1)
@click.option("--tool", help="Run this tool of the skill directly (no model): stdin, stdout, "
                             "stderr and the exit code are the tool's.")
@click.option("--yes", is_flag=True,
              help="Let the model run the skill's tools whose policy is 'ask'.")
@click.option("--provider", help="Provider name (default: as for chat).")
@click.option("--model", help="Model name (default: the provider's).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object (text, status, usage, cost) at the end.")
@click.pass_context
def run_skill(ctx: click.Context, name: str | None, args: tuple[str, ...], tool: str | None,
              yes: bool, provider: str | None, model: str | None, as_json: bool) -> None:
    """Run skill NAME headless: its workflow through the model, on stdin (and ARGS).

    With --tool, run one of its tools: pai skill run summarize --tool wordcount -- --json

    Composes like any Unix tool:
    pai skill run first-principles < idea.md | pai skill run red-team

    Exit codes: as `pai ask` (0 complete, 2 usage, 3 provider error, 4 incomplete);
    with --tool, the tool's own (124 timed out, 126 could not start).
    """
    import asyncio

    from pai_tui.cli.ask import EXIT_INCOMPLETE, EXIT_USAGE, AskOptions, UsageError, ask
    from pai_tui.cockpit import Cockpit

    config = config_for(ctx)
    if not name:
        raise click.UsageError("name the skill to run: pai skill run NAME (pai skill list "
                               "lists them)")
    cockpit = Cockpit(config)
    try:
        if tool is not None:
            ctx.exit(_run_tool(cockpit, name, tool, list(args)))
        try:
            from pai_tui.cli.ask import compose_prompt

            text = compose_prompt(" ".join(args), sys.stdin)
            options = AskOptions(text, provider, model, as_json=as_json, skill=name, yes=yes)
            code = asyncio.run(ask(cockpit, options))
        except UsageError as error:
            warn(f"pai skill run: {error}")
            code = EXIT_USAGE
        except KeyboardInterrupt:
            warn("pai: cancelled; the partial answer is saved, marked cancelled.")
            code = EXIT_INCOMPLETE
        ctx.exit(code)
    finally:
        cockpit.close()


def _run_tool(cockpit: Cockpit, name: str, tool_name: str, args: list[str]) -> int:
    """A skill's tool run straight from the command line: the user asked for it by name, so
    only a 'deny' policy stops it. Output passes through as it comes."""
    import asyncio

    from pai_tui.skills.index import load_index
    from pai_tui.skills.tools import find_tool, run_skill_tool, tools_of

    index = load_index(cockpit.config)  # no router: a tool is named, nothing is routed
    found = index.get(name)
    if found is None:
        warn(f"pai skill run: no skill named {name!r} (pai skill list lists them)")
        return 2
    tool = find_tool(found, tool_name)
    if tool is None:
        names = ", ".join(t.name for t in tools_of(found)) or "none"
        warn(f"pai skill run: {found.name} has no tool {tool_name!r} (its tools: {names})")
        return 2
    rule = cockpit.skills.permissions.rule(tool)
    if rule.action == "deny":
        warn(f"pai skill run: {tool.qualified} is denied by {rule.source}")
        return 2
    stdin = None if sys.stdin.isatty() else sys.stdin.buffer.read()
    try:  # stdout passes unchanged to a pipe; on a terminal, and on stderr, it shows literally
        run = asyncio.run(run_skill_tool(cockpit.config, tool, args, stdin=stdin,
                                         on_stdout=bytes_writer(sys.stdout.buffer),
                                         on_stderr=bytes_writer(sys.stderr.buffer, always=True)))
    except KeyboardInterrupt:  # the tool and its children were killed on the way out
        warn(f"pai: {tool.qualified}: stopped (ctrl-c)")
        return 130
    if not run.ok:
        warn(f"pai: {tool.qualified}: {run.status()}")
    return run.exit_status


