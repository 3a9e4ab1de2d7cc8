"""Files are the user's only: PAI_HOME and its folders are created 0700, and every file pai
writes (the database with its -wal/-shm, migration backups, the log, config.toml) is 0600."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from pai_tui.history.store import Store
from pai_tui.history.urls import sqlite_url
from pai_tui.paths import HomePaths
from pai_tui.settings import write_setting
from tests.builders import build_schema


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> object:
    """The umask most systems have: what made the files world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_pai_home_and_its_folders_are_created_for_the_user_only(home: HomePaths) -> None:
    home.ensure()
    for folder in (home.root, *home.user_folders()):
        assert mode(folder) == 0o700, folder


def test_an_existing_pai_home_keeps_the_mode_its_owner_chose(home: HomePaths) -> None:
    home.root.mkdir(mode=0o755)
    os.chmod(home.root, 0o755)
    home.ensure()
    assert mode(home.root) == 0o755


def test_the_database_and_its_wal_are_the_users_only(home: HomePaths) -> None:
    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    store.create_session("private")
    try:
        assert mode(home.database.parent) == 0o700
        for path in (home.database, Path(f"{home.database}-wal"), Path(f"{home.database}-shm")):
            assert mode(path) == 0o600, path
    finally:
        store.close()


def test_a_database_an_older_pai_left_readable_is_made_private(home: HomePaths) -> None:
    home.ensure()
    build_schema(home.database, 5)
    os.chmod(home.database, 0o644)
    store, _, _ = Store.open(sqlite_url(home.database), home.backups)
    store.close()
    assert mode(home.database) == 0o600


def test_the_migration_backup_is_the_users_only(home: HomePaths) -> None:
    home.ensure()
    build_schema(home.database, 4)
    with sqlite3.connect(home.database) as db:
        db.execute("INSERT INTO sessions (id, title, created_at, updated_at) "
                   "VALUES (1, 'secret', '2026-01-01', '2026-01-01')")
    db.close()
    store, result, _ = Store.open(sqlite_url(home.database), home.backups)
    store.close()
    assert result.backup is not None
    assert mode(result.backup) == 0o600
    assert mode(home.backups) == 0o700


def test_a_config_file_pai_creates_is_the_users_only(home: HomePaths) -> None:
    write_setting(home.config, "ui", "theme", "ember")
    assert mode(home.config) == 0o600


def test_a_config_file_the_user_made_keeps_its_mode(home: HomePaths) -> None:
    home.root.mkdir(parents=True)
    home.config.write_text("[ui]\n", encoding="utf-8")
    os.chmod(home.config, 0o640)
    write_setting(home.config, "ui", "theme", "ember")
    assert mode(home.config) == 0o640
