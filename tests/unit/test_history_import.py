"""`pai history import`'s readers and writer on the real store (SQLite and PostgreSQL): each
format's sample comes in as sessions marked with their source, branches and steps kept,
searchable at once; importing again adds nothing; what cannot be read is skipped with its
position and why, and never stops the rest."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from pai_tui.history.imports import reader
from pai_tui.history.imports.writer import Report, write
from pai_tui.history.records import MessageRecord, SessionRecord
from pai_tui.history.store import Store
from pai_tui.paths import HomePaths
from tests.fake_keys import fake_keys
from tests.history_samples import FIXTURES, chatgpt_export, llm_logs

CHATGPT = FIXTURES / "chatgpt" / "conversations.json"
CLAUDE = FIXTURES / "claude" / "conversations.json"
CLAUDE_CODE = FIXTURES / "claude-code" / "projects"


@pytest.fixture
def store(home: HomePaths, database_url: str) -> Store:
    opened, _, _ = Store.open(database_url, home.backups)
    yield opened  # type: ignore[misc]
    opened.close()


def run(store: Store, kind: str, path: Path, **options: object) -> Report:
    return write(reader(kind)(path), store, **options)  # type: ignore[arg-type]


def sessions(store: Store, source: str) -> dict[str, tuple[SessionRecord, list[MessageRecord]]]:
    return {s.external_id or "": (s, store.messages(s.id))
            for s in store.list_sessions() if s.source == source}


def test_chatgpt_keeps_every_branch_and_marks_the_active_path(store: Store) -> None:
    report = run(store, "chatgpt", CHATGPT)
    assert (report.imported, report.unchanged, report.messages) == (2, 0, 12)
    assert [(s.position, s.reason) for s in report.skipped] == [
        ("conversation 3", "no 'mapping' (the conversation's messages)"),
        ("conversation 4", "not an object but str")]
    found = sessions(store, "chatgpt")
    session, messages = found["c0ffee00-0000-4000-8000-000000000001"]
    assert session.title == "Quokka facts" and session.model == "gpt-4o"
    def starting(text: str) -> MessageRecord:
        return next(m for m in messages if m.content.startswith(text))

    draft, chosen = starting("Quokkas are small"), starting("Quokkas live on")
    question = starting("Tell me about quokkas")
    assert draft.reply_to == chosen.reply_to == question.id  # two answers to one question
    assert not draft.on_path and chosen.on_path and draft.model == "gpt-4"
    assert [m.content for m in messages if m.on_path][-1].endswith("```")  # the code block
    assert all(m.cost is None for m in messages if m.role == "assistant")  # unknown, not 0


def test_chatgpt_instructions_images_tools_empty_and_null_parts(store: Store) -> None:
    run(store, "chatgpt", CHATGPT)
    _, messages = sessions(store, "chatgpt")["c0ffee00-0000-4000-8000-000000000002"]
    instructions, question = messages[:2]
    assert (instructions.role, instructions.content.splitlines()[0]) == (
        "system", "[user_editable_context]")  # the custom instructions ChatGPT was sent
    assert "Be brief." in instructions.content
    assert question.content == ("[image: file-service://file-AbC123 1024×768]\n\n"
                                "Plot the wombat counts in this picture")
    call = next(m for m in messages if m.skill == "tool/python" and m.role == "assistant")
    steps = [m for m in messages if m.role == "step"]
    assert [(s.skill, s.parent_id) for s in steps] == [("tool/python", call.id),
                                                       ("tool/browser", call.id)]
    assert steps[0].content == "```\n7\n```" and "cube-shaped" in steps[1].content
    assert "" in [m.content for m in messages]  # an empty answer is kept, empty
    assert messages[-1].status == "incomplete"  # it was still in progress


def test_importing_again_adds_nothing_and_a_continued_chat_adds_only_its_new_messages(
        store: Store, tmp_path: Path) -> None:
    run(store, "chatgpt", CHATGPT)
    count = sum(s.message_count for s in store.list_sessions())
    again = run(store, "chatgpt", CHATGPT)
    assert (again.imported, again.updated, again.unchanged, again.messages) == (0, 0, 2, 0)
    assert sum(s.message_count for s in store.list_sessions()) == count
    data = json.loads(CHATGPT.read_text())
    mapping = data[0]["mapping"]
    mapping["a3"]["children"] = ["u3"]
    mapping["u3"] = {"id": "u3", "parent": "a3", "children": [], "message": {
        "id": "u3", "author": {"role": "user"}, "create_time": 1717000900.0,
        "content": {"content_type": "text", "parts": ["And their lifespan?"]}}}
    data[0]["current_node"] = "u3"
    continued = tmp_path / "conversations.json"
    continued.write_text(json.dumps(data))
    later = run(store, "chatgpt", continued)
    assert (later.imported, later.updated, later.unchanged, later.messages) == (0, 1, 1, 1)
    _, messages = sessions(store, "chatgpt")["c0ffee00-0000-4000-8000-000000000001"]
    assert messages[-1].content == "And their lifespan?" and len(messages) == 6


@pytest.mark.parametrize(("kind", "sample", "member"), [
    ("chatgpt", CHATGPT, "conversations.json"),
    ("claude", CLAUDE, "data-2025-03-04-10-00-00/conversations.json"),
])
def test_a_zip_export_is_read_as_is(store: Store, tmp_path: Path, kind: str, sample: Path,
                                    member: str) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("chat.html", "<html></html>")
        zipped.write(sample, member)
        zipped.writestr("users.json", "[]")
    report = run(store, kind, archive)
    assert (report.imported, report.unchanged) == (2 if kind == "chatgpt" else 3, 0)
    assert run(store, kind, sample).unchanged == report.imported  # the same conversations


def test_names_longer_than_their_columns_are_cut_not_refused(store: Store,
                                                            tmp_path: Path) -> None:
    data = json.loads(CHATGPT.read_text())[:1]
    data[0]["mapping"]["a3"]["message"]["metadata"]["model_slug"] = "m" * 500
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data))
    assert run(store, "chatgpt", path).imported == 1
    _, messages = sessions(store, "chatgpt")["c0ffee00-0000-4000-8000-000000000001"]
    assert messages[-1].model == "m" * 200


def test_claude_attachments_files_tools_and_edited_branches(store: Store) -> None:
    report = run(store, "claude", CLAUDE)
    assert (report.imported, [s.position for s in report.skipped]) == (3, ["conversation 4"])
    found = sessions(store, "claude")
    _, budget = found["a1a1a1a1-0000-4000-8000-00000000000a"]
    assert "[attachment: budget.csv (text/csv, 58 bytes)]\n```\nmonth,rent,food" in \
        budget[0].content and "[file: receipt.png]" in budget[0].content
    answer = budget[1]
    assert answer.content == "January totals 1200; February 1180."
    assert [(m.skill, m.parent_id) for m in budget[2:]] == [
        ("thinking", answer.id), ("tool/repl", answer.id), ("tool/repl", answer.id)]
    birds, branched = found["b2b2b2b2-0000-4000-8000-00000000000b"]
    assert birds.title == "Name a bird that cannot fly"  # no name: the first question
    assert [m.content for m in branched if not m.on_path] == [
        "And one that swims?", "The penguin swims."]
    _, old = found["c3c3c3c3-0000-4000-8000-00000000000c"]
    assert [m.content for m in old] == ["hello from 2024", ""]


def test_claude_code_transcripts_and_their_subagents(store: Store) -> None:
    report = run(store, "claude-code", CLAUDE_CODE)
    assert report.imported == 3
    [(position, reason)] = [(s.position, s.reason) for s in report.skipped]
    assert position.endswith("5f0e6a1c-1111-4222-8333-944445555666.jsonl:13")
    assert reason.startswith("not valid JSON")
    found = sessions(store, "claude-code")
    main, messages = found["5f0e6a1c-1111-4222-8333-944445555666"]
    assert main.title == "Watering schedule script"
    first = messages[1]  # three streamed lines, one answer
    assert (first.content, first.input_tokens, first.output_tokens) == (
        "I'll look at the existing files first.", 2112, 85)
    bash = next(m for m in messages if m.skill == "tool/Bash")
    assert bash.parent_id == first.id and bash.content.endswith("→ water.py\nREADME.md")
    assert messages[-1].content == "Lovely tomatoes!"  # after the malformed line
    assert "[image]\n\nHere is a photo of the garden" in [m.content for m in messages]
    sub, sub_messages = found["5f0e6a1c-1111-4222-8333-944445555666/a1b2c3"]
    assert sub.title.startswith("subagent: ") and sub_messages[1].agent == "subagent:a1b2c3"
    assert "5f0e6a1c-1111-4222-8333-944445555666/9f8e7d6c" in found  # an older agent-*.jsonl


def test_llm_logs_of_both_table_generations(store: Store, tmp_path: Path) -> None:
    report = run(store, "llm", llm_logs(tmp_path / "logs.db"))
    assert (report.imported, report.skipped) == (3, [])
    found = sessions(store, "llm")
    old, old_messages = found["logs:1"]
    assert old.system_prompt == "Be brief" and old.model == "gpt-3.5-turbo"
    assert [m.content for m in old_messages] == [
        "Three names for a pet pelican", "Percy, Gulliver, Scoop", "Two more", "Beaky, Pouch"]
    new, new_messages = found["01jconv"]
    assert new.title == "Pelican research"
    assert new_messages[0].content == ("Describe this image\n\n"
                                       "[attachment: image/jpeg /home/ana/pelican.jpg]")
    assert (new_messages[1].input_tokens, new_messages[1].output_tokens) == (812, 9)
    step = new_messages[-1]
    assert (step.role, step.skill, step.parent_id) == ("step", "tool/speed_lookup",
                                                       new_messages[-2].id)
    assert "response:01jlone" in found


def test_imported_messages_are_searchable_at_once(store: Store) -> None:
    run(store, "claude-code", CLAUDE_CODE)
    run(store, "chatgpt", CHATGPT)
    found = {hit.id for hit in store.search("tomatoes") + store.search("Rottnest")}
    texts = {m.content for s in store.list_sessions() for m in store.messages(s.id)
             if m.id in found}
    assert "Lovely tomatoes!" in texts
    assert "Quokkas live on Rottnest Island and are famous for smiling." in texts


def test_keys_in_an_import_never_reach_the_database(store: Store, tmp_path: Path) -> None:
    key = fake_keys()["anthropic-key"]
    data = json.loads(CLAUDE.read_text())
    data[0]["chat_messages"][0]["content"][0]["text"] += f" my key is {key}"
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(data))
    run(store, "claude", path)
    contents = [m.content for s in store.list_sessions() for m in store.messages(s.id)]
    assert not any(key in text for text in contents)
    assert any("[redacted anthropic-key]" in text for text in contents)


def test_dry_run_counts_and_writes_nothing(store: Store) -> None:
    report = run(store, "claude", CLAUDE, dry_run=True)
    assert (report.imported, report.messages, len(report.skipped)) == (3, 13, 1)
    assert store.list_sessions() == []


def test_a_large_export_streams_with_progress(store: Store, tmp_path: Path) -> None:
    path = chatgpt_export(tmp_path / "conversations.json", 250, turns=2)
    seen: list[tuple[int, float | None]] = []
    report = run(store, "chatgpt", path, progress=lambda r: seen.append((r.seen, r.done)),
                 every=0)
    assert report.imported == 250 and [count for count, _ in seen] == [100, 200, 250]
    fractions = [done or 0.0 for _, done in seen]
    assert 0 < fractions[0] < fractions[1] < fractions[2] == 1.0  # how far into the file
    assert report.messages == 250 * 4 + 50  # every fifth has a regenerated answer


def test_a_file_that_breaks_part_way_keeps_what_came_before(store: Store,
                                                           tmp_path: Path) -> None:
    from pai_tui.history.imports.reading import ImportFileError

    path = tmp_path / "conversations.json"
    shutil.copy(CHATGPT, path)
    text = path.read_text()
    path.write_text(text[: text.index('"title": "Chart of my data"')] + '"title": ')
    with pytest.raises(ImportFileError, match="not valid JSON after item 1"):
        run(store, "chatgpt", path)
    assert [s.title for s in store.list_sessions()] == ["Quokka facts"]


def test_llm_logs_of_the_first_releases(store: Store, tmp_path: Path) -> None:
    """llm's first table (m001: `log`, no id; its time in `timestamp`), as old files keep it."""
    import sqlite3
    from contextlib import closing

    path = tmp_path / "logs.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE log (provider TEXT, system TEXT, prompt TEXT, chat_id TEXT, "
                   "response TEXT, model TEXT, timestamp TEXT)")
        db.execute("INSERT INTO log VALUES ('openai', NULL, 'Ten pelican facts', NULL, "
                   "'1. They fly.', 'gpt-3.5-turbo', '2023-05-01 12:00:00.000')")
    report = run(store, "llm", path)
    assert (report.imported, report.skipped) == (1, [])
    [(session, messages)] = sessions(store, "llm").values()
    assert session.title == "Ten pelican facts"
    assert [m.content for m in messages] == ["Ten pelican facts", "1. They fly."]
    assert messages[0].created_at.year == 2023


