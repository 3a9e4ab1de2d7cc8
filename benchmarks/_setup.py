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


def cached_bytecode(env: dict[str, str], folder: Path) -> dict[str, str]:
    """`env` with Python's bytecode cached in `folder`, as an installed pai has it: a machine
    that sets PYTHONDONTWRITEBYTECODE would compile pai's modules again in every run."""
    kept = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**kept, "PYTHONPYCACHEPREFIX": str(folder / "pycache")}


def bench_home(anthropic_url: str) -> tuple[Path, dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="pai-bench-"))
    (home / "config.toml").write_text(
        f'[chat]\nretries = 0\n\n[providers.anthropic]\nbase_url = "{anthropic_url}"\n')
    env = {**os.environ, "PAI_HOME": str(home), "ANTHROPIC_API_KEY": KEY,
           "PYTHONPATH": str(REPO)}
    for name in ("OPENAI_API_KEY", "PAI_DATABASE_URL"):
        env.pop(name, None)
    return home, cached_bytecode(env, home)
