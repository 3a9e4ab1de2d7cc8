"""The log file: what workers and bus subscribers would otherwise swallow, with tracebacks, in
$PAI_HOME/logs/pai.log (rotated, readable by the user only). Every line passes the same redaction
as everything else pai shows: API keys masked, the database password taken out."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pai_tui.cockpit import Cockpit
    from pai_tui.paths import HomePaths

LOG_BYTES = 1_000_000
LOG_FILES = 3  # pai.log and two older ones
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path(home: HomePaths) -> Path:
    return home.root / "logs" / "pai.log"


class PrivateRotatingFile(RotatingFileHandler):
    """Every file it opens (the first, and each after a rotation) is the user's alone."""

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


class RedactingFormatter(logging.Formatter):
    def __init__(self, redact: Callable[[str], str]):
        super().__init__(FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def redactor(cockpit: Cockpit) -> Callable[[str], str]:
    """Masks every key pai knows of (environment and secrets.toml) and the database password."""
    from pai_tui.llm.keys import mask

    providers = cockpit.providers
    keys = {key.value for name in providers.names() for key in providers.keys(name)}

    def redact(text: str) -> str:
        for key in keys:
            text = text.replace(key, mask(key))
        return cockpit.history.redact(text)

    return redact


def start_log(cockpit: Cockpit) -> Path:
    """Send pai's log records to the log file of this PAI_HOME (one handler per process: a
    cockpit for another PAI_HOME takes it over). Blocking: call it in a thread."""
    path = log_path(cockpit.config.home)
    logger = logging.getLogger("pai_tui")
    # APScheduler's own warnings (a job that raised, a stored job that cannot be restored)
    # go to the same file, not to stderr under the cockpit's screen.
    scheduler = logging.getLogger("apscheduler")
    for handler in [h for h in logger.handlers if isinstance(h, PrivateRotatingFile)]:
        if handler.baseFilename == str(path.resolve()):
            return path
        logger.removeHandler(handler)
        scheduler.removeHandler(handler)
        handler.close()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler = PrivateRotatingFile(path, maxBytes=LOG_BYTES, backupCount=LOG_FILES - 1,
                                  encoding="utf-8")
    handler.setFormatter(RedactingFormatter(redactor(cockpit)))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    scheduler.addHandler(handler)
    scheduler.setLevel(logging.WARNING)
    return path
