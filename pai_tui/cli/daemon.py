"""`pai daemon`: the upgrade scheduler without the cockpit. In the foreground it runs the jobs
(upgrade/jobs.py) while it holds the scheduler's lease, or says who holds it and waits; it logs
to stderr and to $PAI_HOME/logs/pai.log, and SIGTERM or ctrl+c stops it, giving the lease up.
`--once` runs what is due and exits; `--install-systemd` writes a systemd user unit for it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pai_tui.cli import config_for
from pai_tui.cli.output import plural, say, warn

if TYPE_CHECKING:
    from pai_tui.cockpit import Cockpit
    from pai_tui.config import Config
    from pai_tui.upgrade.scheduler import UpgradeScheduler

EXIT_FAILED, EXIT_USAGE = 1, 2
UNIT = "pai-daemon.service"
log = logging.getLogger("pai_tui.daemon")


@click.command("daemon")
@click.option("--once", is_flag=True, help="Run what is due now and exit (1 if a source or "
              "a job failed).")
@click.option("--install-systemd", "install", is_flag=True,
              help=f"Write the systemd user unit {UNIT} that runs `pai daemon`.")
@click.option("--force", is_flag=True, help="With --install-systemd: replace a different unit.")
@click.pass_context
def daemon(ctx: click.Context, once: bool, install: bool, force: bool) -> None:
    """Run the upgrade scheduler in the foreground: poll the sources that are due, write the
    daily digest.

    One pai per database runs the jobs; this one waits while another holds them. Logs to
    stderr and $PAI_HOME/logs/pai.log; SIGTERM or ctrl+c stops it."""
    config = config_for(ctx)
    if install:
        ctx.exit(install_unit(config, force))
    if force:
        raise click.UsageError("--force goes with --install-systemd")
    try:
        config.home.ensure()
    except OSError as error:
        warn(f"pai: cannot use PAI_HOME {config.home.root}: {error.strerror} "
             f"({error.filename}). Set PAI_HOME to a folder you own.")
        ctx.exit(EXIT_USAGE)
    _check_sources(ctx, config)
    from pai_tui.cockpit import Cockpit

    cockpit = Cockpit(config)
    try:
        _start_logging(cockpit)
        code = asyncio.run(_once(cockpit) if once else _serve(cockpit))
    finally:
        cockpit.close()
    ctx.exit(code)


def _check_sources(ctx: click.Context, config: Config) -> None:
    """A sources.toml pai cannot use is said now, not once an hour in the log."""
    from pai_tui.config import ConfigError
    from pai_tui.upgrade.sources import load_sources

    try:
        _, warnings = load_sources(config.home.root)
    except ConfigError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_USAGE)
    for warning in warnings:
        warn(f"pai: {warning}")


def _start_logging(cockpit: Cockpit) -> None:
    """pai's log records to the log file and to stderr, both redacted (keys masked)."""
    from pai_tui.observe.logfile import RedactingFormatter, redactor, start_log
    from pai_tui.safe_text import printable

    path = start_log(cockpit)
    redact = redactor(cockpit)
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setFormatter(RedactingFormatter(lambda text: printable(redact(text))))
    for name in ("pai_tui", "apscheduler"):  # (start_log set their levels)
        logging.getLogger(name).addHandler(to_stderr)
    log.info("pai daemon %d for %s, logging to %s", os.getpid(), cockpit.config.home.root, path)


class _Narrator:
    """Logs the scheduler's state when it changes in kind (not each new "next run" time)."""

    def __init__(self) -> None:
        self.kind = ""

    def __call__(self, state: str) -> None:
        kind = "on" if state.startswith("on") or state == "running" else state
        if kind == self.kind:
            return
        self.kind = kind
        if state.startswith("held by"):
            log.info("scheduler %s; waiting until it stops or its lease expires", state)
        elif state.startswith("on"):
            log.info("scheduler on: this pai holds the lease and runs the jobs (%s)",
                     state.removeprefix("on · ") or "no job scheduled")
        else:
            log.info("scheduler %s", state)


