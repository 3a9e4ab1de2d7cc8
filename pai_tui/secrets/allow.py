"""The allow list: fingerprints of values that look like secrets and are not (a documented
example, a test's fake). One `sha256:<hex>` a line, a `#` comment after it or on a line of its
own; never the value itself, so the list can be committed.
"""

from __future__ import annotations

import re
from pathlib import Path

ALLOW_FILE = ".pai-secrets-allow"  # at the root of a repository (or the folder scanned)
_ENTRY = re.compile(r"sha256:[0-9a-f]{64}")


class AllowListError(ValueError):
    """A line of an allow list that is not a fingerprint: file and line named."""


def parse_allow_list(text: str, source: str = ALLOW_FILE) -> frozenset[str]:
    """The fingerprints of an allow list's text; a line that is neither a fingerprint nor a
    comment is an error naming `source` and the line (an allow list that silently allowed
    nothing would let a false positive block every commit, or worse, the reverse)."""
    found = set()
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if not _ENTRY.fullmatch(entry):
            raise AllowListError(f"{source}:{number}: not a fingerprint (expected sha256: and "
                                 "64 hex digits, as `pai secrets scan --fingerprints` prints)")
        found.add(entry)
    return frozenset(found)


def read_allow_list(path: Path) -> frozenset[str]:
    """The fingerprints in the file at `path`; none when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return frozenset()
    except (OSError, UnicodeDecodeError) as error:
        raise AllowListError(f"{path}: cannot read ({error})") from error
    return parse_allow_list(text, str(path))
