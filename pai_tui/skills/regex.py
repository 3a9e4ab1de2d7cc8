"""Regular expressions that cannot run away: routing.toml's `regex` rules, run on RE2.

Python's `re` backtracks: `^(a+)+$` against "aaa…b" takes 2**n steps, holds the interpreter's
lock all the while (no thread can time it out, the app's event loop freezes with it), and a
static check for "nested quantifiers" cannot be complete (`(a|aa)+$`, `.*a.*a.*a.*b` are slow
too) while it refuses good patterns such as the bundled `^\\W*(?:(?:please|…)\\W+)*…`. So rules
run on RE2 (google-re2), which never backtracks: matching is linear in the message, whatever
the pattern. Chosen over a time limit in a worker process (a process per route costs more than
routing itself, and a thread cannot be abandoned while `re` holds the lock).

Users write Python regexes, and their meaning is kept: the pattern is parsed by Python's own
parser (so its syntax errors, `(?x)` verbose mode, `\\Z`, scoped flags all work as in Python)
and written out for RE2, with Python's Unicode `\\w`, `\\d`, `\\s` and `$` (end, or before a final
newline). What RE2 cannot do without backtracking is refused when the table is loaded:
lookarounds, backreferences, atomic groups and possessive repeats. One difference remains:
`\\b` and `\\B` see only ASCII letters as word characters.
"""

from __future__ import annotations

import contextlib
import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any, NamedTuple


