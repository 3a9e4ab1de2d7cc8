"""Lenient reading of a SKILL.md's YAML frontmatter, the way real skills are written.

Real files start with a BOM, an HTML comment or blank lines, use CRLF, and put an unquoted `: `
in a description (invalid YAML that Claude Code loads anyway). All of these load here, with a
warning where another tool would fail; what cannot be understood raises `FrontmatterError` with
the line in the SKILL.md and the problem in words.

Speed: most frontmatter is a few `key: plain text` lines. Those are read by a fast path that
gives exactly what PyYAML would (a test compares both over the real-world corpus); anything else
goes to PyYAML, imported on first need (it costs ~20 ms to import).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pai_tui.skills.model import Finding


class FrontmatterError(Exception):
    """A SKILL.md whose frontmatter cannot be understood. `str()` says what and where."""

    def __init__(self, message: str, line: int | None = None):
        self.message, self.line = message, line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass
class Frontmatter:
    fields: dict[str, Any]
    start_line: int  # the line of the opening `---`
    body_line: int  # the first line after the closing `---`
    warnings: list[Finding] = field(default_factory=list)
    # The YAML lines between the fences, for finding where a field is written.
    source: list[str] = field(default_factory=list, repr=False)

    def line_of(self, key: str, sub: str | None = None) -> int:
        """The line where top-level `key` (or `key`'s nested `sub`) is written; the opening
        `---` when it is not written at all."""
        top = _find_key(self.source, key, 0, len(self.source), indented=False)
        if top is None:
            return self.start_line
        if sub is not None:
            end = next((i for i in range(top + 1, len(self.source))
                        if self.source[i][:1] not in ("", " ", "\t", "#")), len(self.source))
            nested = _find_key(self.source, sub, top + 1, end, indented=True)
            if nested is not None:
                top = nested
        return self.start_line + 1 + top


def _find_key(lines: list[str], key: str, start: int, end: int, indented: bool) -> int | None:
    for index in range(start, end):
        match = _KEY_AT.match(lines[index])
        if match and match["key"].strip("'\"") == key and bool(match["indent"]) == indented:
            return index
    return None


_KEY_AT = re.compile(r"(?P<indent>[ \t]*)(?P<key>[^\s#:][^:]*?)[ \t]*:(?:[ \t]|$)")


def _is_fence(line: str) -> bool:
    """`---`, perhaps with trailing blanks: where frontmatter starts and ends."""
    return line.startswith("---") and line.rstrip(" \t") == "---"


def decode(data: bytes) -> str:
    """UTF-8 text without a BOM; `FrontmatterError` (saying where) when it is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise FrontmatterError(f"not UTF-8 text ({error.reason} at byte {error.start})",
                               line) from None
    return text[1:] if text.startswith("\ufeff") else text


def normalize(text: str) -> str:
    """Text without a BOM and with LF line ends, as `Skill.body()` counts lines."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n") if "\r" in text else text


def split_lines(text: str) -> list[str]:
    """Lines as `Skill.body()` counts them (CRLF and LF alike)."""
    return normalize(text).split("\n")


_HEAD_LINES = 100


def parse_frontmatter(text: str, path: Path) -> Frontmatter:
    """The frontmatter of a SKILL.md's text; warnings name `path`. Only the lines up to the
    closing `---` are split off (bodies can be long)."""
    text = normalize(text)
    head = _fenced_head(text)
    if head is not None:
        return _parse_lines(head, path, fenced=True)
    lines = text.split("\n", _HEAD_LINES)
    if len(lines) <= _HEAD_LINES:
        return _parse_lines(lines, path)
    try:
        return _parse_lines(lines, path)
    except FrontmatterError:  # the frontmatter may end further down
        return _parse_lines(text.split("\n"), path)


def _fenced_head(text: str) -> list[str] | None:
    """The lines up to the closing `---` of a text whose first line is `---` (most files), found
    with `str.find` instead of splitting a hundred lines; None for any other text."""
    first = text.find("\n")
    if first < 0 or not _is_fence(text[:first]):
        return None
    position = first
    while (position := text.find("\n---", position)) >= 0:
        end = text.find("\n", position + 1)
        end = len(text) if end < 0 else end
        if _is_fence(text[position + 1:end]):
            return text[:end].split("\n")
        position = end
    return None


def _parse_lines(lines: list[str], path: Path, fenced: bool = False) -> Frontmatter:
    """The frontmatter in `lines`; `fenced`: they are exactly the frontmatter with its fences."""
    if fenced:
        opening, skipped_comment, closing = 0, False, len(lines) - 1
    else:
        opening, skipped_comment = _opening_fence(lines)
        closing = next((i for i in range(opening + 1, len(lines)) if _is_fence(lines[i])),
                       None)
    if closing is None:
        raise FrontmatterError("the frontmatter is not closed: no '---' line after it",
                               opening + 1)
    source = lines[opening + 1:closing]
    result = Frontmatter({}, opening + 1, closing + 2, source=source)
    if opening:
        what = "an HTML comment" if skipped_comment else "blank lines"
        result.warnings.append(Finding(
            path, f"the frontmatter starts on line {opening + 1}, after {what}; tools that "
                  f"expect '---' on line 1 will not see it", opening + 1))
    fields = fast_fields(source)
    if fields is None:  # (the fast path leaves duplicate keys to this one)
        fields = _yaml_fields(source, result, path)
        _warn_duplicates(result, path)
    result.fields = fields
    return result


def _opening_fence(lines: list[str]) -> tuple[int, bool]:
    """The index of the opening `---`, skipping blank lines and HTML comments before it."""
    index, comment = 0, False
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped:
            index += 1
        elif stripped.startswith("<!--"):
            comment = True
            end = index
            while end < len(lines) and "-->" not in lines[end]:
                end += 1
            if end == len(lines):
                raise FrontmatterError("an HTML comment ('<!--') is never closed with '-->'",
                                       index + 1)
            if lines[end].split("-->", 1)[1].strip():
                raise FrontmatterError("no frontmatter: text follows the HTML comment on the "
                                       "same line; the file must start with a '---' line",
                                       end + 1)
            index = end + 1
        elif _is_fence(lines[index]):
            return index, comment
        else:
            raise FrontmatterError(
                "no frontmatter: the file must start with a '---' line, then 'name:' and "
                "'description:' lines, then another '---'", index + 1)
    raise FrontmatterError("no frontmatter: the file is empty", 1)


def _warn_duplicates(result: Frontmatter, path: Path) -> None:
    seen: dict[str, int] = {}
    for index, line in enumerate(result.source):
        match = _KEY_AT.match(line)
        if not match or match["indent"]:
            continue
        key = match["key"].strip("'\"")
        if key in seen:
            result.warnings.append(Finding(
                path, f"field '{key}' is written twice (lines {seen[key]} and "
                      f"{result.start_line + 1 + index}); the last one is used",
                result.start_line + 1 + index))
        else:
            seen[key] = result.start_line + 1 + index


# --- the fast path ---------------------------------------------------------------------------

_SIMPLE_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_PAIR = re.compile(rf"({_SIMPLE_KEY}):(?: +(.*))?")
_NESTED_PAIR = re.compile(rf"( +)({_SIMPLE_KEY}):(?: +(.*))?")
# Words YAML 1.1 (PyYAML) reads as booleans or null, in any casing for safety.
_NOT_TEXT = {"yes", "no", "true", "false", "on", "off", "null", "~", "", "=", "<<"}
# Characters PyYAML refuses or reads as line breaks (tabs too: PyYAML and libyaml differ).
_ODD = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
_ODD_CHARACTER = f"[{_ODD}]"
# The rarely needed expressions are patterns, compiled (and cached by `re`) on first use: those
# naming the _ODD characters cost about a millisecond each to compile, and most text takes the
# string shortcuts of `_safe_plain` and `_no_odd`.
# Plain text YAML keeps as it is: no indicator first, no ': ' or ' #' inside, no ':' last.
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`+.~<="
_SAFE_PLAIN = \
    rf"""(?![{re.escape(_INDICATORS)}])(?:[^:#{_ODD}]|:(?=[^\s{_ODD}])|(?<! )\#)*(?<!:)"""
# What PyYAML's resolver reads as an int, a float or a date when a plain scalar starts with a
# digit (resolver.py, YAML 1.1); any other such scalar is text. (re.VERBOSE)
_NUMBER = r"""
    [0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
  | [0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
  | 0b[0-1_]+ | 0[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+
  | [1-9][0-9_]*(?::[0-5]?[0-9])+
  | [0-9]{4}-[0-9]{2}-[0-9]{2}
  | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?
    (?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?
"""
_WORD = r"[A-Za-z_][A-Za-z0-9_./-]*"
_FLOW_LIST = re.compile(rf"\[ *({_WORD}(?: *, *{_WORD})*)? *\]")
_LIST_ITEM = re.compile(r"( +)- +(\S.*)")
_NOT_SIMPLE = object()


def fast_fields(source: list[str]) -> dict[str, Any] | None:
    """The fields of simple frontmatter, or None to let YAML decide: the result is exactly what
    PyYAML's SafeLoader gives. Simple: `key: value` lines whose values are text (plain, quoted
    without escapes, or on several lines), `>`/`|` blocks, `[word, ...]` and `- item` lists
    (an item may be a map of one-line text, as in `authors:` lists), and one level of pairs
    nested under a `key:` line (as in `metadata:`), their values one-line text or such lists."""
    fields: dict[str, Any] = {}
    index, end = 0, len(source)
    while index < end:
        line = source[index]
        index += 1
        if not line or line[0] == "#":
            continue
        match = _PAIR.fullmatch(line)
        if not match or match[1] in fields or match[1].lower() in _NOT_TEXT:
            return None
        block_start = index
        while index < end and source[index][:1] == " ":
            index += 1
        value = _value(match[2] or "", source[block_start:index], at_end=index == end)
        if value is _NOT_SIMPLE:
            return None
        fields[match[1]] = value
    return fields


def _value(raw: str, block: list[str], at_end: bool) -> Any:
    """What YAML reads from `raw` (after `key:`) and the indented lines that follow it."""
    raw = raw.rstrip(" ")
    if not block:
        return None if not raw else _plain(raw)
    if raw in (">", ">-", "|", "|-"):
        return _block_scalar(raw, block, at_end)
    if not raw and _NESTED_PAIR.fullmatch(block[0]):
        return _nested(block)
    if not raw and block[0].lstrip(" ").startswith("- "):
        return _block_list(block)
    lines = [raw, *(line.strip(" ") for line in block)] if raw else [x.strip(" ") for x in block]
    if not all(_safe_plain(x) for x in lines):
        return _NOT_SIMPLE
    return _plain(" ".join(lines))  # a plain scalar on several lines: folded with spaces


def _block_scalar(style: str, block: list[str], at_end: bool) -> Any:
    """A `>` (folded) or `|` (literal) block whose lines share one indentation, each holding
    text that neither ends with a space nor has an _ODD character."""
    contents = [line.lstrip(" ") for line in block]
    indents = {len(line) - len(line.lstrip(" ")) for line in block}
    if len(indents) != 1 or not all(c and c[-1] != " " and _no_odd(c) for c in contents):
        return _NOT_SIMPLE
    text = (" " if style[0] == ">" else "\n").join(contents)
    # Clipping keeps the last line break, which the last line of the text does not have.
    return text if style.endswith("-") or at_end else text + "\n"


def _block_list(block: list[str]) -> Any:
    """`- item` lines sharing one indentation, each item one-line text, or a map of one-line
    text: `- key: text`, then `key: text` lines under that first key."""
    items: list[Any] = []
    dash: str | None = None
    index = 0
    while index < len(block):
        match = _LIST_ITEM.fullmatch(block[index])
        if not match or dash not in (None, match[1]):
            return _NOT_SIMPLE
        dash, start = match[1], index + 1
        index = _block_end(block, start, len(dash))
        item = _item(match[2], block[start:index], len(block[start - 1]) - len(match[2]))
        if item is _NOT_SIMPLE:
            return _NOT_SIMPLE
        items.append(item)
    return items


def _item(text: str, more: list[str], column: int) -> Any:
    """A list item whose text starts at `column`: one-line text (not a list), or a map when it
    is `key: text`, its other pairs on the `more` lines, each at that column."""
    pair = _PAIR.fullmatch(text)
    if pair is None:
        value = _plain(text)
        return _NOT_SIMPLE if more or isinstance(value, list) else value
    pairs = [(pair[1], pair[2])]
    for line in more:
        match = _NESTED_PAIR.fullmatch(line)
        if not match or len(match[1]) != column:
            return _NOT_SIMPLE
        pairs.append((match[2], match[3]))
    mapping: dict[str, Any] = {}
    for key, raw in pairs:
        value = _plain(raw) if raw else None
        if key in mapping or key.lower() in _NOT_TEXT or value is _NOT_SIMPLE:
            return _NOT_SIMPLE
        mapping[key] = value
    return mapping


def _nested(block: list[str]) -> Any:
    """One level of `key: value` pairs sharing one indentation; a value is one-line text, or a
    list on the deeper lines under a `key:` line."""
    mapping: dict[str, Any] = {}
    indent = None
    index = 0
    while index < len(block):
        match = _NESTED_PAIR.fullmatch(block[index])
        if (not match or match[2] in mapping or match[2].lower() in _NOT_TEXT
                or indent not in (None, match[1])):
            return _NOT_SIMPLE
        indent, start = match[1], index + 1
        index = _block_end(block, start, len(indent))
        if index > start:  # deeper lines: a list, if the key has no value on its line
            value = _NOT_SIMPLE if match[3] else _block_list(block[start:index])
        else:
            value = _plain(match[3]) if match[3] else None
        if value is _NOT_SIMPLE:
            return _NOT_SIMPLE
        mapping[match[2]] = value
    return mapping


def _block_end(block: list[str], start: int, indent: int) -> int:
    """The index of the first line from `start` on indented `indent` spaces or less."""
    while start < len(block) and len(block[start]) - len(block[start].lstrip(" ")) > indent:
        start += 1
    return start


def _plain(value: str) -> Any:
    """What YAML reads from a one-line scalar when that is text (or a list of words), else
    _NOT_SIMPLE."""
    value = value.strip(" ")
    first = value[:1]
    if first == '"' or first == "'":
        return _quoted(value)
    if first == "[":
        words = _FLOW_LIST.fullmatch(value)
        if words is None:
            return _NOT_SIMPLE
        items = [w.strip(" ") for w in words[1].split(",")] if words[1] else []
        return _NOT_SIMPLE if any(w.lower() in _NOT_TEXT for w in items) else items
    if (value.lower() in _NOT_TEXT or not _safe_plain(value)
            or (first.isdigit() and (first > "9" or re.fullmatch(_NUMBER, value, re.VERBOSE)))):
        return _NOT_SIMPLE
    return value


def _quoted(value: str) -> Any:
    """The text of a one-line quoted scalar without escapes (`"..."` holding no `"` or `\\`,
    `'...'` with `''` for a quote) and no _ODD character, else _NOT_SIMPLE."""
    inner = value[1:-1]
    if len(value) < 2 or value[-1] != value[0] or not _no_odd(inner):
        return _NOT_SIMPLE
    if value[0] == '"':
        return _NOT_SIMPLE if '"' in inner or "\\" in inner else inner
    return _NOT_SIMPLE if "'" in inner.replace("''", "") else inner.replace("''", "'")


def _safe_plain(text: str) -> bool:
    """`_SAFE_PLAIN.fullmatch(text)`, without the regular expression for printable text holding
    no ':' or '#' (most descriptions; several times faster): every _ODD character is one that
    `str.isprintable` refuses."""
    if text.isprintable() and ":" not in text and "#" not in text:
        return not text or text[0] not in _INDICATORS
    return re.fullmatch(_SAFE_PLAIN, text) is not None


def _no_odd(text: str) -> bool:
    """Whether `text` holds no _ODD character (printable text, the usual case, holds none)."""
    return text.isprintable() or re.search(_ODD_CHARACTER, text) is None


# --- YAML, with the quoting fallback -----------------------------------------------------------

def _yaml_fields(source: list[str], result: Frontmatter, path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    lines = list(source)
    first_error: dict[int, FrontmatterError] = {}  # the user's own problem, per quoted line
    while True:
        try:
            data = _load_bounded("\n".join(lines), loader, result.start_line + 1)
            break
        except yaml.YAMLError as error:
            index, problem = _describe(error, lines, result.start_line + 1)
            failure = FrontmatterError(f"invalid YAML in the frontmatter: {problem}",
                                       result.start_line + 1 + index if index is not None
                                       else result.start_line)
            owner = _owning_pair(lines, index) if index is not None else None
            if owner is None:
                raise failure from None
            if owner in first_error:  # quoting did not help: report the problem as written
                raise first_error[owner] from None
            first_error[owner] = failure
            key = _quote_value(lines, owner)
            result.warnings.append(Finding(
                path, f"the value of '{key}' is not valid YAML ({problem}); it was read as "
                      f"quoted text: put it in quotes to silence this",
                result.start_line + 1 + owner))
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the text {str(data)[:40]!r}"
        raise FrontmatterError(f"the frontmatter is {kind}, not 'key: value' fields",
                               result.start_line + 1)
    return {k if isinstance(k, str) else str(k): v for k, v in data.items()}


# --- aliases: a "billion laughs" is refused -------------------------------------------------

# Values a frontmatter may hold once its aliases (`*name`) are expanded. Real frontmatter holds
# tens; nine levels of ten aliases hold a billion, and turning them into text hangs pai.
MAX_YAML_VALUES = 10_000


def _load_bounded(text: str, loader_class: Any, first_line: int) -> Any:
    """`yaml.load`, refusing aliases that expand beyond MAX_YAML_VALUES or refer to the value
    holding them. YAML shares an aliased value instead of copying it, so loading is cheap; the
    cost comes later, when something walks the value. So the graph of YAML nodes is measured
    (each shared node once) before any Python value is made from it."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, first_line)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: Any, first_line: int) -> None:
    """`FrontmatterError` on the top-level field (its line) whose aliases expand too far."""
    sizes: dict[int, int] = {}
    pairs = root.value if root.id == "mapping" else []
    for key, value in pairs or [(None, root)]:
        where = first_line + (key.start_mark.line if key is not None else 0)
        name = f"'{key.value}'" if key is not None and isinstance(key.value, str) else "a value"
        try:
            size = _expanded_size(value, sizes)
        except _Loop:
            raise FrontmatterError(f"{name} holds an alias (*name) that refers to itself, so "
                                   f"it never ends: write the value out", where) from None
        if size > MAX_YAML_VALUES:
            raise FrontmatterError(
                f"{name} expands through YAML aliases (*name) to more than "
                f"{MAX_YAML_VALUES:,} values (a 'billion laughs'?): refused; write the values "
                f"out", where)


class _Loop(Exception):
    """An alias inside the value it names."""


def _expanded_size(root: Any, sizes: dict[int, int]) -> int:
    """How many values `root` holds with every alias expanded, counting past the bound no
    further. Iterative (a deep nesting must not overflow Python's stack) and linear in the
    distinct nodes: `sizes` remembers each shared node's count."""
    cap = MAX_YAML_VALUES + 1
    open_nodes: set[int] = set()  # on the current path: meeting one again is a loop
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        children = _children(node)
        if finished:
            open_nodes.discard(id(node))
            sizes[id(node)] = min(cap, 1 + sum(sizes[id(child)] for child in children))
        elif id(node) in open_nodes:
            raise _Loop
        elif id(node) not in sizes:
            open_nodes.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: Any) -> list[Any]:
    if node.id == "mapping":  # (key, value) pairs
        return [part for pair in node.value for part in pair]
    return node.value if node.id == "sequence" else []


def _describe(error: Exception, lines: list[str], first_line: int) -> tuple[int | None, str]:
    """(0-based line in the YAML text, the problem in words) of a PyYAML or libyaml error."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    index: int | None = mark.line if mark is not None else None
    problem = str(getattr(error, "problem", None) or "")
    if not problem:  # a ReaderError: a character YAML does not accept
        position = getattr(error, "position", 0) or 0
        index = "\n".join(lines)[:position].count("\n")
        character = getattr(error, "character", "")
        code = ord(character) if isinstance(character, str) and character else character
        return index, f"a control character (#x{code or 0:04x}) that YAML does not accept"
    if problem.startswith("mapping values are not allowed"):
        return index, "a ': ' inside a value that is not in quotes"
    if problem.startswith("could not find expected ':'"):
        context_mark = getattr(error, "context_mark", None)  # the line, not where YAML gave up
        return (context_mark.line if context_mark is not None else index), (
            "a line that is neither 'key: value' nor an indented continuation of the value "
            "above it")
    if "cannot start any token" in problem and mark is not None:
        line = lines[mark.line] if mark.line < len(lines) else ""
        character = line[mark.column:mark.column + 1] or "?"
        if character == "\t":
            return index, "a tab where YAML expects spaces"
        return index, f"a value cannot start with {character!r} unless it is in quotes"
    context = str(getattr(error, "context", None) or "")
    context_mark = getattr(error, "context_mark", None)
    if context.startswith(("while parsing ", "while scanning ")) and context_mark is not None:
        what = context.split(" ", 2)[2]
        return index, f"{problem} (in {what} starting on line {first_line + context_mark.line})"
    return index, f"{problem} ({context})" if context else problem


# A bare `*` (Claude Code's "every tool", an alias without a name to YAML) is quotable too.
_QUOTABLE = (r"(?P<head>[ \t]*[^\s#:'\"][^:]*?:[ \t]+)"
             r"(?P<value>\*[ \t]*|[^\s'\"|>\[{&*!].*)")  # (YAML errors)


def _owning_pair(lines: list[str], index: int) -> int | None:
    """The `key: value` line whose plain value covers line `index`: a less indented `key: text`
    line above it (then `index` continues that text), else line `index` itself."""
    index = min(index, len(lines) - 1)
    indent = _indent(lines[index])
    for above in range(index - 1, -1, -1):
        line = lines[above]
        if not line.strip() or line.lstrip().startswith("#") or _indent(line) >= indent:
            continue
        if re.fullmatch(_QUOTABLE, line):
            return above
        break  # a `key:` holding a mapping, or something else: not a continuation
    return index if re.fullmatch(_QUOTABLE, lines[index]) else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _quote_value(lines: list[str], owner: int) -> str:
    """Rewrite the plain value starting on line `owner` (and its continuation lines) as one
    double-quoted scalar, keeping the number of lines so that later line numbers stay true."""
    match = re.fullmatch(_QUOTABLE, lines[owner])
    assert match is not None
    indent = _indent(lines[owner])
    last = owner
    for index in range(owner + 1, len(lines)):
        line = lines[index]
        if line.strip() and _indent(line) <= indent:
            break
        if line.strip():
            last = index

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    lines[owner] = f'{match["head"]}"{escape(match["value"].rstrip())}'
    for index in range(owner + 1, last + 1):
        lines[index] = escape(lines[index].rstrip())
    lines[last] += '"'
    return match["head"].strip().rstrip(":").strip()
