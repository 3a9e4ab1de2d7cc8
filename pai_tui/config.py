"""Settings from $PAI_HOME/config.toml and the environment.

A bad file stops pai with a `ConfigError` naming the file, the line and the key. This module only
reads: settings.py is the one writer of config.toml.
"""

from __future__ import annotations

import errno
import math
import os
import re
import tomllib
import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

from pai_tui.actions import BY_ID as ACTION_IDS
from pai_tui.actions import key_conflicts
from pai_tui.paths import HomePaths, pai_home

Layout = Literal["columns", "grid"]


class ConfigError(Exception):
    """A config file pai cannot use. `str()` is the message shown to the user."""

    def __init__(self, path: Path, message: str, line: int | None = None, key: str | None = None):
        self.path, self.message, self.line, self.key = path, message, line, key
        where = f"{path}:{line}" if line else str(path)
        about = f" key '{key}':" if key else ""
        super().__init__(f"{where}:{about} {message}")


@dataclass(frozen=True)
class Range:
    """Where a number of the file may lie (README lists them). `above`: the low end itself is
    out (a timeout of 0 would never wait)."""

    low: float
    high: float
    above: bool = False
    unit: str = ""

    def problem(self, value: float) -> str | None:
        """Why `value` is out, or None."""
        unit = f" {self.unit}" if self.unit else ""
        if isinstance(value, float) and math.isnan(value):
            return f"must be a number between {_num(self.low)} and {_num(self.high)}{unit}, not nan"
        if self.above and value <= self.low:
            return f"must be more than {_num(self.low)} and at most {_num(self.high)}{unit} " \
                   f"(got {_num(value)})"
        if not self.low <= value <= self.high:
            return f"must be between {_num(self.low)} and {_num(self.high)}{unit} " \
                   f"(got {_num(value)})"
        return None


