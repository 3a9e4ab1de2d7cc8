"""Upgrade-feed sources for the benchmarks: the real feeds corpus served by the tests' loopback
feed server (tests/fakes/feed_server.py), one server per "host" (its own port, so the fetcher's
per-host limit applies to each), in a process of its own (no GIL shared with the code being
measured). Every other feed has an ETag and a Last-Modified: asked again with them, it answers
304; the others send their whole body every time, as many real servers do.

    python benchmarks/_feed_hosts.py FEEDS HOSTS LATENCY_S

prints one JSON line, {"urls": [...], "validated": [...]}, then serves until stdin closes.
"""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.fakes.feed_server import FeedServer, Route  # noqa: E402

CORPUS = REPO / "tests" / "corpus" / "feeds"
LAST_MODIFIED = "Mon, 30 Nov 2026 12:00:00 GMT"
TYPES = {"json": "application/feed+json"}


def corpus_feeds() -> list[tuple[bytes, str]]:
    """The corpus's documents that are feeds with items (feedparser's count, or a JSON Feed),
    each with its content type, in the listing's order."""
    found = []
    for row in csv.DictReader((CORPUS / "feedparser-6.0.tsv").open(), delimiter="\t"):
        if row["kind"] == "json" or int(row["feedparser_6_0_entries"] or 0) > 0:
            found.append(((CORPUS / row["path"]).read_bytes(),
                          TYPES.get(row["kind"], "application/xml")))
    return found


def main() -> None:
    count, hosts, latency = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    feeds = corpus_feeds()
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(FeedServer()) for _ in range(hosts)]
        urls, validated = [], []
        for number in range(count):
            server = servers[number % hosts]
            body, content_type = feeds[number % len(feeds)]
            with_validators = number % 2 == 0
            server.routes[f"/feed{number}"] = Route(
                body, content_type=content_type, delay=latency,
                etag=f'"v{number}"' if with_validators else None,
                last_modified=LAST_MODIFIED if with_validators else None)
            urls.append(server.url(f"/feed{number}"))
            validated.append(with_validators)
        print(json.dumps({"urls": urls, "validated": validated}), flush=True)
        sys.stdin.read()  # until the benchmark closes it


if __name__ == "__main__":
    main()
