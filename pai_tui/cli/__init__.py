"""`pai`: the entry point, the configuration its commands share, and the cockpit when no command
is given. The command group is in group.py (click is imported only when a command is given); each
command lives in a module of its own (ask, route, skill, doctor, config, keys), imported only when
that command runs: parse arguments, build a Cockpit, nothing else.

Exit codes: 0 fine, 1 a check failed, 2 usage or configuration error.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from pai_tui.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    import click

    from pai_tui.cockpit import Cockpit

T = TypeVar("T")

EXIT_CONFIG = 2
EXIT_FAILED = 1


def config_for(ctx: click.Context) -> Config:
    """The configuration, loaded on first use: every command calls this before doing anything,
    and `--help` (handled before a command runs) works even when config.toml is broken."""
    root = ctx.find_root()
    if root.obj is None:
        try:
            root.obj = load_config()
        except ConfigError as error:
            explain_config_error(error)
            ctx.exit(EXIT_CONFIG)
    return root.obj


def explain_config_error(error: ConfigError) -> None:
    from pai_tui.cli.output import warn  # not at startup (tests/e2e/test_imports.py)

    warn(f"pai: configuration error: {error}")
    warn("pai: fix the file (it was not changed) and run pai again.")


def run_cockpit(config: Config) -> int:
    """Open the cockpit; returns the exit code (2: PAI_HOME unusable, or not in a terminal)."""
    from pai_tui.cockpit import Cockpit
    from pai_tui.ui.app import PaiApp

    try:
        config.home.ensure()
    except OSError as error:
        from pai_tui.cli.output import warn  # not at startup (tests/e2e/test_imports.py)

        warn(f"pai: cannot use PAI_HOME {config.home.root}: {error.strerror} "
             f"({error.filename}). Set PAI_HOME to a folder you own.")
        return EXIT_CONFIG
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        from pai_tui.cli.output import warn

        warn("pai: the cockpit is a full-screen app and needs a terminal (stdin or stdout is "
             "not one here). From a script or a pipe, ask with: pai ask \"your question\"")
        return EXIT_CONFIG
    cockpit = Cockpit(config)
    try:
        app = PaiApp(cockpit)
        app.run()
    finally:
        cockpit.close()
    return app.return_code or 0


def in_cockpit(config: Config, work: Callable[[Cockpit], Coroutine[Any, Any, T]]) -> T:
    """`work` done with a cockpit of its own, on an event loop of its own; the cockpit closed
    after, whatever happened (its store, its timeline)."""
    import asyncio

    from pai_tui import events
    from pai_tui.cli.output import warn
    from pai_tui.cockpit import Cockpit

    cockpit = Cockpit(config)
    # A large history's migration takes minutes: each step is said as it starts.
    cockpit.bus.subscribe(events.StoreMigrating,
                          lambda event: warn(f"pai: history: {event.step}…"))
    try:
        return asyncio.run(work(cockpit))
    finally:
        cockpit.close()


def main() -> None:
    # Start-up makes some 60,000 objects that live as long as the process, and the collector
    # scanned them again and again before the cockpit's first frame (~15 ms, for some 3,600
    # objects of garbage). It resumes when a command runs, and in the cockpit after its first
    # frame (ui/app.py freezes what start-up made, then enables it).
    gc.disable()
    if len(sys.argv) == 1:  # bare `pai`: the cockpit, without importing click (~8 ms)
        try:
            config = load_config()
        except ConfigError as error:
            explain_config_error(error)
            sys.exit(EXIT_CONFIG)
        sys.exit(run_cockpit(config))
    from pai_tui.cli.group import cli

    try:
        cli(prog_name="pai")
    except Exception as error:
        from pai_tui.history.migrations import SchemaError

        if not isinstance(error, SchemaError):
            raise
        _say_schema_error(error)
        sys.exit(EXIT_FAILED)


def _say_schema_error(error: Exception) -> None:
    """A database this pai may not write (a newer pai migrated it), or a failed migration, as
    a message rather than a traceback (without the database's password)."""
    from pai_tui.history.urls import redact

    url = load_config().database_url
    print(f"pai: {redact(str(error), url) if url else error}", file=sys.stderr)

