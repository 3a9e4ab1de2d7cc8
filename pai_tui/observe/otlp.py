"""The timeline as OTLP/JSON lines, as the OpenTelemetry Collector's file exporter writes them:
one `TracesData` object a line, a line per trace. Such a file opens in otel-tui and Jaeger, and
the collector's `otlpjsonfile` receiver replays it into any backend (Phoenix, Langfuse, Tempo).

The encoding is the protobuf JSON mapping with OTLP's deviations (opentelemetry-proto,
docs/specification.md, "JSON Protobuf Encoding"): trace and span ids are hex, not base64; enums
are integers; 64-bit integers (times, `intValue`) are decimal strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

from pai_tui import spans
from pai_tui.history.records import SpanRecord

SERVICE = "pai"
SCHEMA_URL = f"https://opentelemetry.io/schemas/{spans.SEMCONV_VERSION}"
PAI_KIND = "pai.span.kind"  # turn, model, tool...: finer than OTel's span kinds
UNFINISHED = "pai.span.unfinished"  # no end yet: exported as ending where it started

# Span.SpanKind and Status.StatusCode (opentelemetry/proto/trace/v1/trace.proto).
KIND_INTERNAL, KIND_CLIENT = 1, 3
STATUS_OK, STATUS_ERROR = 1, 2

_INT64 = range(-(2**63), 2**63)
# The store's columns that are also attributes; filled in when a record has only the column.
_COLUMNS = {spans.INPUT_TOKENS: "input_tokens", spans.OUTPUT_TOKENS: "output_tokens",
            spans.COST: "cost", spans.REQUEST_MODEL: "model", spans.SKILL: "skill"}


def otlp_lines(records: Sequence[SpanRecord], service_version: str) -> Iterator[str]:
    """One compact `TracesData` JSON line per trace (in order of their first span), its spans in
    start order. A span whose parent is not among `records` keeps its parent id: the tools show
    it as an orphan rather than as a made-up root."""
    traces: dict[str, list[SpanRecord]] = {}
    for record in sorted(records, key=lambda r: r.started_at):
        traces.setdefault(record.trace_id, []).append(record)
    for trace in traces.values():
        data = {"resourceSpans": [{
            "resource": {"attributes": _key_values({"service.name": SERVICE,
                                                    "service.version": service_version})},
            "scopeSpans": [{"scope": {"name": SERVICE, "version": service_version},
                            "schemaUrl": SCHEMA_URL,
                            "spans": [_span(record) for record in trace]}],
        }]}
        yield json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _span(record: SpanRecord) -> dict[str, Any]:
    start = _nanos(record.started_at)
    end = start if record.ended_at is None else max(start, _nanos(record.ended_at))
    span: dict[str, Any] = {"traceId": _hex_id(record.trace_id, 16),
                            "spanId": _hex_id(record.span_id, 8)}
    if record.parent_span_id:  # a root's is empty: omitted, as proto3 JSON omits defaults
        span["parentSpanId"] = _hex_id(record.parent_span_id, 8)
    span |= {"name": record.name,
             "kind": KIND_CLIENT if record.kind == "model" else KIND_INTERNAL,
             "startTimeUnixNano": str(start), "endTimeUnixNano": str(end),
             "attributes": _key_values(_attributes(record))}
    status = _status(record)
    if status:
        span["status"] = status
    return span


def _attributes(record: SpanRecord) -> dict[str, Any]:
    """The record's attributes, with what only its columns hold, and pai's kind."""
    attributes = dict(record.attributes)
    for name, column in _COLUMNS.items():
        value = getattr(record, column)
        if name not in attributes and value not in (None, 0):
            attributes[name] = value
    if isinstance(attributes.get(spans.COST), int | float):  # a cost of 0 is still a double
        attributes[spans.COST] = float(attributes[spans.COST])
    attributes[PAI_KIND] = record.kind
    if record.ended_at is None:
        attributes[UNFINISHED] = True
    return attributes


def _status(record: SpanRecord) -> dict[str, Any]:
    """OTel has only ok and error: cancelled and incomplete are errors that say so; a running
    span's status is unset (empty)."""
    if record.status == "ok":
        return {"code": STATUS_OK}
    if record.status == "error":
        detail = record.attributes.get(spans.STATUS_DETAIL)
        return {"code": STATUS_ERROR} | ({"message": str(detail)} if detail else {})
    if record.status in ("cancelled", "incomplete"):
        return {"code": STATUS_ERROR, "message": record.status}
    return {}


def _key_values(attributes: dict[str, Any]) -> list[dict[str, Any]]:
    """OTLP's KeyValue list; an attribute without a value (None) is not said."""
    return [{"key": key, "value": _any_value(value)}
            for key, value in attributes.items() if value is not None]


def _any_value(value: Any) -> dict[str, Any]:
    """A typed AnyValue. bool before int (a bool is an int in Python); an int outside int64
    and anything OTLP cannot hold (a dict) become strings rather than a rejected line."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)} if value in _INT64 else {"stringValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": _double(value)}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [_any_value(item) for item in value]}}
    return {"stringValue": json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                      default=str)}


def _double(value: float) -> float | str:
    """JSON has no NaN or infinity: the protobuf mapping spells them as strings."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _nanos(seconds: float) -> int:
    """Whole seconds and the fraction apart: `seconds * 1e9` as a float is only good to 256 ns
    at today's epoch (1.7e18 is past 2**53), which would move 0.25 s to ...249999872."""
    whole = math.floor(seconds)
    return whole * 1_000_000_000 + round((seconds - whole) * 1_000_000_000)


def _hex_id(value: str, size: int) -> str:
    """A lowercase hex id of `size` bytes; anything else would be refused by the collector, so
    it is refused here, naming the id."""
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise ValueError(f"not a {size}-byte hex id: {value!r}")
    return raw.hex()