class Unsupported(Exception):
    """A pattern RE2 cannot run; `what` names the construct, as a user would say it."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(what)


_LOOKAROUND = "a lookaround ((?=, (?!, (?<=, (?<!)"
_REFUSED = {
    sre.ASSERT: _LOOKAROUND, sre.ASSERT_NOT: _LOOKAROUND,
    sre.GROUPREF: "a backreference", sre.GROUPREF_EXISTS: "a backreference",
    sre.ATOMIC_GROUP: "an atomic group or a possessive repeat",
    sre.POSSESSIVE_REPEAT: "an atomic group or a possessive repeat",
}
# Python's Unicode classes (str patterns), as RE2 class bodies; then the ASCII ones, `(?a)`.
_WORD, _DIGIT, _SPACE = r"\p{L}\p{N}_", r"\p{Nd}", r"\t-\r\x{1c}-\x{1f}\x{85}\p{Z}"
_UNICODE = {"word": _WORD, "digit": _DIGIT, "space": _SPACE}
_ASCII = {"word": "0-9A-Za-z_", "digit": "0-9", "space": r"\t-\r "}
_ASCII_TEXT = {**_ASCII, "space": r"\t-\r\x{1c}-\x{1f} "}  # the Unicode ones, on ASCII text
_CATEGORIES = {
    sre.CATEGORY_WORD: ("word", False), sre.CATEGORY_NOT_WORD: ("word", True),
    sre.CATEGORY_DIGIT: ("digit", False), sre.CATEGORY_NOT_DIGIT: ("digit", True),
    sre.CATEGORY_SPACE: ("space", False), sre.CATEGORY_NOT_SPACE: ("space", True),
}
_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"))


def translate(pattern: str, flags: int = 0, capture: bool = True) -> str:
    """`pattern` (Python syntax and meaning) as an RE2 pattern (its groups not capturing, with
    `capture` False); `re.error` for a pattern Python refuses, `Unsupported` for one that needs
    backtracking."""
    parsed = _parser.parse(pattern, flags)
    names = {number: name for name, number in parsed.state.groupdict.items()}
    writer = _Writer(names, capture)
    return _flag_prefix(parsed.state.flags) + writer.sequence(parsed, parsed.state.flags)


def _flag_prefix(flags: int, off: int = 0) -> str:
    on = "".join(letter for flag, letter in _FLAG_LETTERS if flags & flag)
    minus = "".join(letter for flag, letter in _FLAG_LETTERS if off & flag)
    return f"({'?' + on}{'-' + minus if minus else ''})" if on or minus else ""


def _literal(code: int) -> str:
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code:x}}}"


class _Writer:
    """Writes Python's parse tree as RE2 syntax; `flags` follow scoped `(?i:…)` groups."""

    def __init__(self, names: dict[int, str], capture: bool):
        self.names, self.capture = names, capture

    def sequence(self, items: Any, flags: int) -> str:
        return "".join(self.item(op, av, flags) for op, av in items)

    def item(self, op: Any, av: Any, flags: int) -> str:
        if op in _REFUSED:
            raise Unsupported(_REFUSED[op])
        if op is sre.LITERAL:
            return _literal(av)
        if op is sre.NOT_LITERAL:
            return f"[^{_literal(av)}]"
        if op is sre.ANY:
            return "."
        if op is sre.IN:
            return self.charset(av, flags)
        if op is sre.AT:
            return self.at(av, flags)
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.sequence(b, flags) for b in av[1]) + ")"
        if op is sre.SUBPATTERN:
            return self.group(*av, flags)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            return self.repeat(*av, flags) + ("?" if op is sre.MIN_REPEAT else "")
        raise Unsupported(f"the construct {op}")

    def group(self, number: int | None, on: int, off: int, items: Any, flags: int) -> str:
        inner = self.sequence(items, (flags | on) & ~off)
        if on or off:
            inner = f"(?:{_flag_prefix(on, off)}{inner})"
        if number is None or not self.capture:
            return f"(?:{inner})"
        name = self.names.get(number)
        return f"(?P<{name}>{inner})" if name else f"({inner})"

    def repeat(self, low: int, high: int, items: Any, flags: int) -> str:
        body = f"(?:{self.sequence(items, flags)})"
        if high == sre.MAXREPEAT:
            return body + {0: "*", 1: "+"}.get(low, f"{{{low},}}")
        return body + (f"{{{low}}}" if low == high else f"{{{low},{high}}}")

    def at(self, code: Any, flags: int) -> str:
        if code is sre.AT_END and not flags & re.MULTILINE:
            return r"(?:\n?\z)"  # Python's `$`: the end, or before a newline that ends it
        return {sre.AT_BEGINNING: "^", sre.AT_BEGINNING_STRING: r"\A", sre.AT_END: "$",
                sre.AT_END_STRING: r"\z", sre.AT_BOUNDARY: r"\b",
                sre.AT_NON_BOUNDARY: r"\B"}[code]

    def charset(self, items: list[tuple[Any, Any]], flags: int) -> str:
        """A `[...]` set. A negated class (`\\W`) cannot sit inside RE2's brackets beside
        others, so a set holding one becomes an alternation of sets."""
        negate = bool(items) and items[0][0] is sre.NEGATE
        body: list[str] = []
        negated_classes: list[str] = []
        for op, av in items[1:] if negate else items:
            if op is sre.LITERAL:
                body.append(_literal(av))
            elif op is sre.RANGE:
                body.append(f"{_literal(av[0])}-{_literal(av[1])}")
            elif op is sre.CATEGORY:
                kind, negative = _CATEGORIES[av]
                text = (_ASCII if flags & re.ASCII else _UNICODE)[kind]
                (negated_classes if negative else body).append(text)
            else:
                raise Unsupported(f"the set item {op}")
        if not negated_classes:
            return f"[{'^' if negate else ''}{''.join(body)}]"
        if negate:
            raise Unsupported(r"a negated set holding \W, \D or \S")
        parts = [f"[^{text}]" for text in negated_classes] + ([f"[{''.join(body)}]"]
                                                              if body else [])
        return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


# --- compiled rules -----------------------------------------------------------------------------

class Hit(NamedTuple):
    """What a regex matched, and its `text` group (None when it has none or it took no part).
    (A tuple: made on every routed message a rule matches, and cheaper than a dataclass.)"""

    matched: str
    text: str | None


class LinearRegex:
    """A routing rule's regex: `pattern` as the user wrote it, run on RE2."""

    def __init__(self, pattern: str, translated: str, engine: Any, anchor: Any = None,
                 bare: str = "", ascii_engine: Any = None):
        self.pattern, self.translated, self.engine = pattern, translated, engine
        self.bare = bare  # translated with no capturing groups, for joining with others
        self.groupindex: dict[str, int] = dict(engine.groupindex)
        self._text = self.groupindex.get("text")
        # The wrapper's `search` maps byte offsets back to characters (several microseconds);
        # the compiled program, asked directly on UTF-8 bytes, answers in about one. ASCII text
        # (most messages) gets the program with ASCII classes, a tenth of the size.
        self._anchor = anchor
        self._raw = _raw(engine) if anchor is not None else None
        self._raw_ascii = _raw(ascii_engine) if ascii_engine is not None and self._raw \
            else self._raw

    def search(self, text: str) -> Hit | None:
        """The first match in `text`, or None."""
        return self.search_bytes(_utf8(text))

    def search_bytes(self, data: bytes) -> Hit | None:
        """`search` on the UTF-8 bytes of a text (several rules read one message)."""
        raw = self._raw_ascii if data.isascii() else self._raw
        if raw is None:
            found = self.engine.search(data.decode("utf-8"))
            if found is None:
                return None
            return Hit(found.group(0), found.group("text") if self._text is not None else None)
        spans = raw(self._anchor, data, 0, len(data))
        start, end = spans[0]
        if start < 0:
            return None
        text = None
        if self._text is not None and spans[self._text][0] >= 0:
            text = data[spans[self._text][0]:spans[self._text][1]].decode("utf-8")
        return Hit(data[start:end].decode("utf-8"), text)


