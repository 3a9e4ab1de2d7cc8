#!/usr/bin/env python3
"""Split a long text into numbered chunks of at most N words, cut between words and keeping the
text's own line breaks, for summarizing in parts (map, then reduce)."""

from __future__ import annotations

import argparse
import json
import re
import sys

WORD = re.compile(r"\S+")


def chunks(text: str, size: int) -> list[dict[str, object]]:
    """Each chunk: its number, first and last word numbers (from 1), and its text exactly as in
    the input (surrounding blank space trimmed)."""
    starts = [match.start() for match in WORD.finditer(text)]
    result = []
    for first in range(0, len(starts), size):
        last = min(first + size, len(starts))
        end = starts[last] if last < len(starts) else len(text)
        result.append({"chunk": len(result) + 1, "first_word": first + 1, "last_word": last,
                       "text": text[starts[first]:end].strip()})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chunk", description=__doc__,
        epilog="Each chunk is printed under a line `--- chunk K/N (words A-B) ---`. "
               "Example: chunk --words 3000 < book.txt")
    parser.add_argument("--words", type=int, default=500, metavar="N",
                        help="words per chunk (default 500)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of {chunk, first_word, last_word, text}")
    options = parser.parse_args(argv)
    if options.words <= 0:
        parser.error(f"--words must be above 0, not {options.words}")
    parts = chunks(sys.stdin.read(), options.words)
    if options.json:
        print(json.dumps(parts, indent=2, ensure_ascii=False))
        return 0
    if not parts:
        print("chunk: the input has no words", file=sys.stderr)
        return 1
    for part in parts:
        print(f"--- chunk {part['chunk']}/{len(parts)} "
              f"(words {part['first_word']}-{part['last_word']}) ---")
        print(part["text"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
