"""An SQLite history in a synced folder or on a network filesystem is recognized, with where
and why: a sync client's folder by its name or its marker, a network mount from a real
mountinfo table; an ordinary folder and a PostgreSQL URL are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from pai_tui.history.synced import database_synced, mount_of, synced

# /proc/self/mountinfo as Linux writes it: the root on ext4, a home share over NFS (a space in
# its name written \040), a local disk mounted inside the share, sshfs and rclone mounts.
MOUNTINFO = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
80 27 0:45 / /mnt/team\\040share rw,relatime shared:40 - nfs4 srv:/export rw,vers=4.2
81 80 8:17 / /mnt/team\\040share/local rw,relatime - ext4 /dev/sdb1 rw
82 27 0:46 / /home/me/remote rw,nosuid,nodev - fuse.sshfs me@host:/ rw,user_id=0
83 27 0:47 / /home/me/gdrive rw,nosuid,nodev master:3 - fuse.rclone gdrive: rw
84 27 0:48 / /data rw - xfs /dev/sdc1 rw
"""


@pytest.fixture
def mountinfo(tmp_path: Path) -> Path:
    table = tmp_path / "mountinfo"
    table.write_text(MOUNTINFO)
    return table


def test_a_dropbox_folder_is_recognized_by_its_name(tmp_path: Path, mountinfo: Path) -> None:
    for name in ("Dropbox", "Dropbox (Personal)", "OneDrive - Contoso", "iCloud Drive"):
        database = tmp_path / name / "notes" / "pai" / "pai.db"  # folders not made yet
        found = synced(database, mountinfo)
        assert found is not None, name
        assert found.reason.startswith("in a ") and str(tmp_path / name) in found.reason
    assert synced(tmp_path / "Dropboxes" / "pai.db", mountinfo) is None  # a name, not a prefix


def test_a_syncthing_folder_is_recognized_by_its_marker(tmp_path: Path, mountinfo: Path) -> None:
    shared = tmp_path / "Sync" / "pai"
    shared.mkdir(parents=True)
    (tmp_path / "Sync" / ".stfolder").mkdir()
    found = synced(shared / "pai.db", mountinfo)
    assert found is not None
    assert found.reason == f"in a folder Syncthing syncs ({tmp_path / 'Sync'}: it holds .stfolder)"
    message = found.warning()
    assert str(shared / "pai.db") in message and "PAI_DATABASE_URL=postgresql" in message


def test_dropbox_s_settings_folder_in_a_home_is_no_marker(tmp_path: Path,
                                                         mountinfo: Path) -> None:
    (tmp_path / ".dropbox").mkdir()  # ~/.dropbox: the app's settings, a folder
    assert synced(tmp_path / ".pai" / "pai.db", mountinfo) is None
    inside = tmp_path / "Work"
    inside.mkdir()
    (inside / ".dropbox").write_text("{}")  # the file Dropbox leaves in what it syncs
    found = synced(inside / "pai.db", mountinfo)
    assert found is not None and "Dropbox" in found.reason


def test_a_link_into_a_synced_folder_counts(tmp_path: Path, mountinfo: Path) -> None:
    real = tmp_path / "Dropbox" / "pai"
    real.mkdir(parents=True)
    (tmp_path / "home").symlink_to(real)
    found = synced(tmp_path / "home" / "pai.db", mountinfo)
    assert found is not None and "Dropbox folder" in found.reason


def test_network_mounts_are_read_from_mountinfo(mountinfo: Path) -> None:
    assert mount_of(Path("/mnt/team share/pai"), mountinfo) == (Path("/mnt/team share"), "nfs4")
    assert mount_of(Path("/mnt/team share/local/pai"), mountinfo) == (
        Path("/mnt/team share/local"), "ext4")  # a local disk mounted inside the share
    assert mount_of(Path("/home/me/pai"), mountinfo) == (Path("/"), "ext4")


def test_a_database_on_a_network_filesystem_is_said_with_its_type(mountinfo: Path) -> None:
    cases = {Path("/mnt/team share/pai/pai.db"): "nfs4, mounted at /mnt/team share",
             Path("/home/me/remote/pai.db"): "fuse.sshfs, mounted at /home/me/remote",
             Path("/home/me/gdrive/pai/pai.db"): "fuse.rclone, mounted at /home/me/gdrive"}
    for database, said in cases.items():
        found = synced(database, mountinfo)
        assert found is not None and found.reason == f"on a network filesystem ({said})"
    assert synced(Path("/mnt/team share/local/pai.db"), mountinfo) is None
    assert synced(Path("/data/pai/pai.db"), mountinfo) is None


def test_an_unreadable_mount_table_says_nothing(tmp_path: Path) -> None:
    assert synced(tmp_path / "pai.db", tmp_path / "no-mountinfo") is None


def test_only_an_sqlite_file_is_looked_at(tmp_path: Path, mountinfo: Path) -> None:
    assert database_synced(f"sqlite:///{tmp_path}/Dropbox/pai.db", mountinfo) is not None
    assert database_synced("postgresql+psycopg://me@db.example/pai", mountinfo) is None
    assert database_synced("sqlite://", mountinfo) is None  # in memory