def _raw(engine: Any) -> Any:
    program = getattr(engine, "_regexp", None)
    return program.Match if program is not None else None


def compile_linear(pattern: str, flags: int = re.IGNORECASE) -> LinearRegex:
    """`pattern` ready to run in linear time; `re.error` (Python's own message) for a bad
    pattern, `Unsupported` for one RE2 cannot run."""
    import re2  # google-re2: imported when a table has a regex

    translated = translate(pattern, flags)
    for_ascii = _to_ascii_classes(translated)
    try:
        engine = re2.compile(translated, _options(re2))
        ascii_engine = re2.compile(for_ascii, _options(re2)) if for_ascii != translated else None
        return LinearRegex(pattern, translated, engine, _unanchored(re2),
                           translate(pattern, flags, capture=False), ascii_engine)
    except re2.error as error:
        raise Unsupported(f"something RE2 cannot compile ({_message(error)})") from None


def _message(error: Exception) -> str:
    first = error.args[0] if error.args else ""
    return first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)


def _unanchored(re2: Any) -> Any:
    return getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a bad paste, becomes "?"
        return text.encode("utf-8", "replace")


def _options(re2: Any, capture: bool = True) -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would write to stderr, under the app's screen
    options.never_capture = not capture
    return options


class RegexRules:
    """Regexes tried in order (a routing table's regex rules): the first that matches a text.
    Most messages match none, so all are first asked at once, in one linear pass over the text,
    and only on a yes one by one, each without its groups (RE2 is fastest when it needs only
    where a match is). (When they cannot be joined, past RE2's memory budget say, each is simply
    tried.)"""

    def __init__(self, regexes: list[tuple[int, LinearRegex]]):
        self.regexes = regexes
        self._bare = [_quick_or_itself(regex) for _, regex in regexes]
        self._any: LinearRegex | None = None
        if len(regexes) > 1:  # (one regex is its own quick answer)
            with contextlib.suppress(Unsupported):
                self._any = _quick("|".join(f"(?:{r.bare})" for _, r in regexes), "any")

    def first(self, text: str, before: int) -> tuple[int, LinearRegex, Hit] | None:
        """The earliest regex (by its order, which must be below `before`) matching `text`."""
        data = _utf8(text)
        if self._any is not None and self._any.search_bytes(data) is None:
            return None
        for (order, regex), bare in zip(self.regexes, self._bare, strict=True):
            if order >= before:
                break
            hit = bare.search_bytes(data)
            if hit is not None:
                return order, regex, regex.search_bytes(data) if regex._text is not None \
                    else hit
        return None


def _quick_or_itself(regex: LinearRegex) -> LinearRegex:
    try:
        return _quick(regex.bare, regex.pattern)
    except Unsupported:  # (it compiled with its groups: without them it is only smaller)
        return regex


def _quick(translated: str, name: str) -> LinearRegex:
    """A program that says only where a match is (no groups), for Unicode and ASCII text."""
    import re2

    options = _options(re2, capture=False)
    for_ascii = _to_ascii_classes(translated)
    try:
        engine = re2.compile(translated, options)
        ascii_engine = re2.compile(for_ascii, options) if for_ascii != translated else None
    except re2.error as error:
        raise Unsupported(f"something RE2 cannot compile ({_message(error)})") from None
    return LinearRegex(name, translated, engine, _unanchored(re2), ascii_engine=ascii_engine)


def _to_ascii_classes(translated: str) -> str:
    """An RE2 pattern written by `translate` with its Unicode classes made ASCII, for ASCII text
    only (there both match the same), where RE2 runs the much smaller program faster. (Literals
    are written as `\\x{..}`, so a class's text cannot come from one.)"""
    for kind, unicode in _UNICODE.items():
        translated = translated.replace(unicode, _ASCII_TEXT[kind])
    return translated
