#!/usr/bin/env python3
"""Extract the URLs and citations (DOIs, arXiv ids) in a text and print them deduplicated and
numbered, in order of first appearance: the same text always gives the same list."""

from __future__ import annotations

import argparse
import json
import re
import sys
from urllib.parse import urlsplit, urlunsplit

URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
DOI = re.compile(r"\b(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/[^\s<>\"'`]+)",
                 re.IGNORECASE)
ARXIV = re.compile(r"\barxiv:\s*(\d{4}\.\d{4,5}(?:v\d+)?)", re.IGNORECASE)
TRAILING = ".,;:!?*_"
PAIRS = {")": "(", "]": "[", "}": "{"}
TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref_src)$", re.IGNORECASE)
DEFAULT_PORTS = {"http": "80", "https": "443"}


def trim(url: str) -> str:
    """Drop punctuation that ends the sentence, not the URL; keep a closing bracket the URL
    opened (Wikipedia's `Foo_(bar)`)."""
    while url:
        last = url[-1]
        unopened = last in PAIRS and url.count(last) > url.count(PAIRS[last])
        if not (last in TRAILING or unopened):
            return url
        url = url[:-1]
    return url


def canonical(url: str) -> str:
    """The form two spellings of one source share: lower-case scheme and host, no `www.`,
    default port, fragment, tracking parameters or trailing slash."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and str(parts.port) != DEFAULT_PORTS.get(
        parts.scheme.lower()) else ""
    return urlunsplit(("https", host + port, parts.path.rstrip("/"), untracked(parts.query), ""))


def untracked(query: str) -> str:
    """The query without tracking parameters, the rest exactly as written."""
    return "&".join(pair for pair in query.split("&")
                    if pair and not TRACKING.match(pair.split("=", 1)[0]))


def clean(url: str) -> str:
    """The URL as listed: as written, less tracking parameters."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, untracked(parts.query),
                       parts.fragment))


def find_sources(text: str) -> list[dict[str, object]]:
    """Every source in `text` once, numbered in order of first appearance, with its count."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for match in URL.finditer(text):
        url = trim(match.group())
        if "://" in url and urlsplit(url).hostname:
            found.append((match.start(), url))
            taken.append((match.start(), match.start() + len(url)))
    for match in DOI.finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue  # already part of a URL
        found.append((match.start(), "https://doi.org/" + trim(match.group(1))))
    for match in ARXIV.finditer(text):
        found.append((match.start(), f"https://arxiv.org/abs/{match.group(1)}"))
    first: dict[str, str] = {}
    mentions: dict[str, int] = {}
    for _, url in sorted(found):
        key = canonical(url)
        first.setdefault(key, clean(url))
        mentions[key] = mentions.get(key, 0) + 1
    return [{"n": n, "url": url, "mentions": mentions[key]}
            for n, (key, url) in enumerate(first.items(), start=1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sources", description=__doc__,
        epilog="Reads the files named, else stdin. Two spellings of one URL (http/https, www., "
               "a trailing slash, utm_* parameters, a #fragment) count as one source. DOIs "
               "become https://doi.org/... and arXiv:ID becomes https://arxiv.org/abs/ID.")
    parser.add_argument("files", nargs="*", metavar="FILE", help="text files (default: stdin)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {n, url, mentions}")
    options = parser.parse_args(argv)
    texts = []
    for name in options.files:
        try:
            with open(name, encoding="utf-8", errors="replace") as handle:
                texts.append(handle.read())
        except OSError as error:
            print(f"sources: cannot read {name}: {error.strerror}", file=sys.stderr)
            return 1
    if not options.files:
        texts.append(sys.stdin.read())
    sources = find_sources("\n".join(texts))
    if options.json:
        print(json.dumps(sources, indent=2, ensure_ascii=False))
    else:
        for source in sources:
            print(f"{source['n']}. {source['url']}")
    if not sources:
        print("sources: no URL, DOI or arXiv id found in the input", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
