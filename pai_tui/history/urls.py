"""Database URLs: pai's default SQLite file, the file behind an SQLite URL, and keeping a URL's
password out of everything pai prints."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    """The file an SQLite URL points at, or None (another database, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def shown_url(url: str) -> str:
    """The URL as pai may print it: `postgresql://me:***@host/db`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(the database URL, which cannot be parsed)"


def redact(text: str, url: str) -> str:
    """`text` (an error message, say) with the URL's password replaced by ***, however written."""
    try:
        password = make_url(url).password
    except Exception:
        return text.replace(url, shown_url(url)) if url else text
    if not password:
        return text
    for form in sorted({password, quote(password, safe=""), quote(password)}, key=len,
                       reverse=True):
        text = text.replace(form, "***")
    return text