def test_what_the_database_refuses_skips_that_conversation_only(store: Store,
                                                               tmp_path: Path) -> None:
    """A NUL character (PostgreSQL refuses them) is dropped; a token count no INTEGER column
    holds makes the database refuse that conversation: it is skipped with the reason, and the
    rest of its batch is kept."""
    data = json.loads(CLAUDE.read_text())[:3]
    data[0]["chat_messages"][0]["content"][0]["text"] = "nul\u0000here"
    lines = [json.dumps({"kind": "session", "uid": f"s{n}", "title": f"chat {n}", "messages": [
        {"id": 1, "role": "user", "content": f"hello {n}\u0000"},
        {"id": 2, "role": "assistant", "content": "hi", "input_tokens": 2**70 if n == 1 else 5},
    ]}) for n in range(3)]
    (tmp_path / "conversations.json").write_text(json.dumps(data))
    (tmp_path / "export.jsonl").write_text("\n".join(lines) + "\n")
    assert run(store, "claude", tmp_path / "conversations.json").imported == 3
    report = run(store, "jsonl", tmp_path / "export.jsonl")
    assert report.imported == 2
    [(position, reason)] = [(s.position, s.reason) for s in report.skipped]
    assert position == "export.jsonl:2" and reason.startswith("not saved: ")
    texts = {m.content for s in store.list_sessions() for m in store.messages(s.id)}
    assert {"hello 0", "hello 2"} <= texts
    assert any(text.startswith("nulhere\n\n[attachment: budget.csv") for text in texts)


