"""Routing speed: route a message with 1,000 generated skills installed (the generator of
`skill_index.py`, PAI routing tables included) plus the bundled ones, against a baseline
measured in the same run: splitting the same message into words and stemming them, which every
route does first. Messages are the labelled set's; each is routed many times, in a shuffled
order, and every call is timed. Target: p95 under 1 ms.

    python benchmarks/route_speed.py [--skills 1000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from route_accuracy import read_labels  # noqa: E402
from skill_index import generate_skills, p95  # noqa: E402

from pai_tui.config import SkillsSettings  # noqa: E402
from pai_tui.paths import bundled  # noqa: E402
from pai_tui.skills.index import load_roots  # noqa: E402
from pai_tui.skills.router import Router  # noqa: E402
from pai_tui.skills.routing_table import RoutingTable, bundled_table_path  # noqa: E402
from pai_tui.skills.text import stems  # noqa: E402

TARGET_US = 1000.0


def per_call_us(function, messages: list[str]) -> list[float]:
    clock = time.perf_counter_ns
    times = []
    for message in messages:
        start = clock()
        function(message)
        times.append((clock() - start) / 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20, help="times each message is routed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pai-route-") as folder:
        generate_skills(Path(folder), args.skills)
        index = load_roots([Path(folder), bundled("skills")])
    start = time.perf_counter()
    router = Router(index, table=RoutingTable.read(bundled_table_path()),
                    settings=SkillsSettings(model_routing=True))
    built = (time.perf_counter() - start) * 1000
    rows = sum(len(skill.routes) for skill in index)
    messages = [label.message for label in read_labels()] * args.rounds
    random.Random(4).shuffle(messages)
    baseline = per_call_us(stems, messages)
    routed = per_call_us(router.route, messages)
    print(f"routing with {len(index)} skills installed ({rows} PAI table rows, "
          f"{len(router.rules)} keyword/regex rules), {len(messages)} routes of "
          f"{len(messages) // args.rounds} messages")
    print(f"  router built in {built:.1f} ms (once per skill index)")
    print(f"  baseline (split and stem the message): p50 {statistics.median(baseline):6.1f} µs"
          f"   p95 {p95(baseline):6.1f} µs")
    print(f"  route (slash, rules, tables, BM25):    p50 {statistics.median(routed):6.1f} µs"
          f"   p95 {p95(routed):6.1f} µs  (target p95 < {TARGET_US:.0f} µs)")
    ratio = statistics.median(routed) / statistics.median(baseline)
    print(f"  ratio route / baseline (p50): {ratio:.1f}")
    by_how: dict[str, list[float]] = {}
    for message, us in zip(messages, routed, strict=True):
        by_how.setdefault(router.route(message).how, []).append(us)
    for how, times in sorted(by_how.items()):
        print(f"    decided by {how:<6} {len(times):5} routes   "
              f"p50 {statistics.median(times):6.1f} µs   p95 {p95(times):6.1f} µs")
    scored = [m for m in dict.fromkeys(messages) if not m.lstrip().startswith("/")]
    forced = per_call_us(router.score, scored * args.rounds)
    print(f"  the scorer alone on every message (as if no rule matched): "
          f"p50 {statistics.median(forced):6.1f} µs   p95 {p95(forced):6.1f} µs")


if __name__ == "__main__":
    main()
