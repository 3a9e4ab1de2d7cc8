"""The common writer: conversations (and the notes of pai's own export) from any importer into
the store, a batch per transaction, with counts of what happened to each (imported, updated,
unchanged, skipped and why, where). A note's links that name what comes later in the file are
set once every line is in; those that name nothing even then are dropped (imports/jsonl.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import TYPE_CHECKING

from pai_tui.history.imports.model import ImportedConversation, ImportedNote, Skipped
from pai_tui.history.imports.reading import ImportFileError

if TYPE_CHECKING:
    from pai_tui.history.store import Store

BATCH = 100  # conversations (or notes) per transaction
Progress = Callable[["Report"], None]
Item = ImportedConversation | ImportedNote | Skipped


@dataclass
class NoteCounts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def seen(self) -> int:
        return self.imported + self.updated + self.unchanged


@dataclass
class Report:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: int = 0  # messages added
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    done: float | None = None  # how much of the input was read, when the reader can tell
    notes: NoteCounts = field(default_factory=NoteCounts)  # (conversations: the fields above)
    # Imported notes whose links name lines further on (their text dropped: only links kept).
    pending: list[tuple[ImportedNote, str]] = field(default_factory=list, repr=False)
    # Messages added whose context held notes: (session id, message key, the notes' uids).
    contexts: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list, repr=False)

    @property
    def seen(self) -> int:
        return self.imported + self.updated + self.unchanged + len(self.skipped)


def write(items: Iterable[Item], store: Store, *,
          dry_run: bool = False, progress: Progress | None = None,
          every: float = 1.0) -> Report:
    """Import `items` (read lazily: a batch in memory at a time); `progress(report)` about
    every `every` seconds while it runs."""
    report, began = Report(), time.monotonic()
    shown = began
    failure: list[Exception] = []
    iterator = _until_failure(items, failure)
    while batch := list(islice(iterator, BATCH)):
        _count(report, batch, store, dry_run)
        now = time.monotonic()
        if progress and now - shown >= every:
            report.seconds, shown = now - began, now
            progress(report)
    if report.pending and not dry_run:
        _link_pending(report, store)
    if report.contexts and not dry_run:
        store.link_notes_used(report.contexts)
    report.pending, report.contexts = [], []
    report.seconds = time.monotonic() - began
    if failure:  # after what came before it was written, which the error carries
        if isinstance(failure[0], ImportFileError):
            failure[0].report = report
        raise failure[0]
    return report


def _until_failure(items: Iterable[Item], failure: list[Exception]) -> Iterator[Item]:
    """`items` until reading them fails (the failure kept in `failure`)."""
    try:
        yield from items
    except Exception as error:
        failure.append(error)


def _count(report: Report, batch: list[Item], store: Store, dry_run: bool) -> None:
    report.skipped += [item for item in batch if isinstance(item, Skipped)]
    _count_conversations(report, [item for item in batch
                                  if isinstance(item, ImportedConversation)], store, dry_run)
    _count_notes(report, [item for item in batch if isinstance(item, ImportedNote)], store,
                 dry_run)


def _count_conversations(report: Report, conversations: list[ImportedConversation],
                         store: Store, dry_run: bool) -> None:
    if not conversations:
        return
    report.done = conversations[-1].done
    for conversation, outcome in zip(conversations, store.import_conversations(
            conversations, dry_run), strict=True):
        if outcome.verdict == "skipped":
            report.skipped.append(Skipped(conversation.position, outcome.reason))
            continue
        setattr(report, outcome.verdict, getattr(report, outcome.verdict) + 1)
        report.messages += outcome.messages
        if outcome.verdict != "unchanged" and outcome.session_id is not None:
            report.contexts += [(outcome.session_id, m.key, m.notes_used)
                                for m in conversation.messages if m.notes_used]


def _count_notes(report: Report, notes: list[ImportedNote], store: Store,
                 dry_run: bool) -> None:
    if not notes:
        return
    report.done = notes[-1].done if notes[-1].done is not None else report.done
    for note, outcome in zip(notes, store.import_notes(notes, dry_run), strict=True):
        if outcome.verdict == "skipped":
            report.skipped.append(Skipped(note.position, outcome.reason))
            continue
        setattr(report.notes, outcome.verdict, getattr(report.notes, outcome.verdict) + 1)
        if outcome.pending:
            report.pending.append((replace(note, title="", body=""), outcome.verdict))


def _link_pending(report: Report, store: Store) -> None:
    """The links that named lines further on; a note left unchanged so far whose link is set
    now was updated."""
    linked = store.link_notes([note for note, _ in report.pending])
    for note, verdict in report.pending:
        if verdict == "unchanged" and note.uid in linked:
            report.notes.unchanged -= 1
            report.notes.updated += 1
