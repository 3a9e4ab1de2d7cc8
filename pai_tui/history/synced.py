"""Whether the history's SQLite file sits where it will be corrupted: in a folder a sync client
copies (Dropbox, OneDrive, iCloud Drive, Google Drive, Syncthing, Nextcloud...) or on a network
or FUSE filesystem (NFS, SMB, sshfs, rclone...). SQLite's locks and its write-ahead log do not
travel: a sync that copies the file mid-write, or two machines writing it, corrupts it.
PostgreSQL is how several machines share one history. Said where it can be told (a folder's
name, a sync client's marker file, the mount's filesystem type on Linux); silent otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")
# Folders sync clients make, by their name (lower case): exactly, or as the start of it
# ("Dropbox (Personal)", "OneDrive - Company", "GoogleDrive-me@example.com").
NAMED = {"dropbox": "Dropbox", "onedrive": "OneDrive", "icloud drive": "iCloud Drive",
         "mobile documents": "iCloud Drive", "icloud~": "iCloud Drive",
         "google drive": "Google Drive", "googledrive": "Google Drive", "my drive": "Google Drive",
         "cloudstorage": "a cloud storage folder", "nextcloud": "Nextcloud",
         "owncloud": "ownCloud", "pcloud drive": "pCloud", "box sync": "Box",
         "megasync": "MEGA", "syncthing": "Syncthing", "resilio sync": "Resilio Sync"}
# What a sync client leaves at the root of what it syncs, and whether that is a file (Dropbox's
# own settings are a *folder* ~/.dropbox: a home holding it is not synced).
MARKERS = {".stfolder": ("Syncthing", None), ".dropbox": ("Dropbox", "file"),
           ".dropbox.cache": ("Dropbox", "folder"), ".nextcloudsync.log": ("Nextcloud", "file"),
           ".owncloudsync.log": ("ownCloud", "file"), ".megaignore": ("MEGA", "file")}
# Filesystems that are another machine's disk (or a remote store) seen through the network.
NETWORK = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "davfs", "coda", "ncpfs",
           "ceph", "glusterfs", "lustre", "gpfs", "beegfs", "vboxsf", "vmhgfs", "prl_fs",
           "fuse.sshfs", "fuse.rclone", "fuse.davfs", "fuse.s3fs", "fuse.gcsfuse",
           "fuse.glusterfs", "fuse.vmhgfs-fuse", "fuse.onedriver", "fuse.dropbox",
           "fuse.google-drive-ocamlfuse", "fuse.goofys", "fuse.juicefs", "fuse.seaweedfs",
           "fuse.ceph", "fuse.cryfs", "fuse.gocryptfs"}


@dataclass(frozen=True)
class Synced:
    path: Path  # the database file
    reason: str  # where it is: "in a Dropbox folder (/home/me/Dropbox)"

    def warning(self) -> str:
        return (f"The history's SQLite file {self.path} is {self.reason}: SQLite files there "
                "get corrupted (a sync copies them mid-write, or two machines write them). "
                "To share the history across machines use PostgreSQL: set "
                "PAI_DATABASE_URL=postgresql+psycopg://… (pai db copy --to URL copies this "
                "history there once); otherwise keep PAI_HOME out of synced folders.")


def synced(path: Path, mountinfo: Path = MOUNTINFO) -> Synced | None:
    """Why the SQLite file `path` looks synced or shared, or None. Blocking (it looks at the
    folders above the file and reads the mount table)."""
    above = path.expanduser().absolute().parent
    for at in (above, *above.parents):  # the file and its folder may not exist yet
        for marker, (client, kind) in MARKERS.items():
            if _is(at / marker, kind):
                return Synced(path, f"in a folder {client} syncs ({at}: it holds {marker})")
        client = _client_named(at.name)
        if client is not None:
            return Synced(path, f"in a {client} folder ({at})")
    folder = _existing(above)
    try:
        real = folder.resolve()
    except OSError:
        return None
    if real != folder:  # a link into a synced folder
        found = synced(real / above.relative_to(folder) / path.name, mountinfo)
        if found is not None:
            return Synced(path, found.reason)
    mount = mount_of(real / above.relative_to(folder), mountinfo)
    if mount is not None and _network(mount[1]):
        return Synced(path, f"on a network filesystem ({mount[1]}, mounted at {mount[0]})")
    return None


def _is(path: Path, kind: str | None) -> bool:
    if kind == "file":
        return path.is_file()
    return path.is_dir() if kind == "folder" else path.exists()


def _existing(folder: Path) -> Path:
    """`folder`, or the nearest folder above it that exists (the file may be made later)."""
    return next((p for p in (folder, *folder.parents) if p.exists()), folder)


def _client_named(name: str) -> str | None:
    lowered = name.lower()
    for start, client in NAMED.items():
        if lowered == start or lowered.startswith((f"{start} ", f"{start}-", f"{start}(")) or \
                (start.endswith("~") and lowered.startswith(start)):
            return client
    return None


def _network(kind: str) -> bool:
    return kind in NETWORK or kind.startswith(("nfs", "fuse.sshfs", "fuse.rclone"))


def mount_of(path: Path, mountinfo: Path = MOUNTINFO) -> tuple[Path, str] | None:
    """The mount point holding `path` and its filesystem type, from a Linux mountinfo file
    (None where there is none: not Linux)."""
    try:
        lines = mountinfo.read_text(errors="replace").splitlines()
    except OSError:
        return None
    best: tuple[Path, str] | None = None
    for line in lines:
        fields = line.split()
        if "-" not in fields[6:]:
            continue  # not a mountinfo line
        dash = fields.index("-", 6)
        if len(fields) <= dash + 1:
            continue
        point = Path(_unescape(fields[4]))
        if (path == point or point in path.parents) and \
                (best is None or len(point.parts) >= len(best[0].parts)):
            best = (point, fields[dash + 1])  # the last of equal ones is the one on top
    return best


def _unescape(field: str) -> str:
    r"""A mountinfo path: spaces, tabs, newlines and backslashes are written \040 and so on."""
    if "\\" not in field:
        return field
    out, at = [], 0
    while at < len(field):
        if field[at] == "\\" and field[at + 1:at + 4].isdigit():
            out.append(chr(int(field[at + 1:at + 4], 8)))
            at += 4
        else:
            out.append(field[at])
            at += 1
    return "".join(out)


def database_synced(url: str, mountinfo: Path = MOUNTINFO) -> Synced | None:
    """`synced` for a database URL: only an SQLite file can be (PostgreSQL is the way to
    share)."""
    from pai_tui.history.urls import sqlite_path

    try:
        path = sqlite_path(url)
    except Exception:
        return None
    return None if path is None else synced(path, mountinfo)
