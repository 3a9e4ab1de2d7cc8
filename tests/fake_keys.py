"""Real-looking FAKE keys of each kind the detector knows, built at run time from pieces so that
no file of the repository holds one (nor trips a push-protection scanner)."""

from __future__ import annotations

import random
import string

ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"


def fake_keys(seed: int = 11) -> dict[str, str]:
    """kind -> a value of that shape (the kinds `pai_tui.secrets.detect` reports)."""
    pick = random.Random(seed)

    def rnd(count: int, alphabet: str = ALNUM) -> str:
        return "".join(pick.choice(alphabet) for _ in range(count))

    return {
        "anthropic-key": "sk" + "-ant-" + "api03-" + rnd(93) + "AA",
        "openai-key": "sk" + "-proj-" + rnd(156, ALNUM + "_-"),
        "github-token": "gh" + "p_" + rnd(36),
        "aws-access-key": "AK" + "IA" + rnd(16, string.ascii_uppercase + string.digits),
        "aws-secret-key": rnd(40, BASE64),
        "slack-token": "xo" + "xb-" + rnd(12, string.digits) + "-" + rnd(13, string.digits)
                       + "-" + rnd(24),
        "google-api-key": "AI" + "za" + rnd(35, ALNUM + "_-"),
        "private-key": "\n".join(rnd(64, BASE64) for _ in range(6)) + "\n" + rnd(20, BASE64),
        "secret-assignment": rnd(32),
    }


def private_key_block(body: str) -> str:
    kind = "RSA " + "PRIVATE" + " KEY"
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"
