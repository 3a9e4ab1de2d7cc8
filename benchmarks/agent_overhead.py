"""Supervisor overhead: 32 agent runs of 1,000 tokens each, [agents] max_parallel 4, against the
loopback server at full speed. pai's wall time (saving each run, its events, its tools offered)
divided by the time the raw anthropic SDK takes for the same 32 streams with the same
concurrency, measured in the same run, each in a process of its own. Target: <= 1.3 (issue 10).

    python benchmarks/agent_overhead.py [--runs 3] [--count 32] [--parallel 4]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from _server import ServerProcess
from _setup import bench_home

HERE = Path(__file__).resolve().parent
TARGET = 1.3


def seconds(args: list[str], env: dict[str, str] | None = None) -> float:
    out = subprocess.run([sys.executable, str(HERE / "_agents_probe.py"), *args],
                         capture_output=True, text=True, env=env, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"the probe failed: {out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=32)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    with ServerProcess("--tokens", "1000") as server:
        home, env = bench_home(server.anthropic_url)
        with open(home / "config.toml", "a") as config:
            config.write(f"\n[agents]\nmax_parallel = {args.parallel}\n")
        raw_args = ["raw", str(args.count), server.anthropic_url, str(args.parallel)]
        seconds(raw_args, env)  # warm-up
        raw, pai = [], []
        for _ in range(args.runs):
            raw.append(seconds(raw_args, env))
            pai.append(seconds(["pai", str(args.count)], env))
    r, p = statistics.median(raw), statistics.median(pai)
    print(f"{args.count} runs of 1,000 tokens, {args.parallel} at once, median of {args.runs}")
    print(f"  raw anthropic SDK, same concurrency: {r * 1000:8.0f} ms")
    print(f"  pai's supervisor (runs saved, events, tools offered): {p * 1000:8.0f} ms")
    print(f"  ratio pai / raw SDK: {p / r:.2f}  (target <= {TARGET})")


if __name__ == "__main__":
    main()
