"""Streaming at a realistic rate: a 3,000-token Markdown answer at 200 tokens/s, the real
cockpit in a pseudo-terminal, while keys are typed into the chat input every 100 ms.

Prints, against the stream measured in the same run:
- how long after the server sent the last token it was on screen (target: within 100 ms);
- the cockpit's CPU time as a share of the stream's duration (target: under 35%);
- how long typed keys took to echo in the input, p50 and p95 (target: p95 within 30 ms), and
  the same with no stream, as the baseline. Keys come in a steady 100 ms rhythm from a second
  after the message is sent; while typing, the answer is drawn in the pause after a key
  (ui/streaming.py), so a burst of keys closer than 50 ms apart may still wait behind a batch.

    python benchmarks/stream_realtime.py [--tokens 3000] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import string
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _pty import run_in_pty
from _server import ServerProcess
from _setup import bench_home

from tests.fakes.llm_server import END

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200.0, help="tokens per second")
    args = parser.parse_args()
    handle, times_file = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    typed: list[tuple[str, float]] = []
    seconds = args.tokens / args.rate

    sent_marker: list[Path] = []  # the probe writes it when it sends the message
    type_during_stream = typist(sent_marker, seconds, typed)

    with ServerProcess("--markdown-tokens", str(args.tokens), "--delay",
                       str(1 / args.rate), "--times", times_file) as server:
        _, env = bench_home(server.anthropic_url)
        with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
            sent_marker.append(Path(out.name + ".sent"))
            run_in_pty(HERE / "_chat_probe.py", [out.name, "send", END], env, (120, 40),
                       while_running=type_during_stream)
            record = json.loads(Path(out.name).read_text() or "{}")
            sent_marker[0].unlink(missing_ok=True)
    sent = json.loads(Path(times_file).read_text())
    os.unlink(times_file)
    if record.get("status") != "complete" or not sent:
        raise SystemExit(f"the answer did not complete: {record}")

    duration = sent[-1] - sent[0]
    # The last token reaches the screen in a flush, or with the final render if it came last.
    last_latency = float(record.get("last_token_shown", record["end"])) - sent[-1]
    cpu = float(record["cpu_end"]) - float(record["cpu_start"])
    wall = float(record["end"]) - float(record["start"])
    latencies = echo_latencies(typed, record)
    typed.clear()
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        sent_marker[0] = Path(out.name + ".sent")
        run_in_pty(HERE / "_chat_probe.py", [out.name, "idle", str(seconds)], env, (120, 40),
                   while_running=type_during_stream)
        sent_marker[0].unlink(missing_ok=True)
        idle = echo_latencies(typed, json.loads(Path(out.name).read_text() or "{}"))
    print(f"{args.tokens:,}-token answer at {args.rate:g} tokens/s "
          f"({duration:.1f} s of stream), {len(latencies)} keys typed meanwhile")
    print(f"  last token on screen {last_latency * 1000:.0f} ms after the server sent it "
          f"(target <= 100 ms)")
    print(f"  cockpit CPU {cpu:.2f} s over {wall:.1f} s: {cpu / wall:.0%} of the stream "
          f"(target < 35%)")
    print(f"  key echo while streaming: {spread(latencies)} (target p95 <= 30 ms)")
    print(f"  key echo with no stream:  {spread(idle)}")


def typist(marker: list[Path], seconds: float, typed: list[tuple[str, float]],
           ) -> Callable[[int, subprocess.Popen[bytes]], None]:
    """What types into the cockpit's terminal: once the probe writes `marker[0]` (the stream
    began), after a second, a key every 100 ms for `seconds` - 2 s, each kept in `typed`."""

    def type_keys(master: int, process: subprocess.Popen[bytes]) -> None:
        deadline = time.time() + 60
        while not marker[0].exists() and time.time() < deadline and process.poll() is None:
            time.sleep(0.02)
        time.sleep(1.0)  # the first second of the answer
        end = time.time() + seconds - 2.0
        index = 0
        while time.time() < end and process.poll() is None:
            letter = string.ascii_lowercase[index % 26]
            typed.append((letter, time.time()))
            os.write(master, letter.encode())
            index += 1
            time.sleep(0.1)

    return type_keys


def echo_latencies(typed: list[tuple[str, float]], record: dict) -> list[float]:  # type: ignore[type-arg]
    """Key k typed into the empty input shows as an input k characters long."""
    shown_at = {length: at for length, at in record.get("echo", []) if length}
    return [shown_at[k + 1] - pressed for k, (_, pressed) in enumerate(typed)
            if k + 1 in shown_at]


def spread(latencies: list[float]) -> str:
    if len(latencies) < 2:
        return "not enough keys"
    p95 = statistics.quantiles(latencies, n=20)[-1]
    return f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


if __name__ == "__main__":
    main()
