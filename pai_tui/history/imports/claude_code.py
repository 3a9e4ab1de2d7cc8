"""Claude Code's transcripts: one JSON Lines file per session under `~/.claude/projects/`
(a folder per project), each line an entry (`type` user, assistant, summary, system…, with
`uuid`, `parentUuid`, `sessionId`, `timestamp`, `isSidechain`, `message` as the Messages API
has it). An answer streamed in several blocks is several lines sharing `message.id`: they
become one answer, its tool_use blocks steps that the matching tool_result fills in. Subagent
transcripts (sidechains: `agent-*.jsonl`, or `SESSION/subagents/agent-*.jsonl`) are sessions of
their own, their answers marked with the subagent."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pai_tui.history.imports.model import (
    ImportedConversation,
    ImportedMessage,
    Malformed,
    Skipped,
    title_from,
    when,
)
from pai_tui.history.imports.reading import ImportFileError, text_of

SOURCE = "claude-code"


def default() -> Path:
    """Claude Code's transcripts: `projects/` in its folder ($CLAUDE_CONFIG_DIR, else
    ~/.claude)."""
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or "~/.claude").expanduser() / "projects"


def read(path: Path) -> Iterator[ImportedConversation | Skipped]:
    path = path.expanduser()
    if path.is_dir():
        files = sorted(path.rglob("*.jsonl"))
    elif path.is_file():
        files = [path]
    else:
        raise ImportFileError(f"{path}: no such file or folder")
    for number, file in enumerate(files, 1):
        for item in read_file(file):
            if isinstance(item, ImportedConversation):
                item.done = number / len(files)
            yield item


@dataclass
class _Transcript:
    file: Path
    session: str = ""
    agent: str | None = None
    summary: str = ""
    messages: list[ImportedMessage] = field(default_factory=list)
    answers: dict[str, ImportedMessage] = field(default_factory=dict)  # message.id → answer
    keys: dict[str, str] = field(default_factory=dict)  # line uuid → message key
    tools: dict[str, ImportedMessage] = field(default_factory=dict)  # tool_use id → step


def read_file(file: Path) -> Iterator[ImportedConversation | Skipped]:
    transcript = _Transcript(file)
    try:
        with file.open("rb") as stream:
            for number, line in enumerate(stream, 1):
                if line.strip():
                    skipped = _line(transcript, line, f"{file}:{number}")
                    if skipped:
                        yield skipped
    except OSError as error:
        yield Skipped(str(file), f"cannot be read ({error.strerror})")
        return
    if transcript.messages:
        yield _conversation(transcript)


def _line(transcript: _Transcript, line: bytes, position: str) -> Skipped | None:
    try:
        entry = json.loads(line)
        if not isinstance(entry, dict):
            raise Malformed(f"not an object but {type(entry).__name__}")
        _entry(transcript, entry)
    except json.JSONDecodeError as error:
        return Skipped(position, f"not valid JSON ({error.msg}, column {error.colno})")
    except Malformed as error:
        return Skipped(position, str(error))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return Skipped(position, f"unreadable ({type(error).__name__}: {error})")
    return None


def _entry(transcript: _Transcript, entry: dict[str, Any]) -> None:
    kind = entry.get("type")
    if kind == "summary":
        transcript.summary = text_of(entry.get("summary"))
        return
    if kind not in ("user", "assistant") or entry.get("isMeta"):
        return  # system notices, file snapshots, progress: not the conversation
    message = entry.get("message")
    if not isinstance(message, dict):
        raise Malformed(f"a {kind} entry without 'message'")
    if not transcript.session:  # the first entry: a subagent's file begins with a sidechain
        transcript.session = text_of(entry.get("sessionId")) or transcript.file.stem
        transcript.agent = _agent(transcript, entry)
    if kind == "user":
        _user(transcript, entry, message)
    else:
        _assistant(transcript, entry, message)


def _agent(transcript: _Transcript, entry: dict[str, Any]) -> str | None:
    """The subagent that wrote a sidechain entry (older transcripts mix them into the main
    file)."""
    if not entry.get("isSidechain"):
        return None
    return f"subagent:{entry.get('agentId') or transcript.file.stem.removeprefix('agent-')}"


def _reply_to(transcript: _Transcript, entry: dict[str, Any]) -> str | None:
    return transcript.keys.get(text_of(entry.get("parentUuid")))


def _user(transcript: _Transcript, entry: dict[str, Any], message: dict[str, Any]) -> None:
    content = message.get("content")
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
    texts: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "tool_result":
            _tool_result(transcript, block)
        elif block.get("type") == "text":
            texts.append(text_of(block.get("text")))
        elif block.get("type") in ("image", "document"):
            texts.append(f"[{block['type']}]")
    uuid = text_of(entry.get("uuid"))
    if not texts:
        transcript.keys[uuid] = _reply_to(transcript, entry) or ""
        return
    transcript.keys[uuid] = uuid
    transcript.messages.append(ImportedMessage(
        key=uuid, role="user", content="\n\n".join(texts), cost=0.0,
        created_at=when(entry.get("timestamp")), reply_to=_reply_to(transcript, entry)))


def _tool_result(transcript: _Transcript, block: dict[str, Any]) -> None:
    step = transcript.tools.get(text_of(block.get("tool_use_id")))
    if step is None:
        return
    output = block.get("content")
    if isinstance(output, list):
        output = "\n".join(text_of(p.get("text")) if isinstance(p, dict) and p.get("type") ==
                           "text" else "[image]" for p in output)
    step.content += f"\n\n→ {text_of(output)}"
    if block.get("is_error"):
        step.status = "error"


def _assistant(transcript: _Transcript, entry: dict[str, Any], message: dict[str, Any]) -> None:
    ident = text_of(message.get("id")) or text_of(entry.get("uuid"))
    answer = transcript.answers.get(ident)
    if answer is None:
        answer = ImportedMessage(
            key=ident, role="assistant", content="", provider="anthropic",
            model=message.get("model"), created_at=when(entry.get("timestamp")),
            agent=_agent(transcript, entry), reply_to=_reply_to(transcript, entry))
        transcript.answers[ident] = answer
        transcript.messages.append(answer)
    transcript.keys[text_of(entry.get("uuid"))] = ident
    _usage(answer, message.get("usage"))
    content = message.get("content")
    for number, block in enumerate(content if isinstance(content, list) else [content]):
        _answer_block(transcript, answer, block, f"{entry.get('uuid')}/{number}")


def _answer_block(transcript: _Transcript, answer: ImportedMessage, block: Any,
                  key: str) -> None:
    if isinstance(block, str):
        block = {"type": "text", "text": block}
    if not isinstance(block, dict):
        return
    if block.get("type") == "text":
        answer.content = "\n\n".join(filter(None, (answer.content, text_of(block.get("text")))))
    elif block.get("type") == "tool_use":
        name = text_of(block.get("name")) or "tool"
        step = ImportedMessage(
            key=text_of(block.get("id")) or key, role="step", skill=f"tool/{name}",
            content=json.dumps(block.get("input"), ensure_ascii=False, indent=1),
            step_of=answer.key, agent=answer.agent, created_at=answer.created_at)
        transcript.tools[step.key] = step
        transcript.messages.append(step)


def _usage(answer: ImportedMessage, usage: Any) -> None:
    """The answer's tokens (each line of a streamed answer repeats them: the last one wins);
    cache reads and writes count as input, as they were sent."""
    if not isinstance(usage, dict):
        return
    answer.input_tokens = sum(int(usage.get(name) or 0) for name in (
        "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
    answer.output_tokens = int(usage.get("output_tokens") or 0)


def _conversation(transcript: _Transcript) -> ImportedConversation:
    if not transcript.session:
        raise Malformed("no sessionId")  # unreachable: a message sets it
    ident = transcript.session
    if transcript.agent:
        ident += f"/{transcript.agent.removeprefix('subagent:')}"
    first = next((m.content for m in transcript.messages if m.role == "user"), "")
    title = transcript.summary or title_from(first)
    stamps = [m.created_at for m in transcript.messages if m.created_at]
    return ImportedConversation(
        source=SOURCE, external_id=ident, position=str(transcript.file),
        title=f"subagent: {title}" if transcript.agent else title,
        created_at=min(stamps, default=None), updated_at=max(stamps, default=None),
        provider="anthropic",
        model=next((m.model for m in transcript.messages if m.model), None),
        messages=transcript.messages)
