"""`pai daemon` as a user runs it: real subprocesses on one SQLite database, a loopback feed
server. `--once` polls only the sources that are due; two daemons on one database (one runs the
jobs, the other says who does and takes over once the first is killed and its lease expired);
SIGTERM gives the lease up; `--install-systemd` writes a unit that runs this very `pai`."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pai_tui.config import load_config
from pai_tui.paths import HomePaths, bundled
from pai_tui.upgrade.sources import read_sources
from tests.builders import corpus_dir
from tests.conftest import REPO, run_pai, write_config
from tests.fakes.feed_server import FeedServer, Route

FEEDS = corpus_dir() / "feeds"
ENGINEERING = (FEEDS / "Olshansk__rss-feeds/feeds/feed_anthropic_engineering.xml").read_bytes()
RELEASES = (FEEDS / "feed-rs__feed-rs/feed-rs/fixture/atom/atom_example_6.xml").read_bytes()
BUNDLED = [s.name for s in read_sources(bundled("assets") / "upgrade" / "sources.toml", "b")]


def write_sources(home: HomePaths, server: FeedServer, paths: dict[str, str]) -> None:
    """The user's sources (names to paths on the server), the bundled ones turned off."""
    home.root.mkdir(parents=True, exist_ok=True)
    (home.root / "sources.toml").write_text(
        f"disabled = {json.dumps(BUNDLED)}\n" + "".join(
            f'\n[[source]]\nname = "{name}"\nurl = "{server.url(path)}"\n'
            for name, path in paths.items()))


@pytest.fixture
def feeds(home: HomePaths) -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.routes["/eng.xml"] = Route(ENGINEERING, etag='"1"')
        server.routes["/rel.atom"] = Route(RELEASES, content_type="application/atom+xml")
        server.routes["/new.atom"] = Route(RELEASES, content_type="application/atom+xml")
        write_sources(home, server, {"Eng": "/eng.xml", "Releases": "/rel.atom"})
        yield server


def test_once_polls_the_due_sources_only_and_right_after_nothing(
        home: HomePaths, feeds: FeedServer) -> None:
    first = run_pai("daemon", "--once")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "2 sources due of 2: 29 new items"
    digest = Path(first.stdout.splitlines()[1].removeprefix("digest: "))
    assert digest.parent == home.root / "upgrade" / "digests"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d\.md", digest.name)
    assert "29 new unread items from 2 sources" in digest.read_text()
    assert "upgrade poll: 2 due of 2 sources, 29 new items" in first.stderr
    assert (home.root / "logs" / "pai.log").read_text().count("upgrade poll: 2 due") == 1

    write_sources(home, feeds, {"Eng": "/eng.xml", "Releases": "/rel.atom", "New": "/new.atom"})
    second = run_pai("daemon", "--once")
    assert second.returncode == 0, second.stderr
    assert second.stdout == "1 source due of 3: 4 new items\n"  # the new one; no digest again
    third = run_pai("daemon", "--once")
    assert third.stdout == "0 sources due of 3: 0 new items\n"
    assert [len(feeds.requests_to(p)) for p in ("/eng.xml", "/rel.atom", "/new.atom")] == [1, 1, 1]
    assert list(digest.parent.iterdir()) == [digest]  # the digest is daily, not each --once


def test_once_exits_1_when_a_source_failed(home: HomePaths, feeds: FeedServer) -> None:
    feeds.routes["/rel.atom"] = Route(status=500)
    result = run_pai("daemon", "--once")
    assert result.returncode == 1
    assert result.stdout.startswith("2 sources due of 2: 25 new items, 1 failed\n")
    assert "Releases failed: HTTP 500 Internal Server Error" in result.stderr


def test_once_says_a_job_that_failed_and_runs_the_others(
        home: HomePaths, feeds: FeedServer) -> None:
    (home.root / "upgrade").write_text("not a folder")  # where the digests would go
    result = run_pai("daemon", "--once")
    assert result.returncode == 1
    assert result.stdout == "2 sources due of 2: 29 new items\n"
    assert "pai: job upgrade-digest failed: " in result.stderr
    assert "upgrade scheduler: job upgrade-digest failed" in (
        home.root / "logs" / "pai.log").read_text()


