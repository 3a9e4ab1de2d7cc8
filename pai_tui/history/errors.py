"""History errors as the user reads them: what failed and what to do.

SQLAlchemy's error text carries the statement and its parameters (the user's own message, in
clear) and a link to its docs; none of it helps the user and some of it must not be shown. This
module has no SQLAlchemy import: the faces may use it before the store is open.
"""

from __future__ import annotations

import re
from pathlib import Path

# "\n[SQL: …]\n[parameters: …]" up to SQLAlchemy's closing "(Background on this error at: …)"
# (a statement may hold brackets and newlines: only the closing line ends it reliably).
_STATEMENT = re.compile(r"\s*\[(?:SQL|parameters): .*?(?=\n\(Background on this error at:|\Z)",
                        re.DOTALL)
_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")
_DRIVER_CLASS = re.compile(r"\((?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*\) ")


def _hints(database: str, backups: Path) -> tuple[tuple[str, str], ...]:
    """(what the driver says, what the user can do about it)."""
    restore = (f"move it aside and pai starts a new one; restore a copy from {backups} if there "
               "is one")
    return (
        ("database or disk is full", "free some disk space and try again"),
        ("readonly database", f"make {database} and its folder writable by you"),
        ("database is locked", "another program is writing to it: try again in a moment"),
        ("unable to open database file",
         f"check that the folder of {database} exists and that you can write to it"),
        ("is not a database", f"{database} is damaged or not pai's: {restore}"),
        ("malformed", f"{database} is damaged: {restore}"),
        ("connection", "check PAI_DATABASE_URL and that the database server is running"),
    )


def plain(text: str, database: str, backups: Path) -> str:
    """`text` without SQL, parameters, driver class names or doc links, with what to do said
    once after the first failure it recognizes."""
    text = _STATEMENT.sub("", text)
    text = _BACKGROUND.sub("", text)
    text = _DRIVER_CLASS.sub("", text).strip()
    lowered = text.lower()
    for phrase, hint in _hints(database, backups):
        at = lowered.find(phrase)
        if at >= 0:
            end = at + len(phrase)
            return f"{text[:end]} ({hint}){text[end:]}"
    return text
