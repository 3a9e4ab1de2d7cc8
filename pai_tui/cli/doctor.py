"""`pai doctor`: checks that say whether pai can run here, and how to fix what is wrong."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click

from pai_tui.cli.output import warn
from pai_tui.config import Config
from pai_tui.llm.keys import KEY_VARIABLES
from pai_tui.llm.providers import OFFLINE, Providers
from pai_tui.safe_text import printable

Level = Literal["ok", "warn", "fail"]
MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python", "ok", f"{version} ({sys.executable})")
    return Check("Python", "fail", version, "install Python 3.11 or newer")


def _writable(folder: Path) -> bool:
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".pai-doctor-"):
            return True
    except OSError:
        return False


def check_home(config: Config) -> Check:
    root = config.home.root
    if root.is_dir():
        if _writable(root):
            return Check("PAI_HOME", "ok", f"{root} (writable)")
        return Check("PAI_HOME", "fail", f"{root} is not writable",
                     "fix its permissions, or set PAI_HOME to a folder you own")
    parent = next((p for p in root.parents if p.exists()), None)
    if root.exists():
        return Check("PAI_HOME", "fail", f"{root} exists but is not a folder",
                     "move that file away, or set PAI_HOME elsewhere")
    if parent is not None and parent.is_dir() and _writable(parent):
        return Check("PAI_HOME", "ok", f"{root} (created on first start)")
    return Check("PAI_HOME", "fail", f"{root} cannot be created ({parent} is not writable)",
                 "set PAI_HOME to a folder you own")


def check_config(config: Config, problem: str | None = None) -> Check:
    """`problem`: why config.toml could not be loaded (the other checks then use defaults)."""
    path = config.home.config
    if problem:
        return Check("Config", "fail", problem, "fix the file at the line named (pai did not "
                     "change it); every command stops until then")
    if path.exists():
        return Check("Config", "ok", f"{path} (valid)")
    return Check("Config", "ok", f"{path} (absent: defaults are used)")


def _creatable(path: Path) -> bool:
    parent = next((p for p in path.parents if p.exists()), None)
    return parent is not None and parent.is_dir() and _writable(parent)


def check_database(config: Config) -> Check:
    from pai_tui.history.migrations import LATEST, current_version
    from pai_tui.history.store import make_engine
    from pai_tui.history.urls import redact, shown_url, sqlite_path, sqlite_url

    url = config.database_url or sqlite_url(config.home.database)
    fix = ("check PAI_DATABASE_URL (or unset it to use the SQLite file in PAI_HOME)"
           if config.database_url else "check the file and its folder in PAI_HOME")
    shown = shown_url(url)
    try:
        path = sqlite_path(url)
    except Exception:
        return Check("Database", "fail", f"{shown}: not a database URL", fix)
    where = str(path) if path else shown
    if path is not None and not path.exists():  # doctor looks; it creates nothing
        if _creatable(path):
            return Check("Database", "ok", f"{where} (created on first start, schema v{LATEST})")
        return Check("Database", "fail", f"{where} cannot be created", fix)
    if path is not None:
        from pai_tui.history.store import sqlite_health

        problem = sqlite_health(path)
        if problem:
            return Check("Database", "fail", f"{where} {problem}",
                         f"{fix}; copies made before each migration are in "
                         f"{config.home.backups}")
    try:
        engine = make_engine(url, create_folder=False)
        try:
            with engine.connect() as conn:
                version = current_version(conn)
        finally:
            engine.dispose()
    except Exception as error:
        reason = redact(str(error).splitlines()[0], url) if str(error) else type(error).__name__
        return Check("Database", "fail", f"{shown} unreachable: {reason}", fix)
    if version > LATEST:
        return Check("Database", "warn", f"{where}: schema v{version} is newer than this pai "
                     f"(v{LATEST}): it only reads it", "upgrade pai to write to it: "
                     "pip install -U pai-tui")
    if version < LATEST:
        return Check("Database", "ok", f"{where}: schema v{version}, migrates to v{LATEST} on next "
                     "start (backed up first)")
    return Check("Database", "ok", f"{where}: schema v{version} (current)")


def check_synced(config: Config) -> Check:
    """An SQLite file in a synced folder or on a network filesystem (history/synced.py)."""
    from pai_tui.history.synced import database_synced
    from pai_tui.history.urls import sqlite_path, sqlite_url

    url = config.database_url or sqlite_url(config.home.database)
    try:
        path = sqlite_path(url)
    except Exception:
        return Check("Synced folder", "ok", "not an SQLite file")
    if path is None:
        return Check("Synced folder", "ok", "not an SQLite file: a server shares it safely")
    found = database_synced(url)
    if found is None:
        return Check("Synced folder", "ok", f"{path}: not in a synced folder or on a network "
                     "filesystem, as far as can be told")
    return Check("Synced folder", "warn", f"{path} is {found.reason}: SQLite files there get "
                 "corrupted", "to share the history across machines use PostgreSQL: "
                 "PAI_DATABASE_URL=postgresql+psycopg://… (pai db copy --to URL copies it "
                 "once); else move PAI_HOME out of that folder")


def check_keys(providers: Providers) -> Check:
    """Which keys each provider has (masked), from the environment or secrets.toml."""
    found = []
    for name in providers.names():
        keys = providers.keys(name)
        if keys:
            found.append(f"{name}: " + ", ".join(str(key) for key in keys))
    problem = providers.secrets.problem
    if problem:
        return Check("Provider keys", "warn", "; ".join([*found, problem]),
                     f"chmod 600 {providers.secrets.path}, and keep it NAME = \"key\" lines")
    if found:
        return Check("Provider keys", "ok", "; ".join(found))
    return Check("Provider keys", "warn", "none found: pai answers with its offline provider",
                 f"export {' or '.join(KEY_VARIABLES)} (or put it in "
                 f"{providers.secrets.path}, mode 600)")


def check_key_age(config: Config) -> Check:
    """Keys of secrets.toml older than [security] key_max_age_days (`pai secrets rotate`)."""
    from pai_tui.llm.key_store import SecretsFile, SecretsFileError

    limit = config.security.key_max_age_days
    try:
        keys = SecretsFile(config.home.root / "secrets.toml").stored()
    except SecretsFileError as error:
        return Check("Key age", "warn", str(error), "see Provider keys above")
    old = [f"{k.variable} ({k.masked}) added {k.added}, {k.age_days()} days ago"
           for k in keys if (k.age_days() or 0) > limit]
    undated = [f"{k.variable} ({k.masked})" for k in keys if k.added is None]
    if old:
        return Check("Key age", "warn", "; ".join(old) + f": older than {limit} days",
                     "pai secrets rotate PROVIDER (checks the new key, then retires the old)")
    if undated:
        return Check("Key age", "ok", "added before pai recorded dates: " + ", ".join(undated),
                     "pai secrets rotate PROVIDER dates a key")
    return Check("Key age", "ok", f"{len(keys)} key(s) in secrets.toml, none older than "
                 f"{limit} days" if keys else "no key in secrets.toml")


def check_default_model(providers: Providers) -> Check:
    choice = providers.default()
    if choice.provider == OFFLINE:
        return Check("Default model", "warn", "offline: no provider has a key",
                     "set a key (see Provider keys above), or name a provider in [chat] "
                     "provider of config.toml")
    if not providers.usable(choice.provider):
        variables = " or ".join(providers.key_variables(choice.provider))
        return Check("Default model", "warn", f"{choice} has no key", f"set {variables}")
    if not choice.model:
        return Check("Default model", "warn", f"{choice.provider} has no model",
                     f"set model in [providers.{choice.provider}] of config.toml")
    return Check("Default model", "ok", str(choice))


def check_reachable(providers: Providers) -> Check:
    """Whether the default provider's endpoint answers (a list of models: never a prompt)."""
    from pai_tui.llm.reach import probe

    choice = providers.default()
    if choice.provider == OFFLINE:
        return Check("Reachable", "ok", "nothing to reach: answering offline")
    answers, said = probe(providers, choice.provider)
    if answers:
        return Check("Reachable", "ok", f"{choice.provider}: {said}")
    return Check("Reachable", "warn", f"{choice.provider}: {said}",
                 "check the network, base_url in config.toml or the *_BASE_URL variable, "
                 "and the key")


