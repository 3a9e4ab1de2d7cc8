"""Claude.ai's data export (Settings → Privacy → Export data): `conversations.json`, alone or in
the ZIP. Each conversation holds `chat_messages` (`sender` human or assistant, `text` and/or
`content` blocks: text, thinking, tool_use, tool_result), with `attachments` (their extracted
text) and `files`. Newer exports link each message to its parent (`parent_message_uuid`): an
edited question makes a branch, and the branch of the last message is the active one."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from pai_tui.history.imports.reading import conversations, text_of

SOURCE = "claude"


def read(path: Path) -> Iterator[ImportedConversation | Skipped]:
    return conversations(path, "conversations.json", parse)


def parse(item: dict[str, Any], position: str) -> ImportedConversation:
    raw_messages = item.get("chat_messages")
    if not isinstance(raw_messages, list):
        raise Malformed("no 'chat_messages' list")
    if not item.get("uuid"):
        raise Malformed("no 'uuid'")
    messages: list[ImportedMessage] = []
    for number, raw in enumerate(raw_messages, 1):
        if not isinstance(raw, dict):
            raise Malformed(f"message {number} is not an object")
        messages.extend(_message(raw, number))
    _mark_active_path(messages)
    first = next((m.content for m in messages if m.role == "user"), "")
    return ImportedConversation(
        source=SOURCE, external_id=str(item["uuid"]), position=position,
        title=text_of(item.get("name")).strip() or title_from(first),
        created_at=when(item.get("created_at")), updated_at=when(item.get("updated_at")),
        provider="anthropic", model=item.get("model"), messages=messages)


def _message(raw: dict[str, Any], number: int) -> list[ImportedMessage]:
    """The message, then the steps (tool calls and results) inside it."""
    key = str(raw.get("uuid") or f"#{number}")
    human = raw.get("sender") == "human"
    message = ImportedMessage(
        key=key, role="user" if human else "assistant", content="",
        created_at=when(raw.get("created_at")), updated_at=when(raw.get("updated_at")),
        reply_to=raw.get("parent_message_uuid"), cost=0.0 if human else None,
        provider=None if human else "anthropic")
    texts, steps = _blocks(raw.get("content"), key)
    if not texts and raw.get("text"):
        texts = [text_of(raw["text"])]
    texts += [_attachment(a) for a in raw.get("attachments") or [] if isinstance(a, dict)]
    texts += [f"[file: {f.get('file_name') or f.get('file_uuid') or 'attached'}]"
              for f in raw.get("files") or [] if isinstance(f, dict)]
    message.content = "\n\n".join(text for text in texts if text)
    if human:  # a question cannot hold steps: its tool results stand on their own
        for step in steps:
            step.role, step.step_of = "assistant", None
    return [message, *steps]


def _blocks(blocks: Any, key: str) -> tuple[list[str], list[ImportedMessage]]:
    texts: list[str] = []
    steps: list[ImportedMessage] = []
    for number, block in enumerate(blocks if isinstance(blocks, list) else [], 1):
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            texts.append(text_of(block.get("text")))
        elif kind in ("tool_use", "tool_result", "thinking"):
            steps.append(_step(block, kind, f"{key}/{number}", key))
        elif kind == "image":
            texts.append("[image]")
    return texts, steps


def _step(block: dict[str, Any], kind: str, key: str, answer: str) -> ImportedMessage:
    if kind == "thinking":
        content, skill = text_of(block.get("thinking")), "thinking"
    elif kind == "tool_use":
        content = json.dumps(block.get("input"), ensure_ascii=False, indent=1)
        skill = f"tool/{block.get('name') or 'tool'}"
    else:
        content, skill = _result_text(block.get("content")), f"tool/{block.get('name') or 'tool'}"
    return ImportedMessage(
        key=key, role="step", content=content, skill=skill, step_of=answer,
        status="error" if block.get("is_error") else "complete",
        created_at=when(block.get("start_timestamp")))


def _result_text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(text_of(part.get("text")) if isinstance(part, dict) else text_of(part)
                         for part in content)
    return text_of(content)


def _attachment(attachment: dict[str, Any]) -> str:
    name = attachment.get("file_name") or "attachment"
    kind = attachment.get("file_type") or "file"
    head = f"[attachment: {name} ({kind}, {attachment.get('file_size') or '?'} bytes)]"
    body = text_of(attachment.get("extracted_content"))
    return f"{head}\n```\n{body}\n```" if body else head


def _mark_active_path(messages: list[ImportedMessage]) -> None:
    """With parent links: the messages above the last one are the active branch. Links to
    messages not in the conversation (the export's root uuid) are dropped."""
    keys = {m.key: m for m in messages}
    for message in messages:
        if message.reply_to not in keys:
            message.reply_to = None
    linked = [m for m in messages if m.role != "step"]
    if not any(m.reply_to for m in linked):
        return
    path: set[str] = set()
    leaf: ImportedMessage | None = linked[-1]
    while leaf is not None and leaf.key not in path:
        path.add(leaf.key)
        leaf = keys.get(leaf.reply_to or "")
    for message in messages:
        message.on_path = (message.step_of or message.key) in path