def _num(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def bounded(default: Any, low: float, high: float, above: bool = False, unit: str = "") -> Any:
    """A numeric setting with its range."""
    return field(default=default, metadata={"range": Range(low, high, above, unit)})


DAY = 86_400  # seconds


@dataclass
class UISettings:
    theme: str = "pai"
    layout: Layout = "columns"
    details: bool = False  # model, tokens and cost under each answer (alt+i); remembered


ProviderKind = Literal["anthropic", "openai", "openai-compatible"]
BUILTIN_PROVIDERS: dict[str, ProviderKind] = {"anthropic": "anthropic", "openai": "openai"}


@dataclass
class ModelSettings:
    """What pai knows of one model; prices in USD per million tokens."""

    context_window: int | None = bounded(None, 1, 100_000_000, unit="tokens")
    max_output_tokens: int | None = bounded(None, 1, 10_000_000, unit="tokens")
    input_price: float | None = bounded(None, 0, 1_000_000, unit="USD")
    output_price: float | None = bounded(None, 0, 1_000_000, unit="USD")


@dataclass
class ProviderSettings:
    """`[providers.NAME]`: one endpoint. `anthropic` and `openai` exist without configuration."""

    kind: ProviderKind | None = None  # may be left out for the built-in names
    base_url: str | None = None  # else the SDK's ANTHROPIC_BASE_URL / OPENAI_BASE_URL, else its own
    key_env: str | list[str] = field(default_factory=list)  # variables holding keys, in order
    model: str | None = None  # the default model
    models: dict[str, ModelSettings] = field(default_factory=dict)
    # seconds to connect, and of silence while streaming
    timeout: float = bounded(60.0, 0, DAY, above=True, unit="seconds")


@dataclass
class ChatSettings:
    provider: str | None = None  # default: the first built-in whose key is present, else offline
    model: str | None = None
    system: str | None = None  # the system prompt of new sessions
    max_output_tokens: int = bounded(8192, 1, 10_000_000, unit="tokens")
    # attempts after the first on 429 / 5xx / overloaded, per key
    retries: int = bounded(3, 0, 100)
    # seconds: the cap on any wait, retry-after included
    max_retry_wait: float = bounded(20.0, 0, 3600, unit="seconds")


@dataclass
class NotesSettings:
    """`[notes]`: what the history remembers, put before the model in each chat turn and agent
    run (your preferences, then the notes that match the message), within a budget."""

    in_context: bool = True
    context_chars: int = bounded(2000, 200, 100_000, unit="characters")
    context_max: int = bounded(6, 1, 100, unit="notes")


Permission = Literal["allow", "ask", "deny"]


@dataclass
class SkillsSettings:
    """`[skills]`: where skills come from, how messages are routed, how tools run."""

    # Extra skill folders, searched after $PAI_HOME/skills and before the bundled skills,
    # e.g. ["~/.claude/skills", "~/src/Personal_AI_Infrastructure/Packs"].
    roots: list[str] = field(default_factory=list)
    fabric: list[str] = field(default_factory=list)  # folders of Fabric patterns (one per folder)
    # the router's confidence (0..1) needed to pick a skill by score
    threshold: float = bounded(0.5, 0, 1)
    model_routing: bool = False  # below the threshold, let the model choose among the top few
    # seconds, unless the skill sets one for the tool
    tool_timeout: float = bounded(60.0, 0, DAY, above=True, unit="seconds")
    # bytes kept of a tool's stdout and of its stderr
    output_cap: int = bounded(1_000_000, 1, 1_000_000_000, unit="bytes")
    max_tool_turns: int = bounded(8, 1, 1000)  # model <-> tool round trips in one answer
    # "skill/tool" (or "skill/*") -> allow | ask | deny; default: ask, or allow for a tool the
    # skill marks safe. "Always" in the app's permission dialog writes here.
    permissions: dict[str, Permission] = field(default_factory=dict)


@dataclass
class AgentsSettings:
    """`[agents]`: where agent definitions come from, and how their models are chosen."""

    # Extra agent folders, searched after $PAI_HOME/agents and before the bundled agents,
    # e.g. ["~/.claude/agents", "~/src/Personal_AI_Infrastructure/.claude/agents"].
    roots: list[str] = field(default_factory=list)
    max_parallel: int = bounded(4, 1, 64)  # runs at once; the rest wait their turn
    # Offer the chat's model a `delegate` tool (an agent's name and a task): it may hand work
    # to an agent and reads the agent's final message as the tool's result.
    delegate_tool: bool = False
    # Claude Code's model aliases ("sonnet", "opus", "haiku", "fable") -> a model of yours:
    # "model" (of the chat's provider) or "provider/model". Unset aliases use agents/models.py's
    # defaults for the chat's provider.
    models: dict[str, str] = field(default_factory=dict)


@dataclass
class TimelineSettings:
    """`[timeline]`: what the timeline of turns and runs keeps (spans.py)."""

    # Keep content in spans too: answers' text and tools' output (capped). Off: spans hold
    # names, numbers and tools' arguments only.
    capture_content: bool = False


HookOnError = Literal["block", "allow"]


@dataclass
class HooksSettings:
    """`[hooks]`: lifecycle hooks in Claude Code's format (pai_tui/hooks/), read from
    $PAI_HOME/hooks.json and the `hooks` section of the settings files named here."""

    # Claude Code settings files whose `hooks` section pai runs too,
    # e.g. ["~/.claude/settings.json", ".claude/settings.json"] (relative: to PAI_HOME).
    settings_files: list[str] = field(default_factory=list)
    # Bundled hooks turned on (`pai hooks list` shows them): "command-guard", "secrets-guard".
    bundled: list[str] = field(default_factory=list)
    # seconds a hook may run, unless its handler gives a `timeout`
    timeout: float = bounded(60.0, 0, DAY, above=True, unit="seconds")
    # bytes kept of a hook's stdout and of its stderr
    output_cap: int = bounded(100_000, 1, 100_000_000, unit="bytes")
    # A gate hook (UserPromptSubmit, PreToolUse, Stop) that times out, crashes or prints invalid
    # JSON blocks ("block", the default: fail closed). Per hook name (`pai hooks list` shows the
    # names): "allow" lets the turn go on, saying so.
    on_error: dict[str, HookOnError] = field(default_factory=dict)


VoiceEngine = Literal["pyttsx3", "espeak-ng", "command"]
VoiceOutput = Literal["player", "folder"]


@dataclass
class VoiceSpec:
    """One voice: an engine voice id (espeak-ng's, with a variant: `en-us+f3`), its speed in
    words per minute, pitch (0..99) and volume (0..1)."""

    id: str
    rate: int = bounded(175, 80, 450, unit="words per minute")
    pitch: int = bounded(50, 0, 99)
    volume: float = bounded(0.9, 0, 1)


@dataclass
class VoiceSettings:
    """`[voice]`: agents speaking. Off until enabled (a terminal app that suddenly talks
    surprises people in a shared room; alt+v turns it on for the session)."""

    enabled: bool = False
    engine: VoiceEngine = "pyttsx3"
    # engine = "command": a program reading text on stdin and writing the WAV file named by
    # {out} (or playing it itself, if {out} is not in it); {voice} {rate} {pitch} {volume}.
    command: list[str] = field(default_factory=list)
    output: VoiceOutput = "player"  # "folder": write each clip to `folder` instead of playing
    folder: str = ""  # default: $PAI_HOME/voice
    main: str | VoiceSpec = "en-us+f5"  # the main assistant's voice
    agents: dict[str, str | VoiceSpec] = field(default_factory=dict)  # agent name -> voice
    # What is spoken, each on or off.
    answers: bool = True  # the spoken line of an answer (a line starting 🗣️, else its start)
    agent_start: bool = True
    agent_finish: bool = True
    permission: bool = True  # a tool's permission question waiting for you
    upgrades: bool = True  # a new upgrade item above `[upgrade] announce_score`
    only_main: bool = False  # agents say nothing; the main assistant alone speaks
    max_chars: int = bounded(200, 20, 2000, unit="characters")  # of one spoken line
    max_queue: int = bounded(8, 1, 1000, unit="utterances")  # beyond: the oldest dropped
    max_age: float = bounded(60.0, 1, DAY, unit="seconds")  # older when its turn comes: dropped


@dataclass
class SecuritySettings:
    """`[security]`: how pai looks after the user's keys (`pai secrets`, `pai doctor`)."""

    # `pai doctor` warns about a key in secrets.toml added longer ago than this (rotate it:
    # `pai secrets rotate PROVIDER`).
    key_max_age_days: int = bounded(90, 1, 36_500, unit="days")


@dataclass
class UpgradeSettings:
    """`[upgrade]`: the upgrade feed's scheduler (sources are in $PAI_HOME/sources.toml)."""

    # Poll the sources in the background while the cockpit is open (one pai per database runs
    # the polls; the others say which). Off until turned on: it fetches from the internet.
    schedule: bool = False
    # A source that posts about daily is polled this often; one that posts more often sooner,
    # a quiet one later (15 minutes to a day, jittered), or when it asks (Retry-After).
    every_minutes: float = bounded(60.0, 1, 7 * 24 * 60, unit="minutes")
    # A new item scoring at least this (and matching a goal) is announced once: a notice in
    # the cockpit, and spoken when voices are on (`[voice] upgrades`).
    announce_score: float = bounded(2.0, 0, 1_000, unit="points")
    # How often the scheduler looks for sources that are due, and how long its lease lasts
    # unrenewed: another pai (or `pai daemon`) takes over this long after the holder died.
    check_seconds: float = bounded(300.0, 1, DAY, unit="seconds")
    lease_seconds: float = bounded(60.0, 1, DAY, unit="seconds")
    # After the code's ranking, the chat model re-ranks the top `rerank_top` new items against
    # the TELOS (upgrade/rerank_model.py), at most `rerank_budget_usd` a day. Off: it costs.
    model_rerank: bool = False
    rerank_top: int = bounded(10, 1, 50, unit="items")
    rerank_budget_usd: float = bounded(0.05, 0, 100, unit="USD")


@dataclass
class Config:
    ui: UISettings = field(default_factory=UISettings)
    keymap: dict[str, str] = field(default_factory=dict)
    chat: ChatSettings = field(default_factory=ChatSettings)
    notes: NotesSettings = field(default_factory=NotesSettings)
    skills: SkillsSettings = field(default_factory=SkillsSettings)
    agents: AgentsSettings = field(default_factory=AgentsSettings)
    timeline: TimelineSettings = field(default_factory=TimelineSettings)
    hooks: HooksSettings = field(default_factory=HooksSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    upgrade: UpgradeSettings = field(default_factory=UpgradeSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    providers: dict[str, ProviderSettings] = field(default_factory=dict)
    # Not from the file: where things are.
    home: HomePaths = field(default_factory=lambda: HomePaths(pai_home()), metadata={"file": False})
    database_url: str | None = field(default=None, metadata={"file": False})


def load_config(home: HomePaths | None = None) -> Config:
    """Read config.toml (absent means defaults) and the environment."""
    home = home or HomePaths(pai_home())
    path = home.config
    data: dict[str, Any] = {}
    _check_link(path)
    if path.exists():
        text = read_text(path)
        data = parse_toml(path, text)
        config = _build(Config, data, (), KeyLocator(path, text))
    else:
        config = Config()
    config.home = home
    config.database_url = _database_url()
    _check_keymap(config, path, data)
    _check_providers(config, path)
    return config


def _check_link(path: Path) -> None:
    """A config.toml that is a symbolic link to nowhere is a mistake to say, not a reason to run
    on defaults (the user's settings would silently not apply)."""
    if not path.is_symlink():
        return
    try:
        path.stat()
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ConfigError(path, "is a symbolic link that loops back on itself: point it at "
                              "a file, or remove it to use the defaults") from None
        raise ConfigError(path, f"is a symbolic link to {os.readlink(path)}, which does not "
                          "exist: create that file, or remove the link to use the defaults"
                          ) from None


_DATABASE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
ENVIRONMENT = Path("environment variable PAI_DATABASE_URL")


def _database_url() -> str | None:
    """PAI_DATABASE_URL, if it names a database that can keep a history (checked here, without
    the database library, so that a mistake is a configuration error and not a traceback)."""
    url = os.environ.get("PAI_DATABASE_URL", "").strip() or None
    if url is None:
        return None
    example = "(e.g. sqlite:////home/me/pai.db or postgresql+psycopg://me@host/pai)"
    if not _DATABASE_URL.match(url):
        raise ConfigError(ENVIRONMENT, f"is not a database URL {example}")
    scheme, rest = url.split("://", 1)
    in_memory = rest in ("", "/") or ":memory:" in rest or "mode=memory" in rest
    if scheme.lower().startswith("sqlite") and in_memory:
        raise ConfigError(ENVIRONMENT, "names a database in memory, which forgets every "
                          f"conversation when pai exits: name a file {example}, or unset it")
    return url


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(path, f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror}") from None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """tomllib with its error turned into file:line, naming the key on that line if there is one."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = None
        match = _TOML_POSITION.search(message)
        if match:
            line = int(match.group(1))
            message = f"{message[: match.start()]} (column {match.group(2)})"
        key = _key_on_line(text, line) if line else None
        raise ConfigError(path, f"invalid TOML: {message}", line=line, key=key) from None


def _key_on_line(text: str, line: int) -> str | None:
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    match = re.match(r"\s*([A-Za-z0-9_.\-\"' ]+?)\s*=", lines[line - 1])
    return match.group(1).strip() if match else None


class KeyLocator:
    """Finds the line of a key in the file (tomllib does not keep positions)."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    _KEY_PART = re.compile(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)')

    @classmethod
    def _split(cls, dotted: str) -> tuple[str, ...]:
        return tuple(next(g for g in m.groups() if g is not None)
                     for m in cls._KEY_PART.finditer(dotted))

    def line_of(self, table: tuple[str, ...], key: str) -> int | None:
        current: tuple[str, ...] = ()
        header_line = None
        for number, raw in enumerate(self.lines, start=1):
            header = self._HEADER.match(raw)
            if header:
                current = self._split(header.group(1))
                if current == (*table, key):
                    return number
                if current == table:
                    header_line = number
                continue
            match = re.match(r"\s*([^=#\[]+?)\s*=", raw)
            if match:
                full = (*current, *self._split(match.group(1)))
                if full[: len(table) + 1] == (*table, key):
                    return number
        if header_line is None and table:  # e.g. an inline table: point at its parent key
            return self.line_of(table[:-1], table[-1])
        return header_line

    def error(self, table: tuple[str, ...], key: str, message: str) -> ConfigError:
        return ConfigError(self.path, message, self.line_of(table, key), dotted_key((*table, key)))


def dotted_key(parts: tuple[str, ...]) -> str:
    """`keymap."app.quit"`: parts as TOML would write them."""
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else f'"{p}"' for p in parts)


def _file_fields(cls: type) -> dict[str, Any]:
    return {f.name: f for f in fields(cls) if f.metadata.get("file", True)}


def _build(cls: type, data: dict[str, Any], table: tuple[str, ...], where: KeyLocator) -> Any:
    known = _file_fields(cls)
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            choices = ", ".join(sorted(known))
            raise where.error(table, key, f"unknown key (known here: {choices})")
        values[key] = _convert(value, hints[key], (*table, key), where)
        limits = known[key].metadata.get("range")
        problem = limits.problem(values[key]) if limits and values[key] is not None else None
        if problem:
            raise where.error(table, key, problem)
    for name, spec in known.items():
        if name not in values and spec.default is MISSING and spec.default_factory is MISSING:
            raise where.error(table, name, "missing required key")
    return cls(**values)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _describe(value: Any) -> str:
    names = {str: "string", bool: "boolean", int: "integer", float: "float", list: "array",
             dict: "table"}
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    return f"{shown} ({names.get(type(value), type(value).__name__)})"


def _convert(value: Any, hint: Any, path: tuple[str, ...], where: KeyLocator) -> Any:
    table, key = path[:-1], path[-1]
    origin = typing.get_origin(hint)
    if is_dataclass(hint):
        if not isinstance(value, dict):
            raise where.error(table, key, f"expected a table, got {_describe(value)}")
        return _build(hint, value, path, where)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            options = " or ".join(repr(c) for c in choices)
            raise where.error(table, key, f"expected {options}, got {_describe(value)}")
        return value
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        tables = [a for a in args if is_dataclass(a)]
        if isinstance(value, dict) and tables:  # a table's own errors say what is wrong in it
            return _convert(value, tables[0], path, where)
        first: ConfigError | None = None
        for option in args:
            try:
                return _convert(value, option, path, where)
            except ConfigError as error:
                first = first or error
        assert first is not None
        if len(args) == 1:
            raise first
        expected = " or ".join(_TYPE_NAMES.get(a, "an array of strings") for a in args)
        raise where.error(table, key, f"expected {expected}, got {_describe(value)}")
    if origin is dict:
        _, value_type = typing.get_args(hint)
        if not isinstance(value, dict):
            raise where.error(table, key, f"expected a table, got {_describe(value)}")
        return {k: _convert(v, value_type, (*path, k), where) for k, v in value.items()}
    if origin is list:
        (item_type,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise where.error(table, key, f"expected an array, got {_describe(value)}")
        return [_convert(v, item_type, path, where) for v in value]
    ok = isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        expected = _TYPE_NAMES.get(hint, str(hint))
        raise where.error(table, key, f"expected {expected}, got {_describe(value)}")
    return value


def _check_keymap(config: Config, path: Path, data: dict[str, Any]) -> None:
    if not config.keymap:
        return
    where = KeyLocator(path, path.read_text(encoding="utf-8"))
    for binding_id, keys in config.keymap.items():
        if binding_id not in ACTION_IDS:
            raise where.error(("keymap",), binding_id,
                              "unknown binding id (`pai keys` lists them)")
        problem = _keys_problem(keys)
        if problem:
            raise where.error(("keymap",), binding_id, problem)
    for key, first, second in key_conflicts(config.keymap):
        mine = second if second in config.keymap else first
        other = first if mine == second else second
        raise where.error(("keymap",), mine, f"{key!r} is also the key of {other!r}: no two "
                          "actions may share a key (pick another, or rebind that one too)")


def _check_providers(config: Config, path: Path) -> None:
    """What types alone cannot say: kinds, URLs, and that [chat] names a provider."""
    if not (config.providers or config.chat.provider):
        return
    where = KeyLocator(path, path.read_text(encoding="utf-8"))
    for name, provider in config.providers.items():
        table = ("providers", name)
        if provider.kind is None:
            if name not in BUILTIN_PROVIDERS:
                raise where.error(table, "kind", "missing: say kind = \"anthropic\", "
                                  "\"openai\" or \"openai-compatible\"")
            provider.kind = BUILTIN_PROVIDERS[name]
        if provider.base_url is not None and not re.match(r"^https?://[^\s/]+", provider.base_url):
            raise where.error(table, "base_url", f"{provider.base_url!r} is not an http(s) URL")
        if provider.kind == "openai-compatible" and not provider.base_url:
            raise where.error(table, "kind", "an openai-compatible provider needs a base_url")
        if isinstance(provider.key_env, str):
            provider.key_env = [provider.key_env]
        for variable in provider.key_env:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
                raise where.error(table, "key_env", f"{variable!r} is not a variable name")
        if provider.timeout <= 0:
            raise where.error(table, "timeout", "must be more than 0 seconds")
    known = set(BUILTIN_PROVIDERS) | set(config.providers)
    if config.chat.provider is not None and config.chat.provider not in known:
        raise where.error(("chat",), "provider", f"no provider named {config.chat.provider!r} "
                          f"(known: {', '.join(sorted(known))})")


_KEY = re.compile(r"^(?:[a-z]+\+)*(?:[a-z0-9_]+|[^\s,+])$")


def _keys_problem(keys: str) -> str | None:
    """Why a keymap value is unusable, or None: comma-separated keys like "ctrl+o,f9"."""
    parts = [part.strip() for part in keys.split(",")]
    if not any(parts):
        return f"{keys!r} names no key (write keys like \"f9\" or \"ctrl+o,alt+o\")"
    for part in parts:
        if not part:
            return f"{keys!r} has an empty key between commas"
        if not _KEY.match(part):
            return f"{part!r} is not a key name (keys look like \"f9\", \"ctrl+o\", \"?\")"
    return None