def check_local_models(config: Config) -> Check:
    from pai_tui.llm.ollama import detect, ollama_url

    models = detect()
    if models is None:
        return Check("Local models", "ok", f"no Ollama at {ollama_url()} (optional)")
    listed = ", ".join(models[:5]) + (" …" if len(models) > 5 else "") or "no model pulled"
    detail = f"Ollama answers at {ollama_url()} ({listed})"
    if "ollama" in config.providers:
        return Check("Local models", "ok", f"{detail}; configured as [providers.ollama]")
    return Check("Local models", "warn", f"{detail}; not used yet",
                 "to use it: the palette's \"Use local Ollama\", or [providers.ollama] with "
                 f'kind = "openai-compatible", base_url = "{ollama_url()}/v1"')


def check_voice(config: Config) -> Check:
    """The configured engine, and where its clips go (a player found, or the folder)."""
    from pai_tui.voice.engines import make_engine
    from pai_tui.voice.service import output_for

    settings = config.voice
    output = output_for(settings, config.home.root)
    problems = [p for p in (make_engine(settings).problem(), output) if isinstance(p, str)]
    if problems:
        return Check("Voice engine", "warn", f"{settings.engine}: agents cannot speak",
                     "; ".join(problems))
    state = "on" if settings.enabled else "off until [voice] enabled = true (or alt+v)"
    where = f"clips to {output}" if isinstance(output, Path) else f"plays with {output[0]}"
    return Check("Voice engine", "ok", f"{settings.engine}, {where}; {state}")


