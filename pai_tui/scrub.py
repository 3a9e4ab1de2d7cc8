"""Keeping the user's secrets away from the programs pai runs, and out of what they print.

Two halves, both pure (no I/O), used by `process.py` and `skills/tools.py`:

The environment (`scrubbed_environment`): a program gets the base environment minus
  - the names the caller hides (provider key variables, the secrets file's names, ...),
  - PAI_DATABASE_URL (it may hold a database password),
  - every variable named like a credential (`is_secret_name`): one of SECRET_WORDS as a whole
    `_`-separated word of the name (MYSQL_PWD, GH_PAT, ANTHROPIC_API_KEY_2, AWS_SESSION_TOKEN,
    SSH_AUTH_SOCK), or one of SECRET_PARTS anywhere in it (PGPASSWORD, MYTOKEN, COOKIES),
    except the HARMLESS names (PWD the working directory, the desktop session's names, ...);
and every value it keeps loses the credentials of the URLs in it (`strip_credentials`):
`postgres://u:pw@host/db` becomes `postgres://host/db`, `user:pw@proxy:3128` (a proxy without
its scheme) becomes `proxy:3128`, and a query parameter named like a secret keeps its name
with the value REDACTED. The names the caller keeps (a skill's `needs-keys`) pass unchanged.

The output (`Redactor`): known secret values replaced in a byte stream as it is read, also when
a value arrives split across chunks; only a tail that could be the start of a value is held
back until the next chunk (or the end), so output that holds no secret streams unchanged.
With `shapes`, what the detector (`pai_tui.secrets.detect`) can tell is a key from the value
alone (a vendor's key, a private key block) is replaced too, known or not (`redact_shapes`);
a tail that may be such a key still growing (it begins like one) is held back the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Whole `_`-separated words of a name that say it holds a credential.
SECRET_WORDS = frozenset({
    "KEY", "KEYS", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "PW", "PWD",
    "PASSPHRASE", "PAT", "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH", "OAUTH", "WEBHOOK",
    "COOKIE", "SESSION", "PRIVATE", "DSN"})
# Parts that say so anywhere in a name, even inside a word (PGPASSWORD, GITHUBTOKEN).
SECRET_PARTS = ("PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "APIKEY", "CREDENTIAL",
                "WEBHOOK", "COOKIE")
# Named like a credential but holding none: the working folders, the desktop session's kind and
# bus (a socket address, no key), and the Hugging Face tokenizers' switch. Kept short on purpose:
# anything else a tool needs (SSH_AUTH_SOCK, say) its skill declares in `needs-keys`.
HARMLESS = frozenset({
    "PWD", "OLDPWD", "XDG_SESSION_ID", "XDG_SESSION_TYPE", "XDG_SESSION_CLASS",
    "XDG_SESSION_DESKTOP", "DESKTOP_SESSION", "DBUS_SESSION_BUS_ADDRESS",
    "TOKENIZERS_PARALLELISM"})
ALWAYS_HIDDEN = ("PAI_DATABASE_URL",)

# `scheme://userinfo@` anywhere in a value; the userinfo runs to the last `@` of the authority.
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#]*@")
# `user:password@host` at the start of a value: a proxy written without its scheme.
_BARE_USERINFO = re.compile(r"^[^\s/?#@:]+:[^\s/?#]*@(?=[^\s@])")
# A query parameter whose name says it holds a secret (`?token=...`, `&api_key=...`).
_SECRET_QUERY = re.compile(
    r"([?&][^=&#\s]*(?:token|key|secret|password|passwd|pwd|auth|signature)[^=&#\s]*=)"
    r"[^&#\s]*", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """A variable named like a credential (and not one of the HARMLESS names)."""
    upper = name.upper()
    if upper in HARMLESS:
        return False
    if any(word in SECRET_WORDS for word in upper.split("_")):
        return True
    return any(part in upper for part in SECRET_PARTS)


def strip_credentials(value: str) -> str:
    """`value` with the `user:pass@` of its URLs and the values of secret query parameters
    taken out; anything else as it was."""
    if "@" in value:
        value = _BARE_USERINFO.sub("", _URL_USERINFO.sub(r"\1", value))
    if "=" in value and ("?" in value or "&" in value):
        value = _SECRET_QUERY.sub(r"\1REDACTED", value)
    return value


def scrubbed_environment(base: Mapping[str, str], *, hide: Iterable[str] = (),
                         keep: Iterable[str] = ()) -> dict[str, str]:
    """`base` without secrets: the names in `hide`, ALWAYS_HIDDEN and every name that
    `is_secret_name`, and URLs without credentials; the names in `keep` pass unchanged."""
    kept = set(keep)
    hidden = {*hide, *ALWAYS_HIDDEN}
    env = {}
    for name, value in base.items():
        if name in kept:
            env[name] = value
        elif name not in hidden and not is_secret_name(name):
            env[name] = strip_credentials(value)
    return env


def redact_shapes(text: str) -> str:
    """`text` with each value shaped like a key (a vendor's, a private key block) replaced by
    `[redacted KIND]`: for output that may hold keys pai was never told of."""
    from pai_tui.secrets.detect import matches  # the detector: imported when output is read

    for match in reversed(list(matches(text, assignments=False))):
        text = f"{text[:match.value_start]}[redacted {match.kind}]{text[match.value_end:]}"
    return text


# A tail of output that may be a key still arriving: a run of key characters that begins like
# one (at most MAX_HELD_TOKEN long), or a private key block begun and not ended (at most
# MAX_HELD_BLOCK long).
_TOKEN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_BLOCK_START = b"-----BEGIN "
MAX_HELD_TOKEN = 400
MAX_HELD_BLOCK = 64 * 1024
# Every key shape holds one of these bytes (`-` sk-…, `_` ghp_…, `A` AKIA…/AIza…, `:` a
# webhook's https:, `K` PRIVATE KEY): output with none of them (a flood of one character, say)
# skips the detector for the price of a few memchr.
_SHAPE_MARKS = (b"-", b"_", b"A", b":", b"K")


class Redactor:
    """Replaces secret values in one byte stream, chunk by chunk: `feed` each chunk as it
    arrives, then `flush` at the end. `secrets` maps each value to its replacement; with
    `shapes`, whatever is shaped like a key is replaced too (see `redact_shapes`)."""

    def __init__(self, secrets: Mapping[str, str], *, shapes: bool = False):
        # Longest first: a value that contains another is replaced whole.
        pairs = sorted(((v.encode(), r.encode()) for v, r in secrets.items() if v),
                       key=lambda pair: -len(pair[0]))
        self._pairs = pairs
        self._shapes = shapes
        self._prefixes: tuple[bytes, ...] = ()
        if shapes:
            from pai_tui.secrets.detect import VENDOR_PREFIXES

            self._prefixes = (*VENDOR_PREFIXES, _BLOCK_START.strip())
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """What of the stream so far can be released: `chunk` and what was held back, with
        every complete secret replaced, minus a tail that may be the start of one."""
        if not self._pairs and not self._shapes:
            return chunk
        data = self._replace(self._pending + chunk)
        hold = max(self._partial_tail(data), self._shape_tail(data)) if self._shapes else \
            self._partial_tail(data)
        self._pending = data[len(data) - hold:] if hold else b""
        return self._replace_shapes(data[:len(data) - hold])

    def flush(self) -> bytes:
        """The end of the stream: what was held back was not a secret after all (or was a
        whole one, replaced now)."""
        rest, self._pending = self._pending, b""
        return self._replace_shapes(rest)

    def _replace_shapes(self, data: bytes) -> bytes:
        if not self._shapes or not any(mark in data for mark in _SHAPE_MARKS):
            return data
        # Latin-1 maps each byte to one character: the offsets stay those of the bytes.
        return redact_shapes(data.decode("latin-1")).encode("latin-1")

    def _shape_tail(self, data: bytes) -> int:
        """The length of a tail that may be a key still arriving."""
        block = data.rfind(_BLOCK_START, max(len(data) - MAX_HELD_BLOCK, 0))
        if block != -1 and b"-----END " not in data[block:]:
            header_end = data.find(b"-----", block + len(_BLOCK_START))
            if header_end == -1 or b"PRIVATE KEY" in data[block:header_end]:
                return len(data) - block
        window = data[-MAX_HELD_TOKEN:]
        token = window[len(window.rstrip(_TOKEN_BYTES)):]
        if not token:
            return 0
        begun = any(token.startswith(prefix) or prefix.startswith(token)
                    for prefix in self._prefixes)
        return len(token) if begun else 0

    def _replace(self, data: bytes) -> bytes:
        for value, replacement in self._pairs:
            if value in data:
                data = data.replace(value, replacement)
        return data

    def _partial_tail(self, data: bytes) -> int:
        """The length of the longest tail of `data` that is a proper prefix of a secret."""
        longest = 0
        for value, _ in self._pairs:
            start = max(len(data) - len(value) + 1, 0)
            at = data.find(value[:1], start)
            while at != -1:  # candidates begin with the value's first byte
                if value.startswith(data[at:]):
                    longest = max(longest, len(data) - at)
                    break
                at = data.find(value[:1], at + 1)
        return longest
