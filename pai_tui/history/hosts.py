"""Which machine a row came from: one history shared by several machines (PostgreSQL) tells
their rows apart by host. Every insert records `this_host()` (the models' default)."""

from __future__ import annotations

import os
import socket

HOST_ENV = "PAI_HOST"  # overrides the machine's name (tests run `alpha` and `beta` on one box)
HOST_CHARS = 255


def this_host() -> str:
    """This machine's name as rows record it: $PAI_HOST, else the host name."""
    name = os.environ.get(HOST_ENV, "").strip() or socket.gethostname() or "unknown"
    return name[:HOST_CHARS]
