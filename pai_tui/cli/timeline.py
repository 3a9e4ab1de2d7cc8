"""`pai runs` and `pai trace`: the timeline from the shell. Every chat turn and agent run is a
tree of spans (spans.py); `runs` lists the turns, `trace` prints one as a waterfall, as JSON lines
(one span per line) or as OTLP JSON (one `TracesData` per line, as the OpenTelemetry file
exporter writes it: otel-tui, Phoenix or Langfuse open it)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import click

from pai_tui.cli import config_for, in_cockpit
from pai_tui.cli.output import plural, say, say_json, warn

NAME_WIDTH = 44
BAR_WIDTH = 24
_AGO = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """`--since` as seconds since the epoch: `30m`, `2h`, `7d`, `1w`, `today`, or an ISO date or
    time (local unless it says its zone)."""
    now = time.time() if now is None else now
    value = text.strip().lower()
    if value == "today":
        local = datetime.fromtimestamp(now).astimezone()
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    if match := _AGO.match(value):
        return now - int(match.group(1)) * _UNITS[match.group(2)]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r}: say 30m, 2h, 7d, 1w, today, or a date such as "
                                 "2026-11-30", param_hint="--since") from None
    return (moment if moment.tzinfo else moment.astimezone()).timestamp()


def _iso(moment: float | None) -> str | None:
    return None if moment is None else datetime.fromtimestamp(moment, UTC).isoformat()


def run_record(span: Any) -> dict[str, Any]:
    """A turn or run as `pai runs --json` prints it."""
    return {"id": span.turn_id, "kind": "agent" if span.agent else "chat", "agent": span.agent,
            "status": span.status, "parent_id": _parent_turn(span.parent_span_id),
            "session": span.session_id, "model": span.model, "skill": span.skill,
            "started_at": _iso(span.started_at), "ended_at": _iso(span.ended_at),
            "duration_s": None if span.duration is None else round(span.duration, 3),
            "input_tokens": span.input_tokens, "output_tokens": span.output_tokens,
            "cost": span.cost}


def _parent_turn(parent_span_id: str | None) -> int | None:
    return None if parent_span_id is None else int(parent_span_id, 16)


@click.command("runs")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON array, newest first (id, kind, agent, status, parent_id, "
                   "model, started_at, duration_s, input_tokens, output_tokens, cost).")
@click.option("--since", "since", metavar="WHEN",
              help="Only those started since: 30m, 2h, 7d, 1w, today, or a date.")
@click.option("--agents", "agents_only", is_flag=True, help="Agents' runs only.")
@click.pass_context
def runs(ctx: click.Context, as_json: bool, since: str | None, agents_only: bool) -> None:
    """List chat turns and agents' runs from the timeline, newest first (pai trace ID shows
    one)."""
    config = config_for(ctx)
    moment = parse_since(since) if since else None
    found = in_cockpit(config, lambda cockpit: cockpit.history.turn_spans(moment, agents_only))
    records = [run_record(span) for span in found]
    if as_json:
        say_json(records)
        return
    from pai_tui.observe.waterfall import seconds

    for r, span in zip(records, found, strict=True):
        who = r["agent"] or "chat"
        cost = "cost unknown" if r["cost"] is None else f"${r['cost']:.4f}"
        say(f"{r['id']:>6}  {who:<14} {r['status']:<10} {r['started_at'][:19]}  "
            f"{seconds(span.duration):>8}  {r['input_tokens']:,} in / "
            f"{r['output_tokens']:,} out  {cost}  {r['model'] or ''}")
    warn(plural(len(records), "turn") + (" (agents' runs)" if agents_only else ""))


@click.command("trace")
@click.argument("turn_id", metavar="RUN_OR_TURN_ID", type=int, required=False)
@click.option("--format", "form", type=click.Choice(["text", "jsonl", "otlp-json"]),
              default="text", show_default=True,
              help="text: a waterfall; jsonl: one span per line; otlp-json: OTLP JSON lines.")
@click.pass_context
def trace(ctx: click.Context, turn_id: int | None, form: str) -> None:
    """Print the timeline of a turn or an agent's run: its model calls, tool runs, questions and
    the runs it started (pai runs lists the ids)."""
    config = config_for(ctx)
    if turn_id is None:
        raise click.UsageError("say which turn or run: pai trace ID (pai runs lists them)")
    wanted = turn_id
    records = in_cockpit(config, lambda cockpit: cockpit.history.trace(wanted))
    if not records:
        warn(f"pai: no timeline for {turn_id} (pai runs lists the turns and runs that have one)")
        ctx.exit(2)
    if form == "jsonl":
        for record in records:
            say_json(span_record(record))
    elif form == "otlp-json":
        from pai_tui import __version__
        from pai_tui.observe.otlp import otlp_lines

        for line in otlp_lines(records, __version__):
            say(line)
    else:
        _print_waterfall(records)


def span_record(span: Any) -> dict[str, Any]:
    """A span as `pai trace --format jsonl` prints it."""
    return {"span_id": span.span_id, "trace_id": span.trace_id,
            "parent_span_id": span.parent_span_id, "kind": span.kind, "name": span.name,
            "status": span.status, "turn_id": span.turn_id, "session": span.session_id,
            "agent": span.agent, "started_at": _iso(span.started_at),
            "ended_at": _iso(span.ended_at),
            "duration_s": None if span.duration is None else round(span.duration, 6),
            "attributes": span.attributes}


def _print_waterfall(records: list[Any]) -> None:
    from pai_tui.observe import waterfall

    now = time.time()
    total = waterfall.span_of_time(records, now)
    start = min(r.started_at for r in records)
    for row in waterfall.rows(records):
        span = row.span
        name = ("  " * row.depth + waterfall.label(span))[:NAME_WIDTH]
        mark = waterfall.MARKS.get(span.status, "?")
        say(f"{mark} {name:<{NAME_WIDTH}} {waterfall.bar(row, total, BAR_WIDTH, now - start)} "
            f"{waterfall.seconds(row.duration):>8}  {waterfall.detail(span)}".rstrip())
    used = waterfall.totals(records)
    warn(f"{plural(used.model_calls, 'model call')}, {plural(used.tool_runs, 'tool run')}, "
         f"{plural(used.errors, 'error')} · {used.input_tokens:,} in / "
         f"{used.output_tokens:,} out · {used.cost_text()} · {waterfall.seconds(total)}")
