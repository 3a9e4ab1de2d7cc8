"""Polling 200 upgrade sources (issue 12): the real feeds corpus served by loopback servers on
8 ports (8 hosts: the fetcher asks each at most 2 at a time), each answer after 100 ms (a
network's round trip), every other feed answering 304 to the second poll's conditional GET.

Prints, first for `pai upgrade fetch`'s work in this process (upgrade/feed.py UpgradeFeed.fetch:
fetch, parse in a thread, store, rank every item, on a real SQLite store), for a first poll and
a second (conditional) one, the wall time against a baseline measured in the same run: the same
requests (the same conditional headers, the same per-host limit) by a bare httpx2 client that
reads the bodies and does nothing with them. The ratio says what pai's own work costs.

Then the real cockpit in a pseudo-terminal: the Upgrades pane's fetch of the same 200 sources
(the palette's upgrades.fetch), a first poll and, in a second run, the conditional one, while
keys are typed into the chat input every 100 ms: key echo p50 and p95 from the fetch's start
until the pane shows the new list (target: p95 within 50 ms), against the same with nothing
fetching; and the cockpit's CPU time over the poll.

    python benchmarks/poll_speed.py [--sources 200] [--hosts 8] [--latency 0.1]
                                    [--part all|headless|cockpit]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from _pty import run_in_pty
from _server import ServerProcess
from _setup import REPO, bench_home
from rank_speed import TOPICS
from stream_realtime import spread, typist

HERE = Path(__file__).resolve().parent
PER_HOST = 2  # upgrade/fetch.py's PER_HOST, which the baseline keeps too
TARGET_P95_MS = 50.0


class FeedHosts:
    """benchmarks/_feed_hosts.py in a process of its own."""

    def __init__(self, sources: int, hosts: int, latency: float):
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "_feed_hosts.py"), str(sources), str(hosts),
             str(latency)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        served = json.loads(self.process.stdout.readline())
        self.urls: list[str] = served["urls"]

    def __enter__(self) -> FeedHosts:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)


def prepare_home(home: Path, urls: list[str]) -> None:
    """The sources (the bundled ones turned off: no internet) and 30 goals to rank against."""
    from pai_tui.upgrade.sources import load_sources

    bundled = [source.name for source in load_sources(Path(tempfile.mkdtemp()))[0]]
    lines = [f"disabled = {json.dumps(bundled)}", ""]
    for number, url in enumerate(urls):
        lines += ["[[source]]", f'name = "feed {number}"', 'kind = "feed"', f'url = "{url}"', ""]
    home.mkdir(parents=True, exist_ok=True)
    (home / "sources.toml").write_text("\n".join(lines))
    (home / "telos").mkdir(exist_ok=True)
    (home / "telos" / "TELOS.md").write_text("# Goals\n\n" + "".join(
        f"## G{n + 1} {TOPICS[n % len(TOPICS)]}\n{TOPICS[(n * 5 + 3) % len(TOPICS)]}\n\n"
        for n in range(30)))


Validators = dict[str, tuple[str | None, str | None]]


async def bare_poll(urls: list[str], validators: Validators) -> Validators:
    """The baseline: each URL fetched (conditionally, if `validators` has it) by a bare httpx2
    client, at most PER_HOST at once per host, the body read and dropped; what to send next."""
    import httpx2

    gates: dict[str, asyncio.Semaphore] = {}
    seen: Validators = {}

    async def one(client: httpx2.AsyncClient, url: str) -> None:
        etag, modified = validators.get(url, (None, None))
        headers = {name: value for name, value in (("if-none-match", etag),
                                                   ("if-modified-since", modified)) if value}
        async with gates.setdefault(urlparse(url).netloc, asyncio.Semaphore(PER_HOST)):
            response = await client.get(url, headers=headers)
        seen[url] = (etag, modified) if response.status_code == 304 else (
            response.headers.get("etag"), response.headers.get("last-modified"))

    async with httpx2.AsyncClient(timeout=20, follow_redirects=True) as client:
        await asyncio.gather(*(one(client, url) for url in urls))
    return seen


def measure_headless(urls: list[str]) -> list[tuple[str, float, float, float, float, str]]:
    """(poll, baseline s, pai s, pai polling s, pai CPU s, outcomes) for a first and a second
    poll, in this process, on a new PAI_HOME."""
    from pai_tui import events
    from pai_tui.config import load_config
    from pai_tui.history.service import History
    from pai_tui.upgrade.feed import UpgradeFeed

    home = Path(tempfile.mkdtemp(prefix="pai-bench-poll-"))
    prepare_home(home, urls)
    os.environ["PAI_HOME"] = str(home)
    os.environ.pop("PAI_DATABASE_URL", None)
    config = load_config()
    history = History(config, events.Bus())
    feed = UpgradeFeed(config, history)
    rows = []

    async def run() -> None:
        await history.run(lambda store: None)  # opened and migrated before the clock starts
        validators: Validators = {}
        polled_at: list[float] = []

        def told(done: int, total: int, _: object) -> None:
            if done == total:
                polled_at.append(time.perf_counter())

        for name in ("first poll", "second poll"):
            began = time.perf_counter()
            validators = await bare_poll(urls, validators)
            baseline = time.perf_counter() - began
            cpu, began = time.process_time(), time.perf_counter()
            polled = await feed.fetch(told)
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
            outcomes: dict[str, int] = {}
            for each in polled:
                outcomes[each.outcome] = outcomes.get(each.outcome, 0) + 1
            new = sum(each.new for each in polled)
            said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
            rows.append((name, baseline, wall, polled_at[-1] - began, cpu,
                         f"{said}; {new:,} new items"))

    asyncio.run(run())
    return rows


def keys_during(typed: list[tuple[str, float]], record: dict) -> list[float]:  # type: ignore[type-arg]
    """Echo latencies of the keys pressed from the fetch's start until the pane showed the new
    list (key k shows as an input k characters long)."""
    shown_at = {length: at for length, at in record.get("echo", []) if length}
    start = float(record.get("fetch_start", 0))
    end = float(record.get("shown", record.get("fetch_end", 0)))
    return [shown_at[k + 1] - pressed for k, (_, pressed) in enumerate(typed)
            if k + 1 in shown_at and start <= pressed <= end]


def in_cockpit(env: dict[str, str], mode: str, seconds: float) -> tuple[list[float], dict]:  # type: ignore[type-arg]
    typed: list[tuple[str, float]] = []
    marker: list[Path] = []
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        marker.append(Path(out.name + ".sent"))
        run_in_pty(HERE / "_chat_probe.py", [out.name, mode, f"{seconds:g}"], env, (160, 45),
                   while_running=typist(marker, seconds, typed))
        record = json.loads(Path(out.name).read_text() or "{}")
        marker[0].unlink(missing_ok=True)
    if mode == "idle":
        record["fetch_start"], record["fetch_end"] = 0, float("inf")
    elif "fetch_end" not in record or set(record.get("outcomes", [])) <= {"failed"}:
        raise SystemExit("the cockpit's fetch did not end, or every source failed: "
                         f"{record.get('outcomes')} {record.get('errors')}")
    return keys_during(typed, record), record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds before each answer")
    parser.add_argument("--part", choices=("all", "headless", "cockpit"), default="all")
    args = parser.parse_args()
    with FeedHosts(args.sources, args.hosts, args.latency) as hosts:
        rows = measure_headless(hosts.urls) if args.part != "cockpit" else []
        print(f"{args.sources} sources on {args.hosts} hosts ({PER_HOST} requests at once per "
              f"host, {args.latency * 1000:.0f} ms per answer), half answering 304 when asked "
              "again")
        for name, baseline, wall, polling, cpu, outcomes in rows:
            print(f"  {name}: bare httpx2 {baseline:.2f} s; pai upgrade fetch {wall:.2f} s "
                  f"(ratio {wall / baseline:.2f}; polling {polling:.2f} s, ranking after "
                  f"{wall - polling:.2f} s; CPU {cpu:.2f} s): {outcomes}")
        if args.part == "headless":
            return
        # Typing for longer than the fetch takes.
        seconds = max(6.0, 2 * rows[0][2] + 3) if rows else 20.0
        with ServerProcess() as server:
            home, env = bench_home(server.anthropic_url)
            prepare_home(home, hosts.urls)
            idle, _ = in_cockpit(env, "idle", seconds)
            print(f"the cockpit (a pseudo-terminal, 160x45), keys typed every 100 ms; "
                  f"nothing fetching: key echo {spread(idle)}")
            for name in ("first poll", "second poll"):
                latencies, record = in_cockpit(env, "fetch", seconds)
                wall = float(record["fetch_end"]) - float(record["fetch_start"])
                cpu = float(record["fetch_cpu_end"]) - float(record["fetch_cpu_start"])
                polling = float(record.get("polled_at", record["fetch_end"])) - \
                    float(record["fetch_start"])
                listed = float(record.get("shown", record["fetch_end"])) - \
                    float(record["fetch_end"])
                print(f"  {name}: fetch {wall:.2f} s (polling {polling:.2f} s; the list shown "
                      f"{listed * 1000:.0f} ms after, drawn in "
                      f"{float(record.get('show_s', 0)) * 1000:.0f} ms), "
                      f"{len(latencies)} keys typed meanwhile: key echo {spread(latencies)} "
                      f"(target p95 <= {TARGET_P95_MS:.0f} ms); cockpit CPU {cpu:.2f} s, "
                      f"{cpu / wall:.0%} of one core")
                start = float(record["fetch_start"])
                stalls = sorted(record.get("stalls", []), key=lambda stall: -stall[1])[:3]
                marks = {"polled": record.get("polled_at"), "ranked": record["fetch_end"],
                         "listed": record.get("shown")}
                print("    the UI loop's longest stalls: " + ", ".join(
                    f"{late * 1000:.0f} ms at {at - start:.2f} s" for at, late in stalls)
                    + " (" + ", ".join(f"{mark} at {float(when) - start:.2f} s"
                                       for mark, when in marks.items() if when) + ")")


if __name__ == "__main__":
    main()