class Daemon:
    """`pai daemon` in a subprocess, its stderr read as it comes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pai_tui", "daemon"], cwd=REPO, text=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
        self.lines: list[str] = []
        self._new = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._new:
                self.lines.append(line)
                self._new.notify_all()

    def said(self, text: str, timeout: float = 15) -> str:
        """The first line saying `text`, waited for."""
        deadline = time.monotonic() + timeout
        with self._new:
            while True:
                found = [line for line in self.lines if text in line]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                assert left > 0, f"never said {text!r}:\n" + "".join(self.lines)
                self._new.wait(left)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def lease_expired(home: HomePaths) -> bool:
    from pai_tui.cockpit import Cockpit
    from pai_tui.history.models import utcnow
    from pai_tui.upgrade.scheduler import LEASE

    cockpit = Cockpit(load_config(home))
    try:
        import asyncio

        lease = asyncio.run(cockpit.history.run(lambda store: store.lease(LEASE)))
        return lease is not None and lease.expires_at <= utcnow()
    finally:
        cockpit.close()


def test_a_second_daemon_waits_and_takes_over_when_the_first_is_killed(
        home: HomePaths, feeds: FeedServer) -> None:
    write_config(home, "[upgrade]\nlease_seconds = 1.5\ncheck_seconds = 1\n")
    first = Daemon()
    second: Daemon | None = None
    try:
        first.said("scheduler on: this pai holds the lease")
        first.said("upgrade poll: 2 due of 2 sources, 29 new items")  # at once, headless
        second = Daemon()
        waiting = second.said("scheduler held by ")
        assert f":{first.process.pid} since " in waiting and "next run " in waiting
        assert "waiting until it stops or its lease expires" in waiting
        first.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        second.said("scheduler on: this pai holds the lease", timeout=10)
        assert time.monotonic() - killed < 6  # its 1.5 s lease, and a look every 0.5 s
        # It runs the jobs now: a source added meanwhile is polled at the next check.
        write_sources(home, feeds, {"Eng": "/eng.xml", "Releases": "/rel.atom",
                                    "New": "/new.atom"})
        second.said("upgrade poll: 1 due of 3 sources, 4 new items")
        assert len(feeds.requests_to("/eng.xml")) == 1  # not due: asked once in all

        second.process.send_signal(signal.SIGTERM)
        assert second.process.wait(timeout=10) == 0
        second.said("stopping: giving the scheduler's lease up")
        assert lease_expired(home)  # the next pai need not wait for it
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_sigint_stops_the_daemon_and_frees_the_lease_at_once(
        home: HomePaths, feeds: FeedServer) -> None:
    write_config(home, "[upgrade]\nlease_seconds = 30\n")
    daemon = Daemon()
    try:
        daemon.said("scheduler on: this pai holds the lease")
        daemon.process.send_signal(signal.SIGINT)
        assert daemon.process.wait(timeout=10) == 0
        assert lease_expired(home)  # not 30 s from now
        again = run_pai("daemon", "--once")
        assert again.returncode == 0 and "held by" not in again.stderr
    finally:
        daemon.stop()


def test_install_systemd_writes_a_unit_running_this_pai_and_keeps_a_different_one(
        home: HomePaths, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    unit = tmp_path / "xdg" / "systemd" / "user" / "pai-daemon.service"
    result = run_pai("daemon", "--install-systemd", env=env)
    assert result.returncode == 0, result.stderr
    assert f"wrote {unit}" in result.stdout
    assert result.stdout.endswith("then: systemctl --user daemon-reload && "
                                  "systemctl --user enable --now pai-daemon\n")
    text = unit.read_text()
    assert f"\nExecStart={sys.executable} -m pai_tui daemon\n" in text
    assert f"\nEnvironment=PAI_HOME={home.root}\n" in text and "[Install]" in text
    assert stat.S_IMODE(unit.stat().st_mode) == 0o600

    assert "is already this unit" in run_pai("daemon", "--install-systemd", env=env).stdout
    unit.write_text("[Service]\nExecStart=/opt/mine\n")
    refused = run_pai("daemon", "--install-systemd", env=env)
    assert refused.returncode == 1
    assert "exists and is a different unit; it was not changed" in refused.stderr
    assert unit.read_text() == "[Service]\nExecStart=/opt/mine\n"
    forced = run_pai("daemon", "--install-systemd", "--force", env=env)
    assert forced.returncode == 0 and unit.read_text() == text


def test_install_systemd_from_the_pai_script_runs_that_script(
        home: HomePaths, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "pai"  # the console script `pip install` made
    if not script.exists():
        pytest.fail(f"no pai script beside {sys.executable}: install pai in this environment")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([str(script), "daemon", "--install-systemd"], env=env, text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    unit = tmp_path / "xdg" / "systemd" / "user" / "pai-daemon.service"
    assert f"\nExecStart={script} daemon\n" in unit.read_text()


def test_once_expires_proposals_unanswered_for_30_days(home: HomePaths,
                                                       feeds: FeedServer) -> None:
    from datetime import timedelta

    from pai_tui.history.models import utcnow
    from pai_tui.history.records import ProposalDraft
    from pai_tui.history.store import Store
    from pai_tui.history.urls import sqlite_url

    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    draft = ProposalDraft(None, "An old idea", "why", "", None, "test")
    old = store.add_proposal(draft, "proposed", "drafted", utcnow() - timedelta(days=31))
    recent = store.add_proposal(draft, "proposed", "drafted", utcnow() - timedelta(days=2))
    store.close()
    done = run_pai("daemon", "--once")
    assert done.returncode == 0, done.stderr
    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    assert (store.proposal(old.id).state, store.proposal(recent.id).state) == (  # type: ignore[union-attr]
        "expired", "proposed")
    store.close()
