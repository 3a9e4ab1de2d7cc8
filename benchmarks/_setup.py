"""A PAI_HOME for benchmarks: config pointing the providers at a loopback server."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

KEY = "sk-ant-benchmark-key-0000"


def bench_home(anthropic_url: str) -> tuple[Path, dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="pai-bench-"))
    (home / "config.toml").write_text(
        f'[chat]\nretries = 0\n\n[providers.anthropic]\nbase_url = "{anthropic_url}"\n')
    env = {**os.environ, "PAI_HOME": str(home), "ANTHROPIC_API_KEY": KEY,
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    for name in ("OPENAI_API_KEY", "PAI_DATABASE_URL"):
        env.pop(name, None)
    return home, env
