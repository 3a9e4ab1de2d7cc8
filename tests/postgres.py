"""A throwaway PostgreSQL server for the suite: Debian's `postgresql` binaries, a cluster in a
temporary folder under /tmp listening on a Unix socket only (no TCP port to collide on), started
once per test process in about a second, a fresh database per test. `initdb` refuses to run as
root, so as root the cluster belongs to the `postgres` user. Without the binaries the PostgreSQL
half of the suite is skipped with the package to install, except where PAI_REQUIRE_POSTGRES=1
(`.ci/run` sets it): there it fails."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PACKAGE = "postgresql"  # Debian's: the server binaries (initdb, pg_ctl, postgres)
USER = "postgres"
_counter = itertools.count(1)


def binaries() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin that has initdb and pg_ctl."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                   else 0)
    return found[-1].parent if found else None


class Cluster:
    def __init__(self, bin_dir: Path, root: Path | None = None):
        self.bin = bin_dir
        self.root = root or Path(tempfile.mkdtemp(prefix="pai-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0

    def _run(self, *argv: str) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_root:
            command = ["runuser", "-u", USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed ({done.returncode}): "
                               f"{done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> Cluster:
        (self.root / OWNER).write_text(str(os.getpid()))
        if self.as_root:
            shutil.chown(self.root, USER, USER)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        options = (f"-k {self.root} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "server.log"), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@/{database}?host={self.root}"

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"pai_test_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(host=str(self.root), user=USER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


_CLUSTER: Cluster | None = None
OWNER = "owner.pid"  # the test process a cluster belongs to


def reap(bin_dir: Path) -> None:
    """Clusters left running by test processes that were killed (SIGKILL, SIGTERM: no exit
    hook ran) are stopped and removed, so that they don't pile up on a developer's machine."""
    for owner in Path("/tmp").glob(f"pai-pg-*/{OWNER}"):
        try:
            os.kill(int(owner.read_text()), 0)
            continue  # its process lives
        except ProcessLookupError:
            pass
        except (ValueError, OSError):
            continue
        stale = Cluster(bin_dir, owner.parent)
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
            stale.stop()  # (removes its folder, stopped or not)


def cluster() -> Cluster:
    """The test process's cluster, started on first use (stopped at exit by conftest)."""
    global _CLUSTER
    if _CLUSTER is None:
        bin_dir = binaries()
        if bin_dir is None:
            message = (f"PostgreSQL's server binaries are missing: install Debian's {PACKAGE!r} "
                       "package (apt-get install postgresql) to run the PostgreSQL half")
            if os.environ.get("PAI_REQUIRE_POSTGRES") == "1":
                pytest.fail(message)
            pytest.skip(message)
        reap(bin_dir)
        _CLUSTER = Cluster(bin_dir).start()
    return _CLUSTER


def stop() -> None:
    global _CLUSTER
    if _CLUSTER is not None:
        _CLUSTER.stop()
        _CLUSTER = None
