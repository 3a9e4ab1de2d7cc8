"""Routing accuracy: the deterministic router's top-1 accuracy over the labelled messages in
`routing_labels.tsv` (expected skill, or "plain chat"), with the bundled skills and the bundled
routing table, model routing off. Prints the accuracy against the target, each miss with the
decision's reason, and the accuracy at other thresholds (for tuning `skills.threshold`).

`routing_holdout.tsv` holds 50 more messages, written midway through tuning; no trigger, word
list or label was changed because of them (the grid that chose the scorer's two factors printed
their accuracy beside the main set's). Their accuracy is the better estimate for new messages.
The main set's lines 146 on are short or incidental messages ("alpha question", "the red team won
the match", colour names, code, markup) and brief real requests ("tldr this"), labelled before
the scorer's evidence rule was written; lines 200 on are probes labelled during that work.
In the labels files a literal `\\n` stands for a line break inside a message and a literal
`\\x1b` for the escape character (terminal colour codes pasted into chat).

    python benchmarks/route_accuracy.py [--threshold 0.5] [--sweep]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pai_tui.config import SkillsSettings  # noqa: E402
from pai_tui.paths import bundled  # noqa: E402
from pai_tui.skills.index import load_roots  # noqa: E402
from pai_tui.skills.router import RouteDecision, Router  # noqa: E402
from pai_tui.skills.routing_table import RoutingTable, bundled_table_path  # noqa: E402

LABELS = Path(__file__).with_name("routing_labels.tsv")
HOLDOUT = Path(__file__).with_name("routing_holdout.tsv")
TARGET = 0.95
PLAIN = "plain chat"


@dataclass(frozen=True)
class Label:
    line: int
    message: str
    expected: str  # a skill name or "plain chat"


def read_labels(path: Path = LABELS) -> list[Label]:
    labels = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if number == 1 or not raw.strip():
            continue  # the header
        message, expected = raw.split("\t")
        message = message.replace("\\n", "\n").replace("\\x1b", "\x1b")
        labels.append(Label(number, message, expected.strip()))
    return labels


def bundled_router(threshold: float | None = None) -> Router:
    settings = SkillsSettings() if threshold is None else SkillsSettings(threshold=threshold)
    index = load_roots([bundled("skills")])
    return Router(index, table=RoutingTable.read(bundled_table_path()), settings=settings)


def got(decision: RouteDecision) -> str:
    return decision.skill or PLAIN


Miss = tuple[Label, str, RouteDecision]  # the label, what the router chose, its decision


def accuracy(router: Router, labels: list[Label]) -> tuple[float, list[Miss]]:
    """Top-1 accuracy over `labels`, and the misses."""
    misses = []
    for label in labels:
        decision = router.route(label.message)
        if got(decision) != label.expected:
            misses.append((label, got(decision), decision))
    return 1 - len(misses) / len(labels), misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=None,
                        help="the confidence threshold (default: the config default)")
    parser.add_argument("--sweep", action="store_true", help="also try thresholds 0.1..0.9")
    args = parser.parse_args()
    labels = read_labels()
    router = bundled_router(args.threshold)
    score, misses = accuracy(router, labels)
    plain = sum(label.expected == PLAIN for label in labels)
    print(f"routing accuracy over {len(labels)} labelled messages "
          f"({plain} plain chat, {len(labels) - plain} for {len(router.skills)} bundled skills), "
          f"threshold {router.settings.threshold:.2f}")
    print(f"  top-1 accuracy: {score:.1%}  (target >= {TARGET:.0%})")
    by_how: dict[str, int] = {}
    for label in labels:
        how = router.route(label.message).how
        by_how[how] = by_how.get(how, 0) + 1
    print("  decided by: " + ", ".join(f"{how} {count}" for how, count in sorted(by_how.items())))
    for label, answer, decision in misses:
        shown = label.message.replace("\n", "\\n")
        shown = shown if len(shown) <= 70 else shown[:67] + "..."
        print(f"  miss line {label.line}: expected {label.expected}, got {answer}: {shown}")
        print(f"      {decision.reasons[0] if decision.reasons else decision.how}")
    held_out, held_misses = accuracy(router, read_labels(HOLDOUT))
    print(f"  held-out set ({HOLDOUT.name}): {held_out:.1%} "
          f"({len(held_misses)} misses)")
    if args.sweep:
        print("  by threshold:")
        for tenth in range(1, 10):
            value, missed = accuracy(bundled_router(tenth / 10), labels)
            print(f"    {tenth / 10:.1f}: {value:.1%} ({len(missed)} misses)")


if __name__ == "__main__":
    main()
