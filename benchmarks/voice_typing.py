"""Typing while agents speak (issue 11): fifty utterances queued at once in the real cockpit in
a pseudo-terminal, said by the default engine (pyttsx3 over espeak-ng) on the speech thread
into a folder (no sound card needed), while keys are typed into the chat input every 100 ms.

Prints key echo p50 and p95 while speaking (target: p95 within 50 ms) and, as the baseline
measured in the same run, with voice off; and how many utterances were said meanwhile.

    python benchmarks/voice_typing.py [--utterances 50] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from _pty import run_in_pty
from _server import ServerProcess
from _setup import bench_home
from stream_realtime import echo_latencies, spread, typist

HERE = Path(__file__).resolve().parent


def measure(env: dict[str, str], mode: str, argument: str, seconds: float,
            ) -> tuple[list[float], dict]:  # type: ignore[type-arg]
    typed: list[tuple[str, float]] = []
    marker: list[Path] = []
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        marker.append(Path(out.name + ".sent"))
        run_in_pty(HERE / "_chat_probe.py", [out.name, mode, argument], env, (120, 40),
                   while_running=typist(marker, seconds, typed))
        record = json.loads(Path(out.name).read_text() or "{}")
        marker[0].unlink(missing_ok=True)
    return echo_latencies(typed, record), record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    with ServerProcess() as server:
        home, env = bench_home(server.anthropic_url)
        idle, _ = measure(env, "idle", str(args.seconds), args.seconds)
        with open(home / "config.toml", "a") as config:
            config.write(f'\n[voice]\nenabled = true\noutput = "folder"\n'
                         f'max_queue = {args.utterances}\nmax_age = 600\n')
        speaking, record = measure(env, "speak", f"{args.utterances}:{args.seconds}",
                                   args.seconds)
    if "said" not in record:
        raise SystemExit(f"the cockpit did not finish: {record}")
    print(f"{args.utterances} utterances queued, {record['said']} said in {args.seconds:g} s "
          f"while {len(speaking)} keys were typed")
    print(f"  key echo while speaking: {spread(speaking)} (target p95 <= 50 ms)")
    print(f"  key echo with voice off: {spread(idle)}")


if __name__ == "__main__":
    main()
