"""The common writer: conversations from any importer into the store, a batch per transaction,
with counts of what happened to each (imported, updated, unchanged, skipped and why, where)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING

from pai_tui.history.imports.model import ImportedConversation, Skipped
from pai_tui.history.imports.reading import ImportFileError

if TYPE_CHECKING:
    from pai_tui.history.transfer import TransferStore

BATCH = 100  # conversations per transaction
Progress = Callable[["Report"], None]


@dataclass
class Report:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: int = 0  # messages added
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    done: float | None = None  # how much of the input was read, when the reader can tell

    @property
    def seen(self) -> int:
        return self.imported + self.updated + self.unchanged + len(self.skipped)


def write(items: Iterable[ImportedConversation | Skipped], store: TransferStore, *,
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
    report.seconds = time.monotonic() - began
    if failure:  # after what came before it was written, which the error carries
        if isinstance(failure[0], ImportFileError):
            failure[0].report = report
        raise failure[0]
    return report


def _until_failure(items: Iterable[ImportedConversation | Skipped], failure: list[Exception],
                   ) -> Iterator[ImportedConversation | Skipped]:
    """`items` until reading them fails (the failure kept in `failure`)."""
    try:
        yield from items
    except Exception as error:
        failure.append(error)


def _count(report: Report, batch: list[ImportedConversation | Skipped], store: TransferStore,
           dry_run: bool) -> None:
    report.skipped += [item for item in batch if isinstance(item, Skipped)]
    conversations = [item for item in batch if isinstance(item, ImportedConversation)]
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
