"""`pai history`: the history from the shell. `search` finds messages, agents' results and
upgrade items, best first, with a snippet of each. `export` writes the history as JSON Lines
(lossless: `import jsonl` reads it back) or as Markdown in PAI's layout; `import KIND PATH`
brings in the chats the user already has (ChatGPT, Claude.ai, Claude Code, llm, pai's own
export), idempotently; `show` prints one session."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import plural, say, say_json, tell, warn

if TYPE_CHECKING:
    from collections import Counter

    from pai_tui.history.imports.writer import Report
    from pai_tui.history.records import MessageRecord, SearchHit, SessionRecord
    from pai_tui.history.store import Store

KINDS = ("message", "agent", "note", "item")
IMPORT_KINDS = ("chatgpt", "claude", "claude-code", "llm", "jsonl")
_AGO = re.compile(r"^(\d+)\s*([hdwm])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
          "m": timedelta(days=30)}


@click.group("history")
def history() -> None:
    """Your history: search it, show a session, export it, import your other chats."""


def since_moment(value: str, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `2w`, `3m` ago, or a date or time (`2026-11-01`, `2026-11-01T09:30`), as
    naive UTC like the store's times."""
    from pai_tui.history.models import utcnow

    ago = _AGO.match(value.strip().lower())
    if ago:
        return (now or utcnow()) - int(ago.group(1)) * _UNITS[ago.group(2)]
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: not a date (2026-11-01) or an age (7d, 12h, 2w, "
                                 "3m)") from None
    if moment.tzinfo is not None:
        from datetime import UTC

        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@history.command("search")
@click.argument("query", nargs=-1)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only this kind (again for more).")
@click.option("--since", metavar="WHEN", help="Only since: a date (2026-11-01) or an age (7d).")
@click.option("--session", "session_id", type=int, help="Only this session.")
@click.option("--agent", help="Only this agent's runs.")
@click.option("--model", help="Only answers by this model.")
@click.option("--host", help="Only what this machine wrote (pai sync status lists them).")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of results, best first.")
@click.pass_context
def search(ctx: click.Context, query: tuple[str, ...], kinds: tuple[str, ...],
           since: str | None, session_id: int | None, agent: str | None, model: str | None,
           host: str | None, limit: int, as_json: bool) -> None:
    """Find QUERY in messages, agents' results and upgrade items: words with their variants,
    and substrings such as code, ids and URLs. No match is not an error (exit 0)."""
    from pai_tui.history.search import Filters

    config = config_for(ctx)  # a broken config.toml is said first, as by every command
    if not query:
        raise click.UsageError("what to search for? pai history search QUERY")
    filters = Filters(kinds, session_id, agent, model,
                      since_moment(since) if since else None, host=host)
    text = " ".join(query)
    hits = in_cockpit(config, lambda c: c.history.run(
        lambda store: store.search(text, filters, limit)))
    if as_json:
        say_json([record(hit) for hit in hits])
        return
    if not hits:
        say(f"Nothing found for {text!r}.")
    bold = sys.stdout.isatty()
    for hit in hits:
        where = f"session {hit.session_id}" if hit.session_id is not None else "upgrades"
        who = hit.agent or hit.role or hit.kind
        say(f"{hit.kind} {hit.id}  {where}  {hit.created_at:%Y-%m-%d %H:%M}  {who}")
        if bold:
            click.echo("    " + emphasised(hit))
        else:
            say(f"    {hit.snippet}")


def emphasised(hit: SearchHit) -> str:
    """The snippet with its matches in bold, for a terminal: the text is made literal first,
    the bold is ours."""
    from pai_tui.safe_text import printable

    parts, at = [], 0
    for start, end in hit.highlights:
        parts += [printable(hit.snippet[at:start]), "\x1b[1m",
                  printable(hit.snippet[start:end]), "\x1b[22m"]
        at = end
    return "".join([*parts, printable(hit.snippet[at:])])


def record(hit: SearchHit) -> dict[str, Any]:
    return {"kind": hit.kind, "id": hit.id, "session": hit.session_id, "snippet": hit.snippet,
            "highlights": [list(span) for span in hit.highlights], "score": hit.score,
            "role": hit.role, "agent": hit.agent, "model": hit.model,
            "created_at": hit.created_at.isoformat() + "Z"}


@history.command("export")
@click.option("--session", "session_id", type=int, metavar="ID", help="Only this session.")
@click.option("--format", "form", type=click.Choice(["jsonl", "markdown"]), default="jsonl",
              show_default=True,
              help="jsonl: lossless (pai history import jsonl reads it back); markdown: PAI's "
                   "history/ layout, one file per session with YAML frontmatter.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Where to write (default: $PAI_HOME/exports).")
@click.pass_context
def export_command(ctx: click.Context, session_id: int | None, form: str,
                   out: Path | None) -> None:
    """Export the history (or one session) as JSON Lines or Markdown.

    The files are readable by you only; keys in them are redacted."""
    config = config_for(ctx)
    folder = (out or config.home.root / "exports").expanduser()

    def work(store: Store) -> tuple[Path, Counter[str]] | None:
        from pai_tui.history import export

        if session_id is not None and store.get_session(session_id) is None:
            return None
        items = export.records(store, session_id)
        if form == "jsonl":
            return export.write_jsonl(items, folder)
        return export.write_markdown(items, folder)

    try:
        done = in_cockpit(config, lambda cockpit: cockpit.history.run(work))
    except OSError as error:
        warn(f"pai: cannot write to {error.filename or folder}: {error.strerror}")
        ctx.exit(1)
    if done is None:
        warn(f"pai: no session {session_id} (the History pane lists them); nothing was written")
        ctx.exit(2)
    where, count = done
    say(where)
    warn(f"exported {plural(count['session'], 'session')}, {plural(count['note'], 'note')}")