def test_a_damaged_zip_says_so(store: Store, tmp_path: Path) -> None:
    from pai_tui.history.imports.reading import ImportFileError

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(CHATGPT, "conversations.json")
    data = bytearray(archive.read_bytes())
    middle = data.index(b"conversations.json") + 400  # inside the compressed member
    data[middle:middle + 64] = bytes(64)
    archive.write_bytes(bytes(data))
    with pytest.raises(ImportFileError, match=r"export\.zip: "):
        run(store, "chatgpt", archive)


def test_chatgpt_trees_without_a_current_node_or_with_a_loop(store: Store,
                                                             tmp_path: Path) -> None:
    data = json.loads(CHATGPT.read_text())[:1]
    del data[0]["current_node"]  # older exports: every branch counts as shown
    looped = json.loads(json.dumps(data[0]))
    looped["id"] = looped["conversation_id"] = "looped"
    looped["mapping"]["root"]["parent"] = "a3"  # a cycle: no root at all
    looped["mapping"]["a3"]["children"] = ["root"]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([*data, looped]))
    report = run(store, "chatgpt", path)
    assert report.imported == 1
    assert [(s.position, s.reason) for s in report.skipped] == [
        ("conversation 2", "its messages' parents form a loop: the tree has no root")]
    _, messages = sessions(store, "chatgpt")["c0ffee00-0000-4000-8000-000000000001"]
    assert len(messages) == 5 and all(m.on_path for m in messages)
