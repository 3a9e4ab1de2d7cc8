"""The one detector: each kind of key found in several file types, at its line, shown by its
last 4 characters only; the allow list (a mark on the line, fingerprints); no false positive
in the real corpora; and the redaction of tools' output built on it."""

from __future__ import annotations

import json

import pytest

from pai_tui.scrub import Redactor, redact_shapes
from pai_tui.secrets.allow import AllowListError, parse_allow_list
from pai_tui.secrets.detect import ALLOW_MARK, find_secrets, fingerprint
from pai_tui.secrets.scan import Found, scan_paths
from tests.builders import corpus_dir
from tests.fake_keys import fake_keys, private_key_block

KEYS = fake_keys()
# The name each kind is assigned to in the files: neutral for the shapes told from the value.
NAMES = {"aws-secret-key": "aws_secret_access_key", "secret-assignment": "api_token"}
# file type -> (text with {name} and {value}, the line the value is on)
FILE_TYPES = {
    ".env": ("# settings\n{name}={value}\n", 2),
    ".py": ('import os\n\n{name} = "{value}"\nprint(os.name)\n', 3),
    ".json": ('{{\n  "service": "mail",\n  "{name}": "{value}"\n}}\n', 3),
    ".yaml": ("service:\n  port: 80\n  {name}: {value}\n", 3),
    ".toml": ("[service]\n{name} = '{value}'\n", 2),
    ".sh": ('#!/bin/sh\nexport {name}="{value}"\nexec server\n', 2),
}
SINGLE_LINE = [kind for kind in KEYS if kind != "private-key"]


@pytest.mark.parametrize("suffix", FILE_TYPES)
@pytest.mark.parametrize("kind", SINGLE_LINE)
def test_each_kind_is_found_at_its_line_in_each_file_type(kind: str, suffix: str) -> None:
    template, line = FILE_TYPES[suffix]
    value = KEYS[kind]
    text = template.format(name=NAMES.get(kind, "endpoint_setting"), value=value)
    findings = find_secrets(text)
    assert [(f.kind, f.line, f.last4) for f in findings] == [(kind, line, value[-4:])]
    assert value not in repr(findings) and value[:-4] not in str(findings[0])
    assert str(findings[0]) == f"{kind} (…{value[-4:]})"


@pytest.mark.parametrize("layout", ["pem", "json", "python", "yaml"])
def test_private_key_blocks_are_found_at_their_header(layout: str) -> None:
    block = private_key_block(KEYS["private-key"])
    text = {"pem": "some notes\n" + block,
            "json": json.dumps({"type": "service_account", "private_key": block}, indent=1),
            "python": 'KEY = """\n' + block + '"""\n',
            "yaml": "tls:\n  key: |\n" + "".join("    " + line + "\n"
                                                 for line in block.splitlines())}[layout]
    findings = find_secrets(text)
    assert [f.kind for f in findings] == ["private-key"]
    header_line = next(n for n, line in enumerate(text.splitlines(), 1) if "-----BEGIN" in line)
    assert findings[0].line == header_line


def test_what_is_not_a_key_is_not_found() -> None:
    text = "\n".join([
        'key_env = "ANTHROPIC_API_KEY"', "max_tokens = 4096",
        'cache_key = "' + "0123456789abcdef" * 4 + '"',  # a digest under a bare *_key
        'password = "changeme-please-1234"', 'api_key = "your-api-key-here-1234567"',
        "TOKEN_URL: https://example.org/oauth/token", "sort_key: created_at_timestamp_2",
        'if text.startswith("-----BEGIN RSA ' + 'PRIVATE KEY-----"):',  # a header, no body
        "SECRET_KEY: c3VwZXItc2VjcmV0LWtleQ==",  # base64 of a readable phrase
        "sk-learn is scikit-learn, ghp_ is GitHub's prefix, AKIA starts AWS key ids",
        "AWS's documented id: AKIA" + "IOSFODNN7EXAMPLE",
        "css: sk-" + "grid-layout-container-inner-wrapper-large"])
    assert find_secrets(text) == []


def test_the_allow_mark_and_fingerprints_silence_a_finding() -> None:
    value = KEYS["github-token"]
    text = f"token: {value}\n"
    assert len(find_secrets(text)) == 1
    assert find_secrets(f"token: {value}  # {ALLOW_MARK} (a documented example)\n") == []
    allowed = parse_allow_list(f"# the README's example\n{fingerprint(value)}  # README\n")
    assert find_secrets(text, allowed=allowed) == []
    other = KEYS["google-api-key"]
    assert [f.kind for f in find_secrets(f"{text}g = {other}\n", allowed=allowed)] == \
        ["google-api-key"]


