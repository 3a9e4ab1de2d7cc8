"""Full-speed streaming: a 20,000-token answer sent by the loopback server as fast as it can.
Time from sending the message until the final render is on screen, in the real cockpit in a
pseudo-terminal, divided by the time the raw anthropic SDK alone takes to consume the same
stream, measured in the same run. Targets: ratio <= 1.25 at 20,000 tokens, <= 1.5 at 2,000.

    python benchmarks/stream_speed.py [--runs 3] [--tokens 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _pty import run_in_pty
from _server import ServerProcess
from _setup import bench_home

from tests.fakes.llm_server import END

HERE = Path(__file__).resolve().parent
TARGET = {20000: 1.25, 2000: 1.5}  # by answer length (issue 9); others: 1.5


def raw_seconds(server: ServerProcess) -> float:
    out = subprocess.run([sys.executable, str(HERE / "_raw_sdk.py"), server.anthropic_url],
                         capture_output=True, text=True, check=True, timeout=300)
    return float(out.stdout.strip())


def app_seconds(env: dict[str, str], last_token: str) -> float:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        run_in_pty(HERE / "_chat_probe.py", [out.name, "send", last_token], env, (120, 40))
        record = json.loads(Path(out.name).read_text() or "{}")
    if record.get("status") != "complete":
        raise SystemExit(f"the answer did not complete: {record}")
    return float(record["end"]) - float(record["start"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=20000)
    args = parser.parse_args()
    with ServerProcess("--markdown-tokens", str(args.tokens)) as server:
        _, env = bench_home(server.anthropic_url)
        last = END
        raw_seconds(server)  # warm-up
        raw, app = [], []
        for _ in range(args.runs):
            raw.append(raw_seconds(server))
            app.append(app_seconds(env, last))
    r, a = statistics.median(raw), statistics.median(app)
    print(f"full-speed stream of {args.tokens:,} tokens, median of {args.runs} runs")
    print(f"  raw anthropic SDK consuming it: {r * 1000:8.0f} ms")
    print(f"  pai, until the final render is on screen: {a * 1000:8.0f} ms")
    print(f"  ratio pai / raw SDK: {a / r:.2f}  (target <= {TARGET.get(args.tokens, 1.5)})")


if __name__ == "__main__":
    main()