@history.command("import")
@click.argument("kind", type=click.Choice(IMPORT_KINDS), metavar="KIND", required=False)
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--dry-run", is_flag=True, help="Say what would be imported; change nothing.")
@click.pass_context
def import_command(ctx: click.Context, kind: str | None, path: Path | None,
                   dry_run: bool) -> None:
    """Import your other chats; the same file again adds nothing.

    KIND is chatgpt or claude (conversations.json or the export's ZIP), claude-code (its
    transcripts; default ~/.claude/projects), llm (its logs.db) or jsonl (pai history export).
    """
    from pai_tui.history.imports import default_path, reader
    from pai_tui.history.imports.reading import ImportFileError
    from pai_tui.history.imports.writer import write

    config = config_for(ctx)  # a broken config.toml is said first, as by every command
    if kind is None:
        raise click.UsageError(f"which kind? pai history import KIND [PATH], KIND one of "
                               f"{', '.join(IMPORT_KINDS)}")
    path = (path or default_path(kind) or _need_path(kind)).expanduser()

    def work(store: Store) -> Report:
        return write(reader(kind)(path), store, dry_run=dry_run, progress=_progress)

    try:
        report = in_cockpit(config, lambda cockpit: cockpit.history.run(work))
    except ImportFileError as error:
        if error.report is not None:
            _print_report(error.report, kind, dry_run)
        warn(f"pai: {error}")
        ctx.exit(1)
    except OSError as error:
        warn(f"pai: cannot read {error.filename or path}: {error.strerror}")
        ctx.exit(1)
    _print_report(report, kind, dry_run)


def _need_path(kind: str) -> Path:
    raise click.UsageError(f"say which file to import: pai history import {kind} PATH")


def _progress(report: Report) -> None:
    done = "" if report.done is None else f" ({report.done:.0%} of the input)"
    notes = f" and {report.notes.seen:,} notes" if report.notes.seen else ""
    tell(sys.stderr, f"… {report.seen:,} conversations{notes} read{done}, {report.messages:,} "
                     f"messages added, {report.seconds:.0f} s")


def _print_report(report: Report, kind: str, dry_run: bool) -> None:
    would = "would be " if dry_run else ""
    say(f"{kind}: {report.imported:,} {would}imported, {report.updated:,} {would}updated, "
        f"{report.unchanged:,} unchanged, {len(report.skipped):,} skipped; "
        f"{report.messages:,} messages {would}added ({report.seconds:.1f} s)")
    notes = report.notes
    if notes.seen:
        say(f"notes: {notes.imported:,} {would}imported, {notes.updated:,} {would}updated, "
            f"{notes.unchanged:,} unchanged")
    for item in report.skipped:
        say(f"  skipped {item.position}: {item.reason}")


@history.command("show")
@click.argument("session_id", metavar="SESSION_ID", type=int, required=False)
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: the session and its messages (every branch).")
@click.pass_context
def show(ctx: click.Context, session_id: int | None, as_json: bool) -> None:
    """Print a session with its messages.

    Tool steps are shown under their answers; messages off the active branch of an imported
    tree are marked ⑂."""
    config = config_for(ctx)  # a broken config.toml is said first, as by every command
    if session_id is None:
        raise click.UsageError("which session? pai history show SESSION_ID (pai history "
                               "search, or the History pane)")
    found = in_cockpit(config, lambda cockpit: cockpit.history.run(
        lambda store: (store.get_session(session_id), store.messages(session_id))))
    session, messages = found
    if session is None:
        warn(f"pai: no session {session_id}")
        ctx.exit(2)
    if as_json:
        say_json(session_json(session, messages))
        return
    _print_session(session, messages)


def session_json(session: SessionRecord, messages: list[MessageRecord]) -> dict[str, Any]:
    from pai_tui.history.export import clean, message_line

    return {"id": session.id, "title": clean(session.title), "source": session.source,
            "external_id": session.external_id, "provider": session.provider,
            "model": session.model, "created_at": session.created_at.isoformat(),
            "updated_at": session.updated_at.isoformat(),
            "messages": [message_line(message) for message in messages]}


def _print_session(session: SessionRecord, messages: list[MessageRecord]) -> None:
    from pai_tui.history.export import clean

    source = f" · imported from {session.source}" if session.source else ""
    say(f"#{session.id} {clean(session.title)}{source}")
    say(f"{session.created_at:%Y-%m-%d %H:%M} · {plural(len(messages), 'message')}"
        f"{' · ' + session.model if session.model else ''}")
    branches = sum(1 for m in messages if not m.on_path)
    if branches:
        say(f"{plural(branches, 'message')} on other branches (marked ⑂)")
    for message in messages:
        say()
        say(_heading(message))
        say(clean(message.content) or "(empty)")


def _heading(message: MessageRecord) -> str:
    mark = "" if message.on_path else "⑂ "
    if message.role == "step":
        return f"{mark}  ↳ {message.skill or 'step'} ({message.status})"
    model = f" · {message.model}" if message.role == "assistant" and message.model else ""
    agent = f" · {message.agent}" if message.agent else ""
    status = "" if message.status == "complete" else f" ({message.status})"
    return f"{mark}[{message.role}{model}{agent}] {message.created_at:%Y-%m-%d %H:%M}{status}"
