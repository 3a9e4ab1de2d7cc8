"""`pai notes`: what the history remembers (learnings, decisions, research, preferences) from
the shell. Notes are never changed in place: `edit` writes a new note that supersedes the old
one, `forget` tombstones one (`restore` brings it back)."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import say, say_json, warn

if TYPE_CHECKING:
    from pai_tui.history.records import NoteDraft, NoteRecord
    from pai_tui.history.store import Store

KINDS = ("learning", "decision", "research", "preference")  # history/records.py NOTE_KINDS
EXIT_FAILED = 1


@click.group("notes")
def notes() -> None:
    """What pai remembers: learnings, decisions, research and preferences."""


def _store_call(ctx: click.Context, work: Any) -> Any:
    """`work(store)` off the loop; a refused change (no such note, a superseded one) exits 1
    with its reason."""
    from pai_tui.history.notes import NoteError

    config = config_for(ctx)
    try:
        return in_cockpit(config, lambda c: c.history.run(work))
    except NoteError as error:
        warn(f"pai: {error}")
        ctx.exit(EXIT_FAILED)


def record(note: NoteRecord) -> dict[str, Any]:
    draft = note.draft
    return {"id": note.id, "kind": draft.kind, "title": draft.title, "body": draft.body,
            "tags": list(draft.tags), "telos": list(draft.telos), "status": note.status,
            "superseded_by": note.superseded_by, "created_by": draft.created_by,
            "session": draft.session_id, "message": draft.message_id, "agent": draft.agent,
            "host": note.host, "created_at": note.created_at.isoformat() + "Z",
            "updated_at": note.updated_at.isoformat() + "Z"}


def one_line(note: NoteRecord) -> str:
    state = "" if note.status == "active" else f" [{note.status}]"
    telos = f" ({' '.join(note.draft.telos)})" if note.draft.telos else ""
    return f"{note.id:>5}  {note.kind:<10} {note.created_at:%Y-%m-%d}  {note.title}{telos}{state}"


@notes.command("list")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only this kind (again for more).")
@click.option("--forgotten", is_flag=True, help="The forgotten notes (restore brings one back).")
@click.option("--all", "everything", is_flag=True, help="Superseded and forgotten ones too.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of notes, newest first.")
@click.pass_context
def list_notes(ctx: click.Context, kinds: tuple[str, ...], forgotten: bool, everything: bool,
               as_json: bool) -> None:
    """The notes, newest first (the active ones, unless asked)."""
    statuses = () if everything else ("forgotten",) if forgotten else ("active",)
    found = _store_call(ctx, lambda store: store.notes(kinds, statuses))
    if as_json:
        say_json([record(note) for note in found])
        return
    if not found:
        say("No notes." + ("" if forgotten or everything else
                           " pai notes add --kind learning TEXT adds one."))
    for note in found:
        say(one_line(note))


@notes.command("show")
@click.argument("note_id", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="The note as one JSON object.")
@click.pass_context
def show(ctx: click.Context, note_id: int | None, as_json: bool) -> None:
    """One note in full (superseded and forgotten ones too)."""
    config_for(ctx)
    if note_id is None:
        raise click.UsageError("which note? pai notes show ID (pai notes list)")
    note = _store_call(ctx, lambda store: store.note(note_id))
    if note is None:
        warn(f"pai: no note {note_id} (pai notes list --all)")
        ctx.exit(EXIT_FAILED)
    if as_json:
        say_json(record(note))
        return
    draft = note.draft
    say(f"{note.kind} {note.id}: {note.title}")
    facts = [note.status + (f" (by note {note.superseded_by})" if note.superseded_by else ""),
             f"by {draft.agent or draft.created_by}", f"{note.created_at:%Y-%m-%d %H:%M} UTC"]
    facts += [f"on {note.host}"] if note.host else []
    facts += [f"session {draft.session_id}"] if draft.session_id else []
    say(" · ".join(facts))
    if draft.tags or draft.telos:
        say("tags: " + " ".join(draft.tags) + ("  telos: " + " ".join(draft.telos)
                                                 if draft.telos else ""))
    if draft.body:
        say()
        say(draft.body)


def _text(words: tuple[str, ...]) -> str:
    """TEXT as given, else what stdin holds (when it is not a terminal)."""
    if words:
        return " ".join(words)
    return "" if sys.stdin.isatty() else sys.stdin.read()


@notes.command("add")
@click.argument("text", nargs=-1)
@click.option("--kind", type=click.Choice(KINDS), default="learning", show_default=True)
@click.option("--title", help="Default: the first line of TEXT.")
@click.option("--tag", "tags", multiple=True, help="A tag (again for more).")
@click.option("--telos", "telos", multiple=True, metavar="ID",
              help="A TELOS id it relates to: G1, P2 (again for more).")
@click.option("--json", "as_json", is_flag=True, help="The note added, as JSON.")
@click.pass_context
def add(ctx: click.Context, text: tuple[str, ...], kind: str, title: str | None,
        tags: tuple[str, ...], telos: tuple[str, ...], as_json: bool) -> None:
    """Remember TEXT (or stdin) as a note."""
    from pai_tui.history.notes import split_text
    from pai_tui.history.records import NoteDraft

    config_for(ctx)
    raw = _text(text).strip()
    said, body = split_text(raw)
    if not (title or said):
        raise click.UsageError("what to remember? pai notes add --kind learning TEXT")
    draft = NoteDraft(kind, title or said, body if title is None else raw, tuple(tags),
                      tuple(t.upper() for t in telos))
    note = _store_call(ctx, lambda store: store.add_note(draft))
    say_json(record(note)) if as_json else say(f"note {note.id} kept: {note.title}")


@notes.command("edit")
@click.argument("note_id", type=int, required=False)
@click.argument("text", nargs=-1)
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--title")
@click.option("--tag", "tags", multiple=True, help="Replaces the tags (again for more).")
@click.option("--telos", "telos", multiple=True, metavar="ID", help="Replaces the TELOS ids.")
@click.pass_context
def edit(ctx: click.Context, note_id: int | None, text: tuple[str, ...], kind: str | None,
         title: str | None, tags: tuple[str, ...], telos: tuple[str, ...]) -> None:
    """Change a note: a new note supersedes it (the old one is kept, pointing at the new).
    TEXT replaces the body."""
    config_for(ctx)
    if note_id is None:
        raise click.UsageError("which note? pai notes edit ID [TEXT] [--title …] (pai notes "
                               "list)")
    if not (text or kind or title or tags or telos):
        raise click.UsageError("nothing to change: give TEXT, --title, --kind, --tag or "
                               "--telos")

    def change(store: Store) -> NoteRecord:
        from pai_tui.history.notes import NoteError

        old = store.note(note_id)
        if old is None:
            raise NoteError(f"no note {note_id} (pai notes list)")
        draft: NoteDraft = replace(
            old.draft, kind=kind or old.kind, title=title or old.title,
            body=" ".join(text) if text else old.draft.body,
            tags=tags or old.draft.tags,
            telos=tuple(t.upper() for t in telos) or old.draft.telos, created_by="user")
        return store.supersede_note(note_id, draft)

    note = _store_call(ctx, change)
    say(f"note {note.id} supersedes note {note_id}: {note.title}")


@notes.command("forget")
@click.argument("note_id", type=int, required=False)
@click.pass_context
def forget(ctx: click.Context, note_id: int | None) -> None:
    """Forget a note: gone from search and from what answers are given (restore undoes it)."""
    config_for(ctx)
    if note_id is None:
        raise click.UsageError("which note? pai notes forget ID (pai notes list)")
    note = _store_call(ctx, lambda store: store.forget_note(note_id))
    say(f"note {note.id} forgotten (pai notes restore {note.id} brings it back)")


@notes.command("restore")
@click.argument("note_id", type=int, required=False)
@click.pass_context
def restore(ctx: click.Context, note_id: int | None) -> None:
    """Bring a forgotten note back."""
    config_for(ctx)
    if note_id is None:
        raise click.UsageError("which note? pai notes restore ID (pai notes list --forgotten)")
    note = _store_call(ctx, lambda store: store.restore_note(note_id))
    say(f"note {note.id} restored: {note.title}")
