"""A PAI_HOME for benchmarks: config pointing the providers at a loopback server. Importing it
also puts the repository on the path (benchmarks use the tests' loopback server)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

KEY = "sk-ant-benchmark-key-0000"


def bench_home(anthropic_url: str) -> tuple[Path, dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="pai-bench-"))
    (home / "config.toml").write_text(
        f'[chat]\nretries = 0\n\n[providers.anthropic]\nbase_url = "{anthropic_url}"\n')
    env = {**os.environ, "PAI_HOME": str(home), "ANTHROPIC_API_KEY": KEY,
           "PYTHONPATH": str(REPO)}
    for name in ("OPENAI_API_KEY", "PAI_DATABASE_URL"):
        env.pop(name, None)
    return home, env
