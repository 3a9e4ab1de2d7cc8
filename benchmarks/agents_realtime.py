"""Eight agents streaming at once in the cockpit (issue 10): each a 2,000-token Markdown answer
at 200 tokens/s from the loopback server, the Agents pane visible, keys typed into the chat
input every 100 ms meanwhile. The real cockpit in a pseudo-terminal.

Prints:
- key echo while the agents stream, p50 and p95 (target: p95 within 50 ms);
- the cockpit's CPU time as a share of the wall time (target: under 60% of one core);
- how long after the server sent the last token of the last run its end was on screen
  (target: within 200 ms).

    python benchmarks/agents_realtime.py [--agents 8] [--tokens 2000] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from _pty import run_in_pty
from _server import ServerProcess
from _setup import bench_home
from stream_realtime import echo_latencies, spread, typist

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0, help="tokens per second, each")
    args = parser.parse_args()
    handle, times_file = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    typed: list[tuple[str, float]] = []
    seconds = args.tokens / args.rate
    marker: list[Path] = []
    type_meanwhile = typist(marker, seconds, typed)

    with ServerProcess("--markdown-tokens", str(args.tokens), "--delay", str(1 / args.rate),
                       "--times", times_file) as server:
        home, env = bench_home(server.anthropic_url)
        with open(home / "config.toml", "a") as config:
            config.write(f"\n[agents]\nmax_parallel = {args.agents}\n")
        with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
            marker.append(Path(out.name + ".sent"))
            run_in_pty(HERE / "_chat_probe.py", [out.name, "agents", str(args.agents)], env,
                       (160, 45), while_running=type_meanwhile)
            record = json.loads(Path(out.name).read_text() or "{}")
            marker[0].unlink(missing_ok=True)
    sent = json.loads(Path(times_file).read_text())
    os.unlink(times_file)
    if len(record.get("ended", [])) != args.agents or not sent:
        raise SystemExit(f"the runs did not all end: {record}")
    cpu = float(record["cpu_end"]) - float(record["cpu_start"])
    wall = float(record["end"]) - float(record["start"])
    latencies = echo_latencies(typed, record)
    print(f"{args.agents} agents at once, {args.tokens:,} tokens each at {args.rate:g} tokens/s, "
          f"{len(latencies)} keys typed meanwhile")
    print(f"  key echo: {spread(latencies)} (target p95 <= 50 ms)")
    print(f"  cockpit CPU {cpu:.2f} s over {wall:.1f} s: {cpu / wall:.0%} of one core "
          f"(target < 60%)")
    print(f"  the last run's end on screen {(float(record['end']) - sent[-1]) * 1000:.0f} ms "
          f"after its last token was sent (target <= 200 ms)")


if __name__ == "__main__":
    main()
