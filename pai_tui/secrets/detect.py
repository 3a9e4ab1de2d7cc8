"""What is shaped like a secret in a text: vendors' key formats, private key blocks, and
high-entropy values assigned to names like `*_KEY`, `*_TOKEN`, `password`.

Pure (no I/O). A finding never holds the value: its kind, where it is (line and column from 1),
the value's last 4 characters and a fingerprint (a SHA-256 of the value) for allow lists.
A line that says `pai: allow-secret` (in any comment syntax) is skipped.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import math
import re
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass

ALLOW_MARK = "pai: allow-secret"

# Each vendor's shape: (kind, pattern); the value is the whole match, or its `body` group.
# Each pattern begins with a literal (fast to search for); the token must end there, and
# must not go on a letter or digit before it (checked in `matches`), so a longer token that
# merely contains one is not cut in two.
_END = r"(?![A-Za-z0-9_\-])"
VENDOR_SHAPES: tuple[tuple[str, str], ...] = (
    ("anthropic-key", r"sk-ant-[a-z]{2,8}\d{0,3}-[A-Za-z0-9_\-]{32,}" + _END),
    ("openai-key", r"sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{32,}" + _END),
    ("github-token", r"gh[pousr]_[A-Za-z0-9]{36,}" + _END),
    ("github-token", r"github_pat_[A-Za-z0-9_]{50,}" + _END),
    ("aws-access-key", r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
    ("slack-token", r"xox[abposr]-(?:[0-9]+-)*[A-Za-z0-9]{8,}(?:-[A-Za-z0-9]+)*" + _END),
    ("slack-webhook", r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/"
                      r"[A-Za-z0-9]{20,}"),
    ("google-api-key", r"AIza[0-9A-Za-z_\-]{35}" + _END),
    ("google-oauth-secret", r"GOCSPX-[A-Za-z0-9_\-]{28}" + _END),
    # A header followed by a body (real newlines, or `\n` as in a JSON string): a header
    # alone (in code that looks for one, in docs) is not a key.
    ("private-key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
                    r"(?:\s|\\n|\\r|[A-Za-z\-]+: [^\n\\]*)+"
                    r"(?P<body>[A-Za-z0-9+/=]{40,}(?:(?:\s|\\n|\\r)+[A-Za-z0-9+/=]{4,})*)"),
)
# How each shape begins (bytes): a stream's tail that begins like one may be a key arriving.
VENDOR_PREFIXES = (b"sk-", b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_", b"AKIA",
                   b"ASIA", b"ABIA", b"ACCA", b"xoxa-", b"xoxb-", b"xoxp-", b"xoxo-", b"xoxs-",
                   b"xoxr-", b"AIza", b"GOCSPX-")
_VENDOR = tuple((kind, re.compile(pattern)) for kind, pattern in VENDOR_SHAPES)
_ALNUM = re.compile(r"[A-Za-z0-9]")
_MIXED_KINDS = frozenset({"anthropic-key", "openai-key", "github-token", "google-api-key",
                          "google-oauth-secret"})

# Where an assignment to a name that may hold a secret could be (searched in the lower-cased
# text: much faster than a case-insensitive search); `_ASSIGNED` then reads it from the name.
_NAME_HINT = re.compile(r"(?:key|token|secret|pass|pwd|credential)[a-z0-9_\-]{0,40}"
                        r"[\"'\]]?\s*(?::=|=>|=|:)")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_AWS_SECRET = re.compile(r"(?i)aws_?secret_?(?:access_?)?key")
# `NAME = value`, `NAME: value`, `"name": "value"`, `NAME := value`, `name => value`.
_ASSIGNED = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_\-]{0,80})[\"'\]]?\s*(?::=|=>|=|:)\s*"
    r"(?:[\"'`]|b[\"']|r[\"'])?(?P<value>[A-Za-z0-9+/_.~=\-]{16,512})(?![A-Za-z0-9+/_.~=\-])")
# The words of a name that say its value is a secret, whatever its shape...
_STRONG_WORDS = frozenset({"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PWD", "PASSPHRASE",
                           "APIKEY", "CREDENTIAL", "CREDENTIALS", "PASS"})
# ... `KEY` after one of these (API_KEY, SECRET_KEY, privateKey) says so too ...
_KEY_QUALIFIERS = frozenset({"API", "ACCESS", "SECRET", "PRIVATE", "AUTH", "ENCRYPTION",
                             "SIGNING", "MASTER", "CLIENT", "LICENSE", "SERVICE"})
# ... and a bare `KEY` (cache_key, sort_key) only with a value that looks random.
_WEAK_WORDS = frozenset({"KEY"})
_PLACEHOLDERS = ("example", "your", "placeholder", "dummy", "changeme", "redacted", "xxxx",
                 "sample", "fake", "<", "${", "0000", "1234", "abcd", "...", "secret", "password",
                 "token")
_HEX = re.compile(r"[0-9a-fA-F\-]+")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}(?:[_.\-/][A-Za-z0-9]{1,15})+")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(frozen=True)
class Finding:
    """One thing shaped like a secret: never the value itself."""

    kind: str
    line: int  # from 1
    column: int  # from 1
    last4: str  # the value's last 4 characters
    fingerprint: str  # "sha256:<hex>" of the value: what an allow list names

    def __str__(self) -> str:
        return f"{self.kind} (…{self.last4})"


@dataclass(frozen=True)
class Match:
    """Where a secret is in a text: the whole match (a key block from its header, an
    assignment from its name) and the secret value inside it, as offsets."""

    kind: str
    start: int
    end: int
    value_start: int
    value_end: int


def fingerprint(value: str) -> str:
    """What an allow list holds for `value`: its SHA-256, never the value."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def find_secrets(text: str, *, allowed: Collection[str] = (),
                 assignments: bool = True) -> list[Finding]:
    """Every secret-shaped value of `text`, in order; none on a line marked ALLOW_MARK nor whose
    fingerprint is in `allowed`. `assignments=False` looks only for vendors' shapes and key
    blocks (what can be told from the value alone)."""
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    findings = []
    for match in matches(text, assignments=assignments):
        value = text[match.value_start:match.value_end]
        line = bisect.bisect_right(starts, match.start)
        end_of_line = text.find("\n", starts[line - 1])
        line_text = text[starts[line - 1]:end_of_line if end_of_line >= 0 else len(text)]
        print_ = fingerprint(value)
        if ALLOW_MARK in line_text or print_ in allowed:
            continue
        findings.append(Finding(match.kind, line, match.start - starts[line - 1] + 1,
                                value.strip()[-4:], print_))
    return findings


