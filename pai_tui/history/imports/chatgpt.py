"""ChatGPT's data export (Settings → Data controls → Export): `conversations.json`, alone or in
the ZIP. Each conversation is a tree (`mapping`: node id → message, parent, children) whose
`current_node` is the leaf the user last saw: every branch is kept, the active path marked."""

from __future__ import annotations

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

SOURCE = "chatgpt"
CONTEXT = ("user_editable_context", "model_editable_context")  # instructions and memory
DONE = {"finished_successfully": "complete", "finished_partial_completion": "incomplete",
        "in_progress": "incomplete"}


def read(path: Path) -> Iterator[ImportedConversation | Skipped]:
    return conversations(path, "conversations.json", parse)


def parse(item: dict[str, Any], position: str) -> ImportedConversation:
    mapping = item.get("mapping")
    if not isinstance(mapping, dict):
        raise Malformed("no 'mapping' (the conversation's messages)")
    ident = item.get("conversation_id") or item.get("id")
    if not ident:
        raise Malformed("no 'id'")
    path = active_path(mapping, item.get("current_node"))
    messages = list(_messages(mapping, path))
    first = next((m.content for m in messages if m.role == "user"), "")
    return ImportedConversation(
        source=SOURCE, external_id=str(ident), position=position,
        title=text_of(item.get("title")).strip() or title_from(first),
        created_at=when(item.get("create_time")), updated_at=when(item.get("update_time")),
        provider="openai", model=item.get("default_model_slug"), messages=messages)


def active_path(mapping: dict[str, Any], leaf: Any) -> set[str] | None:
    """The node ids from the root to `leaf` (None: no current node, every branch is active)."""
    if not isinstance(leaf, str) or leaf not in mapping:
        return None
    path: set[str] = set()
    while isinstance(leaf, str) and leaf in mapping and leaf not in path:
        path.add(leaf)
        leaf = (mapping[leaf] or {}).get("parent")
    return path


def _in_order(mapping: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str | None]]:
    """Each node with its parent's id, parents before children, a branch's messages together
    (depth first, siblings oldest first)."""
    def stamp(node_id: str) -> float:
        message = (mapping.get(node_id) or {}).get("message") or {}
        return float(message.get("create_time") or 0)

    roots = [key for key, node in mapping.items()
             if not isinstance(node, dict) or node.get("parent") not in mapping]
    if mapping and not roots:
        raise Malformed("its messages' parents form a loop: the tree has no root")
    stack = sorted(roots, key=stamp, reverse=True)
    seen: set[str] = set()
    while stack:
        node_id = stack.pop()
        node = mapping.get(node_id)
        if node_id in seen or not isinstance(node, dict):
            continue
        seen.add(node_id)
        yield node_id, node, node.get("parent")
        children = [c for c in node.get("children") or [] if c in mapping]
        stack.extend(sorted(children, key=stamp, reverse=True))


def _messages(mapping: dict[str, Any], path: set[str] | None) -> Iterator[ImportedMessage]:
    kept: dict[str, ImportedMessage] = {}  # node id → the message kept for it
    shown: dict[str, str | None] = {}  # node id → the nearest kept node at or above it
    for node_id, node, parent in _in_order(mapping):
        above = shown.get(parent) if isinstance(parent, str) else None
        message = _message(node_id, node.get("message"), above, kept)
        shown[node_id] = node_id if message else above
        if message is None:
            continue
        message.on_path = path is None or node_id in path
        kept[node_id] = message
        yield message


def _message(node_id: str, raw: Any, above: str | None,
             kept: dict[str, ImportedMessage]) -> ImportedMessage | None:
    if not isinstance(raw, dict):
        return None  # the root: no message
    author = raw.get("author") or {}
    role, content = _role_and_content(raw, author)
    if role is None:
        return None
    message = ImportedMessage(
        key=node_id, role="user", content=content, created_at=when(raw.get("create_time")),
        updated_at=when(raw.get("update_time")), reply_to=above)
    if role in ("user", "system"):
        message.role, message.cost = role, 0.0
        return message
    message.role, message.provider = "assistant", "openai"
    message.model = (raw.get("metadata") or {}).get("model_slug")
    message.status = DONE.get(str(raw.get("status")), "complete")
    recipient = raw.get("recipient") or "all"
    if role == "tool" or recipient != "all":
        _as_step(message, author.get("name") or recipient, above, kept)
    return message


def _role_and_content(raw: dict[str, Any], author: dict[str, Any]) -> tuple[str | None, str]:
    """Who wrote it and its text; no role for what ChatGPT never showed (an empty or hidden
    system message). The user's custom instructions (or memory) are a system message."""
    role = author.get("role") or "assistant"
    content = content_text(raw.get("content"))
    hidden = (raw.get("metadata") or {}).get("is_visually_hidden_from_conversation")
    kind = raw["content"].get("content_type") if isinstance(raw.get("content"), dict) else None
    if kind in CONTEXT:
        return "system", f"[{kind}]\n{content}"
    if role == "system" and (hidden or not content.strip()):
        return None, ""
    return role, content


def _as_step(message: ImportedMessage, tool: str, above: str | None,
             kept: dict[str, ImportedMessage]) -> None:
    """A tool's call or output: a step of the nearest answer above it (if there is one)."""
    answer = kept.get(above) if above else None
    while answer is not None and answer.role == "step":
        answer = kept.get(answer.step_of or "")
    message.skill = f"tool/{tool}"
    if answer is not None and answer.role == "assistant":
        message.role, message.step_of = "step", answer.key


def content_text(content: Any) -> str:
    """A message's content as text, whatever its type: text parts, images as a line saying so,
    code and tool output fenced, quotes with their source; unknown types as their text fields."""
    if not isinstance(content, dict):
        return text_of(content)
    kind = content.get("content_type")
    if kind == "code":
        return f"```{content.get('language') or ''}\n{text_of(content.get('text'))}\n```"
    if kind == "execution_output":
        return f"```\n{text_of(content.get('text'))}\n```"
    if kind == "tether_quote":
        return f"> {text_of(content.get('text'))}\n— {content.get('title') or ''} " \
               f"{content.get('url') or ''}".rstrip()
    if kind == "thoughts":
        return "\n\n".join(text_of((t or {}).get("content")) for t in content.get("thoughts") or [])
    if isinstance(content.get("parts"), list):
        return "\n\n".join(filter(None, (_part(part) for part in content["parts"])))
    if content.get("user_profile") or content.get("user_instructions"):
        return "\n\n".join(filter(None, (text_of(content.get("user_profile")),
                                          text_of(content.get("user_instructions")))))
    for name in ("text", "result", "content", "model_set_context"):
        if content.get(name):
            return text_of(content[name])
    return ""


def _part(part: Any) -> str:
    if part is None:
        return ""
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        kind = part.get("content_type", "")
        if "image" in kind:
            size = f" {part.get('width')}×{part.get('height')}" if part.get("width") else ""
            return f"[image: {part.get('asset_pointer') or 'attached'}{size}]"
        if "audio" in kind:
            return f"[audio: {part.get('asset_pointer') or kind}]"
        if part.get("text"):
            return text_of(part["text"])
        return f"[{kind or 'attachment'}]"
    return text_of(part)
