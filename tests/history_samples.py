"""Samples of the formats `pai history import` reads: the hand-made ones in
tests/fixtures/history_imports/ (README.md there says where each shape comes from), an `llm`
logs.db of either table generation built here with the columns llm's own migrations make, and a
generated ChatGPT export of any size (for the benchmark and the progress test)."""

from __future__ import annotations

import json
import random
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "history_imports"
WORDS = ("quokka", "wombat", "garden", "tomato", "python", "schedule", "budget", "river",
         "lantern", "orbit", "copper", "meadow", "signal", "harbor", "cipher")


def chatgpt_export(path: Path, conversations: int, turns: int = 10, seed: int = 7) -> Path:
    """A conversations.json of `conversations` conversations, `turns` questions and answers
    each (a regenerated answer in every fifth: a branch), written as it is made."""
    pick = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for number in range(conversations):
            out.write("," if number else "")
            json.dump(_conversation(pick, number, turns), out)
        out.write("]")
    return path


def _text(pick: random.Random, words: int) -> str:
    return " ".join(pick.choice(WORDS) for _ in range(words))


def _node(node_id: str, parent: str | None, role: str, text: str, moment: float) -> dict:  # type: ignore[type-arg]
    message = {"id": node_id, "author": {"role": role, "name": None, "metadata": {}},
               "create_time": moment, "update_time": None,
               "content": {"content_type": "text", "parts": [text]},
               "status": "finished_successfully", "end_turn": True, "weight": 1.0,
               "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
               "recipient": "all", "channel": None}
    return {"id": node_id, "message": message, "parent": parent, "children": []}


def _conversation(pick: random.Random, number: int, turns: int) -> dict:  # type: ignore[type-arg]
    start = 1_700_000_000.0 + number * 3600
    mapping = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
    parent = "root"
    for turn in range(turns):
        for role in ("user", "assistant"):
            node_id = f"{number}-{turn}-{role}"
            mapping[node_id] = _node(node_id, parent, role, _text(pick, 40),
                                     start + turn * 60 + (role == "assistant"))
            mapping[parent]["children"].append(node_id)
            if role == "assistant" and turn == 0 and number % 5 == 0:  # a regenerated answer
                mapping[f"{node_id}-old"] = _node(f"{node_id}-old", parent, role,
                                                  _text(pick, 30), start)
                mapping[parent]["children"].insert(0, f"{node_id}-old")
            parent = node_id
    return {"title": f"Generated {number} {_text(pick, 3)}", "create_time": start,
            "update_time": start + turns * 60, "mapping": mapping, "current_node": parent,
            "conversation_id": f"gen-{number:06d}", "id": f"gen-{number:06d}",
            "default_model_slug": "gpt-4o", "moderation_results": [], "is_archived": False}


# The tables as llm's migrations leave them (llm/migrations.py, github.com/simonw/llm):
# m001-m008 make `log` then rename it `logs`; m010 makes conversations and responses; m012
# attachments; m013 token counts; m017 tool calls and results.
OLD_LOGS = ("CREATE TABLE logs (id INTEGER PRIMARY KEY, model TEXT, prompt TEXT, system TEXT, "
            "prompt_json TEXT, options_json TEXT, response TEXT, response_json TEXT, "
            "reply_to_id INTEGER REFERENCES logs(id), chat_id INTEGER REFERENCES logs(id), "
            "duration_ms INTEGER, datetime_utc TEXT)")
NEW_TABLES = (
    "CREATE TABLE conversations (id TEXT PRIMARY KEY, name TEXT, model TEXT)",
    "CREATE TABLE responses (id TEXT PRIMARY KEY, model TEXT, prompt TEXT, system TEXT, "
    "prompt_json TEXT, options_json TEXT, response TEXT, response_json TEXT, "
    "conversation_id TEXT REFERENCES conversations(id), duration_ms INTEGER, "
    "datetime_utc TEXT, input_tokens INTEGER, output_tokens INTEGER, token_details TEXT, "
    "schema_id TEXT)",
    "CREATE TABLE attachments (id TEXT PRIMARY KEY, type TEXT, path TEXT, url TEXT, "
    "content BLOB)",
    'CREATE TABLE prompt_attachments (response_id TEXT, attachment_id TEXT, "order" INTEGER, '
    "PRIMARY KEY (response_id, attachment_id))",
    "CREATE TABLE tool_calls (id INTEGER PRIMARY KEY, response_id TEXT, tool_id INTEGER, "
    "name TEXT, arguments TEXT, tool_call_id TEXT)",
    "CREATE TABLE tool_results (id INTEGER PRIMARY KEY, response_id TEXT, tool_id INTEGER, "
    "name TEXT, output TEXT, tool_call_id TEXT)",
)


def llm_logs(path: Path) -> Path:
    """A logs.db with both generations: an old `logs` chat (two exchanges) and a newer
    conversation (with an attachment and a tool call), plus a lone response."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(OLD_LOGS)
        db.executemany(
            "INSERT INTO logs (id, model, prompt, system, response, chat_id, datetime_utc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(1, "gpt-3.5-turbo", "Three names for a pet pelican", "Be brief",
              "Percy, Gulliver, Scoop", None, "2023-07-01T10:00:00.000000"),
             (2, "gpt-3.5-turbo", "Two more", None, "Beaky, Pouch", 1,
              "2023-07-01T10:01:00.000000")])
        for statement in NEW_TABLES:
            db.execute(statement)
        db.execute("INSERT INTO conversations VALUES ('01jconv', 'Pelican research', "
                   "'gpt-4o-mini')")
        db.executemany(
            "INSERT INTO responses (id, model, prompt, system, response, conversation_id, "
            "datetime_utc, input_tokens, output_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [("01jr1", "gpt-4o-mini", "Describe this image", None, "A pelican on a bike",
              "01jconv", "2025-02-01T09:00:00+00:00", 812, 9),
             ("01jr2", "gpt-4o-mini", "How fast?", None, "About 20 km/h", "01jconv",
              "2025-02-01T09:01:00+00:00", 830, 5),
             ("01jlone", "claude-3.5-haiku", "Say hi", None, "Hi!", None,
              "2025-02-02T08:00:00+00:00", None, None)])
        db.execute("INSERT INTO attachments VALUES ('att1', 'image/jpeg', "
                   "'/home/ana/pelican.jpg', NULL, NULL)")
        db.execute("INSERT INTO prompt_attachments VALUES ('01jr1', 'att1', 0)")
        db.execute("INSERT INTO tool_calls (response_id, name, arguments, tool_call_id) "
                   "VALUES ('01jr2', 'speed_lookup', '{\"animal\": \"pelican\"}', 'call_1')")
    return path