def check_themes(config: Config) -> Check:
    from pai_tui.ui.themes import load_themes  # imports Textual: only for this check

    themes, problems = load_themes(config.home.themes)
    wanted = config.ui.theme
    if wanted not in themes:  # the app falls back to the default, with a notice
        problems = [*problems, f"the theme in config.toml [ui] ({wanted!r}) is not among "
                    "the valid ones: pai uses the default"]
    if problems:
        return Check("Themes", "warn", "; ".join(problems), "fix or remove the files named")
    return Check("Themes", "ok", f"{len(themes)} loaded: {', '.join(sorted(themes))}")


def check_skills(config: Config) -> Check:
    from pai_tui.skills.index import load_index
    from pai_tui.skills.router import Router

    index = load_index(config)
    router = Router(index, config)
    fabric = sum(1 for skill in index if skill.kind == "fabric")
    detail = f"{len(index)} loaded ({fabric} Fabric patterns)"
    table_errors = [f for f in router.findings if f.severity == "error"]
    if table_errors:
        return Check("Skills", "warn", f"{detail}; routing table: {table_errors[0]}",
                     "fix the rule named (pai route prints every problem)")
    if index.rejected or index.warnings:
        return Check("Skills", "warn", f"{detail}; {len(index.rejected)} not loaded, "
                     f"{len(index.warnings)} warnings", "see pai skill list --warnings")
    return Check("Skills", "ok", detail)


def check_hooks(config: Config) -> Check:
    from pai_tui.hooks.registry import command_problem, load_registry

    registry = load_registry(config)
    if registry.error:  # every gate fails closed on it
        return Check("Hooks", "fail", registry.error, "fix the file named (pai hooks check)")
    broken = [f"{hook.event} {hook.name}: {problem}" for hook in registry.hooks
              if (problem := command_problem(hook))]
    detail = f"{len(registry.hooks)} registered"
    if broken:
        return Check("Hooks", "warn", f"{detail}; cannot run: {'; '.join(broken)}",
                     "fix the commands named (a gate hook that cannot run blocks)")
    return Check("Hooks", "ok", detail)


def check_log(config: Config) -> Check:
    from pai_tui.observe.logfile import log_path

    path = log_path(config.home)
    if not path.exists():
        return Check("Log", "ok", f"{path} (written once the cockpit runs; nothing logged yet)")
    size = path.stat().st_size
    return Check("Log", "ok", f"{path} ({size:,} bytes): what failed in the background, with "
                 "tracebacks (keys masked)")


def run_checks(config: Config, config_problem: str | None = None) -> list[Check]:
    providers = Providers(config)
    return [
        check_python(),
        check_home(config),
        check_config(config, config_problem),
        check_database(config),
        check_synced(config),
        check_keys(providers),
        check_key_age(config),
        check_default_model(providers),
        check_reachable(providers),
        check_local_models(config),
        check_voice(config),
        check_themes(config),
        check_skills(config),
        check_hooks(config),
        check_log(config),
    ]


def _config_or_problem() -> tuple[Config, str | None]:
    """The configuration, or the defaults and why config.toml could not be read: a broken file
    is a row with its fix here, not an exit (doctor is where people look when pai will not
    start)."""
    from pai_tui.config import ConfigError, load_config
    from pai_tui.paths import HomePaths, pai_home

    try:
        return load_config(), None
    except ConfigError as error:
        fallback = Config(home=HomePaths(pai_home()),
                          database_url=os.environ.get("PAI_DATABASE_URL") or None)
        return fallback, str(error)


@click.command("doctor")
@click.pass_context
def doctor(ctx: click.Context) -> None:
    """Check that pai can run here, and say how to fix what is wrong.

    Exits 0 when pai can run (missing keys or voice engine are warnings), 1 when it cannot,
    2 when config.toml is broken (the table still shows every row, that one with its fix).
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    config, problem = _config_or_problem()
    checks = run_checks(config, problem)
    table = Table(title="pai doctor", title_justify="left", expand=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Detail", overflow="fold")  # long paths wrap, never cut
    table.add_column("Fix", overflow="fold")
    styles = {"ok": "green", "warn": "yellow", "fail": "bold red"}
    for check in checks:  # details quote outside text (model names, error messages): literal
        table.add_row(check.name, Text(check.level.upper(), styles[check.level]),
                      Text(printable(check.detail)), Text(printable(check.fix)))
    Console(soft_wrap=False).print(table)
    if problem:  # like every command: a broken config.toml is exit 2, said on stderr
        warn(f"pai: configuration error: {problem}")
        warn("pai: fix the file (it was not changed) and run pai again.")
        ctx.exit(2)
    failed = [c.name for c in checks if c.level == "fail"]
    if failed:
        warn(f"pai cannot run: fix {', '.join(failed)}.")
        ctx.exit(1)
