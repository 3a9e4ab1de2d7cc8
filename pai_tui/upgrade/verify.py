"""Checking an applied proposal by code, not by the model's word: config.toml still parses,
every skill it changed passes what `pai skill validate` checks, routing.toml, sources.toml and
hooks.json still load, and the proposal's own check (an argv run in PAI_HOME) passes if it
names one."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from pai_tui.paths import HomePaths

CHECK_TIMEOUT_S = 120.0
CHECK_OUTPUT_CAP = 64 * 1024


def file_problems(home: Path, changed: Sequence[str]) -> list[str]:
    """What is wrong with PAI_HOME's files after the change (nothing: all good). Blocking."""
    problems = _config(home)
    problems += [p for skill in _skills_changed(home, changed) for p in _skill(skill)]
    if "routing.toml" in changed:
        problems += _routing(home)
    if "sources.toml" in changed:
        problems += _sources(home)
    if "hooks.json" in changed:
        problems += _hooks(home)
    return problems


def _config(home: Path) -> list[str]:
    from pai_tui.config import ConfigError, load_config

    try:
        load_config(HomePaths(home))
    except ConfigError as error:
        return [f"config.toml: {error}"]
    return []


def _skills_changed(home: Path, changed: Sequence[str]) -> list[Path]:
    """The folders of the skills the change touched that still exist (skills/NAME/...)."""
    folders = {Path(*Path(name).parts[:2]) for name in changed
               if Path(name).parts[:1] == ("skills",) and len(Path(name).parts) > 2}
    return sorted(home / folder for folder in folders if (home / folder).is_dir())


def _skill(folder: Path) -> list[str]:
    from pai_tui.skills.validate import check

    findings, _ = check(folder)
    return [f"skill {folder.name}: {finding}" for finding in findings
            if finding.severity == "error"]


def _routing(home: Path) -> list[str]:
    from pai_tui.skills.routing_table import RoutingTable

    table = RoutingTable.read(home / "routing.toml")
    return [f"routing.toml: {finding}" for finding in table.findings
            if finding.severity == "error"]


def _sources(home: Path) -> list[str]:
    from pai_tui.config import ConfigError
    from pai_tui.upgrade.sources import load_sources

    try:
        load_sources(home)
    except (ConfigError, ValueError) as error:
        return [f"sources.toml: {error}"]
    return []


def _hooks(home: Path) -> list[str]:
    from pai_tui.hooks.registry import HookConfigError, read_hooks_file

    path = home / "hooks.json"
    try:
        if path.exists():
            read_hooks_file(path, False, [])
    except HookConfigError as error:
        return [f"hooks.json: {error}"]
    return []


async def run_check(home: Path, argv: Sequence[str]) -> str | None:
    """The proposal's own check, run in PAI_HOME without the user's secrets: why it failed,
    or None."""
    from pai_tui.process import run, scrubbed_environment

    done = await run(list(argv), timeout=CHECK_TIMEOUT_S, output_cap=CHECK_OUTPUT_CAP,
                     env=scrubbed_environment(os.environ), cwd=home, redact={})
    if done.ok:
        return None
    said = (done.stderr or done.stdout).strip()[-500:]
    return f"its check `{' '.join(argv)}` failed ({done.status()})" + (f": {said}" if said else "")


async def problems(home: Path, changed: Sequence[str], check: Sequence[str] | None) -> list[str]:
    """Everything wrong after applying: the files first, then the proposal's own check."""
    found = await asyncio.to_thread(file_problems, home, changed)
    if check:
        failed = await run_check(home, check)
        if failed:
            found.append(failed)
    return found
