#!/usr/bin/env python3
"""Turn a plain-text outline on stdin into a Mermaid diagram: the same outline always gives the
same diagram, so diagrams are code, not prose.

Outlines (blank lines are ignored; a leading "- ", "* " or "1. " is dropped):
  flowchart  one step per line, in order. Lines indented under a step are branches from it
             ("yes: Take umbrella" under a step ending in "?" labels the branch). After a step
             with branches, the next step follows the end of each branch. A line repeating an
             earlier step's text is that step (draw loops that way). "Start" and "End" are
             rounded; a step ending in "?" is a decision.
  mindmap    the root on the first line; each level indented under its parent.
  sequence   one message per line: "Sender -> Receiver: message" ("-->" for a reply).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field

KINDS = ("flowchart", "mindmap", "sequence")
BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
TERMINAL = {"start", "begin", "end", "stop", "done", "finish"}
ENDS = {"end", "stop", "done", "finish"}
PLAIN = re.compile(r"^[\w][\w .,'!?&/-]*$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MESSAGE = re.compile(r"^(?P<sender>[^:]+?)\s*(?P<arrow>-->>|->>|-->|->)\s*(?P<receiver>[^:]+?)"
                     r"\s*(?::\s*(?P<text>.*))?$")
ENTITIES = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", ";": "#59;"}
UNSAFE = re.compile("[" + re.escape("".join(ENTITIES)) + "]")
ARROWS = {"->": "->>", "->>": "->>", "-->": "-->>", "-->>": "-->>"}


class OutlineError(Exception):
    """A line the outline cannot use; the message names it."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")


@dataclass
class Item:
    text: str
    line: int
    indent: int
    children: list[Item] = field(default_factory=list)


def escape(text: str) -> str:
    """Text safe inside a Mermaid quoted label or message (entity codes for what would end it
    or be read as HTML or as a statement separator)."""
    return UNSAFE.sub(lambda match: ENTITIES[match.group()], text)


def read_lines(text: str) -> list[Item]:
    items = []
    for number, raw in enumerate(text.splitlines(), start=1):
        expanded = raw.expandtabs(4)
        stripped = BULLET.sub("", expanded.strip())
        if stripped:
            items.append(Item(stripped, number, len(expanded) - len(expanded.lstrip())))
    if not items:
        raise OutlineError(1, "the outline is empty (write it on stdin)")
    return items


def read_tree(text: str) -> list[Item]:
    """Top-level items with their children, from indentation. Siblings must line up."""
    roots: list[Item] = []
    stack: list[Item] = []
    for item in read_lines(text):
        while stack and stack[-1].indent >= item.indent:
            stack.pop()
        siblings = stack[-1].children if stack else roots
        if siblings and siblings[0].indent != item.indent:
            raise OutlineError(item.line, f"indentation ({item.indent} spaces) matches neither "
                               f"the line above it nor line {siblings[0].line}")
        siblings.append(item)
        stack.append(item)
    return roots


def flowchart(text: str, direction: str) -> list[str]:
    ids: dict[str, str] = {}
    shapes: list[str] = []
    edges: list[str] = []

    def node(label: str) -> tuple[str, bool]:
        """The node's id, and whether it existed before (a jump back)."""
        key = label.casefold()
        if key in ids:
            return ids[key], True
        ids[key] = f"n{len(ids) + 1}"
        quoted = f'"{escape(label)}"'
        if key in TERMINAL:
            shape = f"([{quoted}])"
        elif label.endswith("?"):
            shape = f"{{{quoted}}}"
        else:
            shape = f"[{quoted}]"
        shapes.append(f"  {ids[key]}{shape}")
        return ids[key], False

    def edge(source: str, target: str, label: str | None = None) -> None:
        arrow = f"-->|{escape(label)}|" if label else "-->"
        line = f"  {source} {arrow} {target}"
        if line not in edges:
            edges.append(line)

    def walk(item: Item, decision: bool, sources: list[str]) -> list[str]:
        """Draw `item` (reached from `sources`) and its branches; return the ids the next step
        follows. Under a decision, "yes: step" labels the branch."""
        label, branch = item.text, None
        if decision and ":" in label:
            branch, label = (part.strip() for part in label.split(":", 1))
            if not label:
                raise OutlineError(item.line, f"the branch {branch!r} names no step after ':'")
        own, seen = node(label)
        for source in sources:
            edge(source, own, branch)
        if seen:
            return []  # a jump back to an earlier step ends this branch
        if not item.children:
            return [] if label.casefold() in ENDS else [own]
        return [end for child in item.children
                for end in walk(child, label.endswith("?"), [own])]

    previous: list[str] = []
    for item in read_tree(text):
        previous = walk(item, False, previous)
    return [f"flowchart {direction}", *shapes, *edges]


def mindmap(text: str) -> list[str]:
    roots = read_tree(text)
    if len(roots) > 1:
        raise OutlineError(roots[1].line, f"a mindmap has one root (line {roots[0].line}); "
                           "indent this line under it")
    lines = ["mindmap"]
    count = 0

    def label(item: Item, depth: int) -> str:
        nonlocal count
        count += 1
        if depth == 0:
            return f'root(("{escape(item.text)}"))'
        if PLAIN.match(item.text):
            return item.text
        return f'n{count}["{escape(item.text)}"]'

    def walk(item: Item, depth: int) -> None:
        lines.append("  " * (depth + 1) + label(item, depth))
        for child in item.children:
            walk(child, depth + 1)

    walk(roots[0], 0)
    return lines


def sequence(text: str) -> list[str]:
    names: dict[str, str] = {}
    declared: list[str] = []
    messages: list[str] = []

    def participant(name: str) -> str:
        if name not in names:
            names[name] = name if IDENTIFIER.match(name) else f"P{len(names) + 1}"
            alias = "" if names[name] == name else f" as {escape(name)}"
            declared.append(f"  participant {names[name]}{alias}")
        return names[name]

    for item in read_lines(text):
        match = MESSAGE.match(item.text)
        if not match:
            raise OutlineError(item.line, f"expected `Sender -> Receiver: message`, got "
                               f"{item.text!r}")
        sender, receiver = participant(match["sender"]), participant(match["receiver"])
        said = escape((match["text"] or "").strip())
        messages.append(f"  {sender}{ARROWS[match['arrow']]}{receiver}: {said}".rstrip())
    return ["sequenceDiagram", *declared, *messages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mermaid", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Example: printf 'Start\\nWork\\nEnd\\n' | "
                                            "mermaid --kind flowchart")
    parser.add_argument("--kind", choices=KINDS, required=True, help="the kind of diagram")
    parser.add_argument("--direction", choices=("TD", "LR", "BT", "RL"), default="TD",
                        help="flowchart direction (default TD: top down)")
    parser.add_argument("--fence", action="store_true",
                        help="wrap the diagram in a ```mermaid Markdown block")
    options = parser.parse_args(argv)
    text = sys.stdin.read()
    try:
        if options.kind == "flowchart":
            lines = flowchart(text, options.direction)
        elif options.kind == "mindmap":
            lines = mindmap(text)
        else:
            lines = sequence(text)
    except OutlineError as error:
        print(f"mermaid: {error}", file=sys.stderr)
        return 1
    if options.fence:
        lines = ["```mermaid", *lines, "```"]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