def matches(text: str, *, assignments: bool = True) -> Iterator[Match]:
    """Where the secrets of `text` are: vendors' shapes first, then assignments elsewhere."""
    found = []
    for kind, pattern in _VENDOR:
        for hit in pattern.finditer(text):
            if hit.start() and _ALNUM.match(text, hit.start() - 1):
                continue
            body = hit.span("body") if "body" in pattern.groupindex else hit.span()
            if _vendor_placeholder(kind, text[body[0]:body[1]]):
                continue
            found.append(Match(kind, *hit.span(), *body))
    found.sort(key=lambda match: match.start)
    yield from found
    if assignments:
        yield from _assignments(text, [(m.start, m.end) for m in found])


def _assignments(text: str, taken: list[tuple[int, int]]) -> Iterator[Match]:
    lower = text.lower()
    if len(lower) != len(text):  # a few characters grow when lower-cased: keep the offsets
        lower = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    end_of_last = 0
    for hint in _NAME_HINT.finditer(lower):
        start = hint.start()
        while start > max(hint.start() - 80, end_of_last) and text[start - 1] in _NAME_CHARS:
            start -= 1
        found = _ASSIGNED.match(text, start)
        if found is None or found.end("name") < hint.start():
            continue
        end_of_last = found.end()
        value_start, value_end = found.span("value")
        if any(a < value_end and value_start < b for a, b in taken):
            continue
        name, value = found.group("name"), found.group("value")
        strength = name_strength(name)
        if strength and looks_random(value, strong=strength == 2):
            kind = ("aws-secret-key" if _AWS_SECRET.search(name) and len(value) == 40
                    else "secret-assignment")
            yield Match(kind, found.start(), value_end, value_start, value_end)


def _vendor_placeholder(kind: str, value: str) -> bool:
    """A documented example (AWS's `…EXAMPLE` ids) or a made-up word run (`sk-my-own-long-
    identifier-name`): not a key. Generated keys mix upper and lower case with digits."""
    if "EXAMPLE" in value.upper():
        return True
    if kind in _MIXED_KINDS:
        return not (re.search(r"[a-z]", value) and re.search(r"[A-Z]", value)
                    and re.search(r"[0-9]", value))
    return False


def name_strength(name: str) -> int:
    """2: a name that says its value is a secret (API_TOKEN, password, clientSecret); 1: one
    that may (cache_key); 0: not."""
    words = [word.upper() for word in _WORDS.findall(name)]
    if not words:
        return 0
    last = words[-1]
    if last in _STRONG_WORDS or any(w in ("PASSWORD", "SECRET", "APIKEY") for w in words):
        return 2
    if last in _WEAK_WORDS:
        return 2 if len(words) > 1 and words[-2] in _KEY_QUALIFIERS else 1
    if any(w.endswith(("TOKEN", "PASSWORD", "SECRET")) and len(w) > 6 for w in words):
        return 2  # GITHUBTOKEN, PGPASSWORD
    return 0


def looks_random(value: str, *, strong: bool) -> bool:
    """A value that could be a generated secret, not a word, a path, a version or a
    placeholder: long enough, with letters and digits, and high entropy (higher still, and
    mixed case, for a name that only may hold one)."""
    decoded = _base64_text(value)
    if decoded is not None:  # base64 of a readable text: judge the text
        return looks_random(decoded, strong=strong) if len(decoded) >= 16 else False
    value = value.strip("=")
    if len(value) < 16 or any(p in value.lower() for p in _PLACEHOLDERS):
        return False
    if not (re.search(r"[A-Za-z]", value) and re.search(r"[0-9]", value)):
        return False
    if _IDENTIFIER.fullmatch(value):  # some.module.name, snake_case_words_2, a/b/c
        return False
    if len(set(value)) < 10:
        return False
    if strong:
        return entropy(value) >= 3.3
    mixed = re.search(r"[a-z]", value) and re.search(r"[A-Z]", value)
    return bool(mixed) and not _HEX.fullmatch(value) and entropy(value) >= 3.8


def _base64_text(value: str) -> str | None:
    """What `value` decodes to when it is base64 of printable ASCII (a Kubernetes manifest's
    `c3VwZXItc2VjcmV0`), else None."""
    if len(value) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+=*", value):
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if decoded.isprintable() else None
