"""Reading export files without loading them whole: a JSON array (a file, or a member of a
ZIP) item by item, with how far into the file the reader is (for progress)."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

from pai_tui.history.imports.model import ImportedConversation, Malformed, Skipped

Parse = Callable[[dict[str, Any], str], ImportedConversation]
T = TypeVar("T")


class ImportFileError(Exception):
    """The file cannot be read at all, or stops being readable part way (the message says where;
    what came before it was imported, and `report` counts it)."""

    report: Any = None  # writer.Report, once the writer has seen the error


@contextmanager
def opened(path: Path, member: str) -> Iterator[tuple[IO[bytes], int]]:
    """The file, or the ZIP's member named `member` (in any folder of it), and its size."""
    if not path.exists():
        raise ImportFileError(f"{path}: no such file")
    if path.is_dir():
        path = path / member
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file (give the export's {member} or ZIP)")
    if zipfile.is_zipfile(path):
        with _zip(path) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == member]
            if not names:
                raise ImportFileError(f"{path}: the ZIP holds no {member}")
            with archive.open(names[0]) as stream:
                yield stream, archive.getinfo(names[0]).file_size
        return
    with path.open("rb") as stream:
        yield stream, path.stat().st_size


@contextmanager
def _zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(f"{path}: a damaged ZIP ({error})") from None
    with archive:
        yield archive


def json_items(stream: IO[bytes], where: str) -> Iterator[tuple[int, Any]]:
    """The items of the JSON array `stream` holds, numbered from 1, one at a time."""
    import ijson

    number = 0
    try:
        for number, item in enumerate(ijson.items(stream, "item", use_float=True), 1):
            yield number, item
    except ijson.JSONError as error:
        raise ImportFileError(f"{where}: not valid JSON after item {number} ({error}); the "
                              f"{number} items before it were read") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise ImportFileError(f"{where}: the ZIP is damaged after item {number} ({error}); "
                              f"the {number} items before it were read") from None
    if number == 0:
        stream.seek(0)
        first = stream.read(64).lstrip()[:1]
        if first and first != b"[":
            raise ImportFileError(f"{where}: expected a JSON array of conversations")


def conversations(path: Path, member: str, parse: Parse, noun: str = "conversation",
                  ) -> Iterator[ImportedConversation | Skipped]:
    """Each item of the export's JSON array parsed, or skipped with its position and why."""
    with opened(path, member) as (stream, size):
        for number, item in json_items(stream, str(path)):
            parsed = parse_one(parse, item, f"{noun} {number}")
            if isinstance(parsed, ImportedConversation) and size:
                parsed.done = min(stream.tell() / size, 1.0)
            yield parsed


def parse_one(parse: Callable[[dict[str, Any], str], T], item: Any, position: str,
              ) -> T | Skipped:
    """`parse(item)`, or why it could not be read."""
    if not isinstance(item, dict):
        return Skipped(position, f"not an object but {type(item).__name__}")
    try:
        return parse(item, position)
    except Malformed as error:
        return Skipped(position, str(error))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return Skipped(position, f"unreadable ({type(error).__name__}: {error})")


def text_of(value: Any) -> str:
    """A field that should be text: None is empty, anything else its JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False)