async def _serve(cockpit: Cockpit) -> int:
    """Run the scheduler until SIGTERM or SIGINT, then give the lease up."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await cockpit.history.store()
    if cockpit.history.read_only:  # a newer pai migrated the history: nothing to run here
        warn(f"pai: {cockpit.history.read_only}")
        await cockpit.aclose()
        return EXIT_FAILED
    feed = cockpit.upgrades
    # Headless, there is no first frame to keep clear: a job new to the database runs at once.
    feed.start_scheduler(_Narrator(), first_run_after=timedelta(0))
    try:
        await stop.wait()
        log.info("stopping: giving the scheduler's lease up")
    finally:
        await feed.stop_scheduler()
        await cockpit.aclose()
    log.info("pai daemon %d stopped", os.getpid())
    return 0


async def _once(cockpit: Cockpit) -> int:
    """Run what is due now under the lease; 1 if a source or a job failed."""
    from pai_tui.upgrade.poll import Polled

    scheduler: UpgradeScheduler = cockpit.upgrades.new_scheduler(first_run_after=timedelta(0))
    try:
        results = await scheduler.run_once()
    finally:
        await cockpit.aclose()
    if results is None:
        warn(f"pai: scheduler {scheduler.state}: it runs the jobs; nothing was run here")
        return 0
    poll = results.get("upgrade-poll")
    polled = [p for p in poll if isinstance(p, Polled)] if isinstance(poll, list) else []
    asked = [p for p in polled if p.outcome != "not due"]
    failed = [p for p in asked if p.outcome == "failed"]
    say(f"{plural(len(asked), 'source')} due of {len(polled)}: "
        f"{plural(sum(p.new for p in asked), 'new item')}"
        + (f", {len(failed)} failed" if failed else ""))
    digest = results.get("upgrade-digest")
    if digest is not None and not isinstance(digest, Exception):
        say(f"digest: {digest}")
    broken = [job for job, result in results.items() if isinstance(result, Exception)]
    for job in broken:
        warn(f"pai: job {job} failed: {results[job]} (the log has the details)")
    return EXIT_FAILED if failed or broken else 0


# systemd


def unit_path() -> Path:
    """Where systemd looks for the user's own units ($XDG_CONFIG_HOME/systemd/user)."""
    config = os.environ.get("XDG_CONFIG_HOME", "").strip()
    base = Path(config) if config and Path(config).is_absolute() else Path.home() / ".config"
    return base / "systemd" / "user" / UNIT


def pai_command() -> list[str]:
    """The `pai` being run, as an absolute command: its script, or this Python with -m."""
    script = Path(sys.argv[0])
    if script.name == "pai":
        return [os.path.abspath(script)]  # a link (~/.local/bin/pai) stays one
    return [sys.executable, "-m", "pai_tui"]


def unit_text(config: Config) -> str:
    words = [*pai_command(), "daemon"]
    return "\n".join([
        "# Written by `pai daemon --install-systemd`: the upgrade scheduler of pai.",
        "[Unit]",
        "Description=pai upgrade scheduler (pai daemon)",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"Environment={_systemd_word('PAI_HOME=' + str(config.home.root))}",
        "# A PAI_DATABASE_URL is not written here (it may hold a password): put it in a file",
        "# of your own (mode 600) named by EnvironmentFile=.",
        "ExecStart=" + " ".join(_systemd_word(word) for word in words),
        "Restart=on-failure",
        "RestartSec=30",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ])


def _systemd_word(word: str) -> str:
    """One word of a systemd command line or assignment: % doubled (specifiers), quoted when
    it holds spaces, quotes or backslashes."""
    word = word.replace("%", "%%")
    if any(c.isspace() or c in "\"'\\;$" for c in word):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


def install_unit(config: Config, force: bool) -> int:
    """Write the unit (0600), unless a different one is there and `force` is not given."""
    from pai_tui.paths import private_folder, write_private

    path, text = unit_path(), unit_text(config)
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as error:
        warn(f"pai: cannot read {path}: {error}")
        return EXIT_FAILED
    if old == text:
        say(f"{path} is already this unit")
    elif old is not None and not force:
        warn(f"pai: {path} exists and is a different unit; it was not changed "
             "(pai daemon --install-systemd --force replaces it)")
        return EXIT_FAILED
    else:
        try:
            private_folder(path.parent)
            write_private(path, text.encode())
        except OSError as error:
            warn(f"pai: cannot write {path}: {error.strerror}")
            return EXIT_FAILED
        start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
        say(f"wrote {path} ({start})")
    say("then: systemctl --user daemon-reload && systemctl --user enable --now pai-daemon")
    return 0