def test_an_allow_list_line_that_is_not_a_fingerprint_is_named() -> None:
    with pytest.raises(AllowListError, match=r"^allow:2: not a fingerprint"):
        parse_allow_list("sha256:" + "a" * 64 + "\nghp_something\n", "allow")


def test_a_fingerprint_never_holds_the_value() -> None:
    value = KEYS["openai-key"]
    assert fingerprint(value).startswith("sha256:") and value not in fingerprint(value)


# The real corpora: every finding is explained by this allow list (value fingerprints only).
CORPUS_ALLOWED = {
    # karanb192/claude-code-hooks, plugins/session-logger/tests: a test of its own redaction
    # assigns a made-up AWS secret (AWS's documented example, shortened) to
    # AWS_SECRET_ACCESS_KEY.
    "sha256:93f3cb58384a3f69b5e09579b6916ed4b6f3320e876d2fef7679e4c196fcfaa9",
}
CORPORA = [corpus_dir()]  # the copy in tests/corpus (or $PAI_CORPUS): every corpus


def test_the_real_corpora_have_no_false_positive_beyond_the_allow_list() -> None:
    roots = [str(root) for root in CORPORA if root.is_dir()]
    assert roots, "no corpus to scan"
    found = [item for item in scan_paths(roots) if isinstance(item, Found)]
    unexplained = [str(item) for item in found
                   if item.finding.fingerprint not in CORPUS_ALLOWED]
    assert unexplained == []


def test_redaction_replaces_key_shapes_in_a_text() -> None:
    value = KEYS["anthropic-key"]
    block = private_key_block(KEYS["private-key"])
    redacted = redact_shapes(f"key={value}\n{block}done")
    assert value not in redacted and KEYS["private-key"][:64] not in redacted
    assert "key=[redacted anthropic-key]" in redacted and redacted.endswith("done")
    assert "[redacted private-key]" in redacted


@pytest.mark.parametrize("size", [1, 3, 7, 64, 4096])
def test_a_streamed_key_is_redacted_whatever_the_chunks(size: int) -> None:
    value = KEYS["github-token"]
    known = "hunter2-known-value"
    stream = (f"line one\ncloning with {value} now\nthe {known} too\n"
              + private_key_block(KEYS["private-key"]) + "end").encode()
    redactor = Redactor({known: "[redacted PW]"}, shapes=True)
    out = b"".join(redactor.feed(stream[i:i + size]) for i in range(0, len(stream), size))
    out += redactor.flush()
    text = out.decode()
    assert value not in text and value[:12] not in text and known not in text
    assert KEYS["private-key"][:40] not in text
    assert "cloning with [redacted github-token] now" in text and text.endswith("end")


def test_output_without_keys_streams_unchanged_and_promptly() -> None:
    redactor = Redactor({}, shapes=True)
    assert redactor.feed(b"progress: 10%\n") == b"progress: 10%\n"
    assert redactor.feed(b"downloading skills") == b"downloading skills"
    assert redactor.feed(b" and sk") == b" and "  # may be a key beginning: held
    assert redactor.feed(b"ip this\n") == b"skip this\n"


def test_the_staged_diff_is_read_as_added_lines_at_their_new_numbers() -> None:
    from pai_tui.secrets.scan import added_lines

    diff = "\n".join([
        "diff --git a/app.py b/app.py", "--- a/app.py", "+++ b/app.py",
        "@@ -3,0 +4,2 @@ def main():", "+first = 1", "+second = 2",
        "@@ -10 +12 @@", "-old", "+new",
        'diff --git "a/caf\\303\\251 x.txt" "b/caf\\303\\251 x.txt"', "--- /dev/null",
        '+++ "b/caf\\303\\251 x.txt"', "@@ -0,0 +1 @@", "+hello",
        "diff --git a/gone.txt b/gone.txt", "--- a/gone.txt", "+++ /dev/null",
        "@@ -1 +0,0 @@", "-bye", ""])
    assert added_lines(diff) == {"app.py": [(4, "first = 1"), (5, "second = 2"), (12, "new")],
                                 "café x.txt": [(1, "hello")]}
