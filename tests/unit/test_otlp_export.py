"""The timeline's OTLP/JSON export, checked against the real OTLP schema (opentelemetry-proto):
what a collector, otel-tui or Jaeger would read from the lines, not just their look."""

from __future__ import annotations

import base64
import json
import random
import re
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, TracesData

from pai_tui import spans
from pai_tui.history.records import SpanRecord
from pai_tui.observe.otlp import otlp_lines

T0 = 1_700_000_000.25  # exact in binary: its nanoseconds are known without rounding doubts
TRACE_A = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACE_B = "0af7651916cd43dd8448eb211c80319c"
TURN = spans.message_span_id(41)
AGENT_TURN = spans.message_span_id(57)


def record(span_id: str, kind: str, name: str, start: float, end: float | None, *,
           parent: str | None, status: str = "ok", trace_id: str = TRACE_A,
           attributes: dict[str, Any] | None = None, agent: str | None = None) -> SpanRecord:
    attributes = attributes or {}
    return SpanRecord(
        span_id=span_id, trace_id=trace_id, parent_span_id=parent, session_id=7, turn_id=41,
        agent=agent, kind=kind, name=name, started_at=start, ended_at=end, status=status,
        model=attributes.get(spans.REQUEST_MODEL), skill=attributes.get(spans.SKILL),
        input_tokens=attributes.get(spans.INPUT_TOKENS, 0),
        output_tokens=attributes.get(spans.OUTPUT_TOKENS, 0),
        cost=attributes.get(spans.COST), attributes=attributes)


def timeline() -> list[SpanRecord]:
    """A chat turn that routes, calls the model, runs a tool that starts a reviewer agent (a
    child turn in the same trace: it fails, its model call never ended, a question was
    cancelled), and a second conversation's turn still being written."""
    chat = {spans.OPERATION: spans.CHAT, spans.PROVIDER: "openai",
            spans.REQUEST_MODEL: "gpt-4o", spans.CONVERSATION_ID: "7",
            spans.INPUT_TOKENS: 1800, spans.OUTPUT_TOKENS: 420, spans.COST: 0.0123}
    return [
        record(TURN, "turn", "chat gpt-4o", T0, T0 + 9.5, parent=None, attributes=chat),
        record("1111111111111111", "route", "route", T0 + 0.01, T0 + 0.02, parent=TURN,
               attributes={spans.ROUTE_HOW: "words", spans.ROUTE_REASONS: ["review", "diff"],
                           spans.SKILL: "review"}),
        record("2222222222222222", "model", "chat gpt-4o", T0 + 0.5, T0 + 2.75, parent=TURN,
               attributes={spans.OPERATION: spans.CHAT, spans.REQUEST_MODEL: "gpt-4o",
                           spans.REQUEST_MAX_TOKENS: 4096, spans.INPUT_TOKENS: 1200,
                           spans.OUTPUT_TOKENS: 300, spans.COST: 0.0087,
                           spans.TIME_TO_FIRST_TOKEN: 0.4125,
                           spans.FINISH_REASONS: ["tool_calls"]}),
        record("3333333333333333", "tool", "execute_tool agent", T0 + 3, T0 + 8, parent=TURN,
               attributes={spans.OPERATION: spans.EXECUTE_TOOL, spans.TOOL_NAME: "agent",
                           spans.TOOL_TYPE: "function", spans.EXIT_CODE: 0,
                           spans.TOOL_ARGUMENTS: {"agent": "reviewer", "wait": True}}),
        record(AGENT_TURN, "turn", "invoke_agent reviewer", T0 + 3.5, T0 + 7.75,
               parent="3333333333333333", status="error", agent="reviewer",
               attributes={spans.OPERATION: spans.INVOKE_AGENT, spans.AGENT_NAME: "reviewer",
                           spans.AGENT_ID: "57", spans.ERROR_TYPE: "RateLimitError",
                           spans.STATUS_DETAIL: "the provider said: rate limited"}),
        record("5555555555555555", "model", "chat claude-sonnet", T0 + 4, None,
               parent=AGENT_TURN, status="incomplete", agent="reviewer",
               attributes={spans.REQUEST_MODEL: "claude-sonnet"}),
        record("6666666666666666", "permission", "permission shell", T0 + 4.5, T0 + 6,
               parent=AGENT_TURN, status="cancelled", agent="reviewer",
               attributes={spans.PERMISSION_ANSWER: "none"}),
        record(spans.message_span_id(90), "turn", "chat gpt-4o-mini", T0 + 60, None,
               parent=None, status="running", trace_id=TRACE_B,
               attributes={spans.REQUEST_MODEL: "gpt-4o-mini"}),
        record("8888888888888888", "model", "chat gpt-4o-mini", T0 + 60.5, T0 + 61,
               parent=spans.message_span_id(90), trace_id=TRACE_B,
               attributes={spans.INPUT_TOKENS: 50, spans.OUTPUT_TOKENS: 0, spans.COST: 0}),
    ]


def export(records: list[SpanRecord] | None = None) -> list[str]:
    return list(otlp_lines(timeline() if records is None else records, "0.9.1"))


def with_base64_ids(value: Any) -> Any:
    """OTLP/JSON writes trace and span ids in hex (opentelemetry-proto docs/specification.md,
    "JSON Protobuf Encoding": "not base64-encoded as is defined in the standard Protobuf JSON
    Mapping"); `json_format` follows the standard mapping and reads bytes as base64. Hex digits
    are base64 letters, so a hex id parses silently into wrong bytes (24 for a trace id) rather
    than failing. So the ids are turned into base64 before parsing (fromhex: a non-hex id fails
    here), and the hex itself is checked on the raw JSON."""
    if isinstance(value, list):
        return [with_base64_ids(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: base64.b64encode(bytes.fromhex(item)).decode()
            if key in ("traceId", "spanId", "parentSpanId") else with_base64_ids(item)
            for key, item in value.items()}


def parse(line: str) -> TracesData:
    """Strict: an unknown or mistyped field fails (no ignore_unknown_fields)."""
    return json_format.Parse(json.dumps(with_base64_ids(json.loads(line))), TracesData())


def parsed_spans(line: str) -> list[Span]:
    (resource,) = parse(line).resource_spans
    (scope,) = resource.scope_spans
    return list(scope.spans)


def all_spans() -> dict[str, Span]:
    return {s.span_id.hex(): s for line in export() for s in parsed_spans(line)}


def attribute(span: Span, key: str) -> AnyValue:
    (value,) = [a.value for a in span.attributes if a.key == key]
    return value


def test_hex_ids_would_be_misread_by_plain_protobuf_json() -> None:
    """Why `with_base64_ids` exists: without it the ids come out the wrong size."""
    raw = json_format.Parse(export()[0], TracesData())
    span = raw.resource_spans[0].scope_spans[0].spans[0]
    assert (len(span.trace_id), len(span.span_id)) == (24, 12)


def test_every_line_is_one_compact_traces_data_of_the_otlp_schema() -> None:
    lines = export()
    for line in lines:
        assert line == json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"))
        (resource,) = parse(line).resource_spans
        assert {a.key: a.value.string_value for a in resource.resource.attributes} == {
            "service.name": "pai", "service.version": "0.9.1"}
        (scope,) = resource.scope_spans
        assert (scope.scope.name, scope.scope.version) == ("pai", "0.9.1")
        assert scope.schema_url == f"https://opentelemetry.io/schemas/{spans.SEMCONV_VERSION}"
    assert export([]) == []


def test_numbers_are_written_as_otlp_json_wants_them() -> None:
    """protobuf's parser also takes int64 as numbers and enums by name; OTLP/JSON wants decimal
    strings and integers, so the raw text is checked too."""
    (turn, *_) = json.loads(export()[0])["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert turn["startTimeUnixNano"] == "1700000000250000000"
    assert turn["endTimeUnixNano"] == "1700000009750000000"
    assert (turn["kind"], turn["status"]) == (1, {"code": 1})
    assert "parentSpanId" not in turn


def test_one_line_per_trace_with_its_spans_in_start_order() -> None:
    records = timeline()
    random.Random(4).shuffle(records)
    lines = export(records)
    assert len(lines) == 2
    for line, trace_id in zip(lines, (TRACE_A, TRACE_B), strict=True):
        found = parsed_spans(line)
        assert {s.trace_id.hex() for s in found} == {trace_id}
        starts = [s.start_time_unix_nano for s in found]
        assert starts == sorted(starts)
    assert sum(len(parsed_spans(line)) for line in lines) == len(records)


def test_ids_are_lowercase_hex_in_the_json_and_the_records_ids_once_decoded() -> None:
    raw = [s for line in export() for s in json.loads(line)["resourceSpans"][0]["scopeSpans"][0]
           ["spans"]]
    for span in raw:
        assert re.fullmatch(r"[0-9a-f]{32}", span["traceId"])
        assert re.fullmatch(r"[0-9a-f]{16}", span["spanId"])
        assert re.fullmatch(r"[0-9a-f]{16}", span.get("parentSpanId", "0" * 16))
    decoded = all_spans()
    for rec in timeline():
        span = decoded[rec.span_id]
        assert (len(span.trace_id), len(span.span_id)) == (16, 8)
        assert span.trace_id.hex() == rec.trace_id
        assert span.parent_span_id.hex() == (rec.parent_span_id or "")


def test_span_ids_are_unique_and_every_parent_is_in_the_same_trace() -> None:
    roots = []
    for line in export():
        found = parsed_spans(line)
        ids = [s.span_id for s in found]
        assert len(set(ids)) == len(ids)
        for span in found:
            if span.parent_span_id:
                assert span.parent_span_id in ids
            else:
                roots.append(span.span_id.hex())
    assert roots == [TURN, spans.message_span_id(90)]
    assert all_spans()[AGENT_TURN].parent_span_id.hex() == "3333333333333333"


def test_times_are_the_records_in_nanoseconds() -> None:
    found = all_spans()
    assert found[TURN].start_time_unix_nano == 1_700_000_000_250_000_000
    assert found[TURN].end_time_unix_nano == 1_700_000_009_750_000_000
    model = found["2222222222222222"]
    assert model.end_time_unix_nano - model.start_time_unix_nano == 2_250_000_000
    assert all(s.end_time_unix_nano >= s.start_time_unix_nano for s in found.values())


def test_an_unfinished_span_ends_where_it_starts_and_says_so() -> None:
    found = all_spans()
    for span_id in ("5555555555555555", spans.message_span_id(90)):
        span = found[span_id]
        assert span.start_time_unix_nano > 0
        assert span.end_time_unix_nano == span.start_time_unix_nano
        assert attribute(span, "pai.span.unfinished").bool_value is True
    assert "pai.span.unfinished" not in {a.key for a in found[TURN].attributes}


def test_tokens_and_cost_are_typed_numbers() -> None:
    found = all_spans()
    model = found["2222222222222222"]
    tokens = attribute(model, spans.INPUT_TOKENS)
    assert tokens.WhichOneof("value") == "int_value" and tokens.int_value == 1200
    assert attribute(model, spans.REQUEST_MAX_TOKENS).int_value == 4096
    cost = attribute(model, spans.COST)
    assert cost.WhichOneof("value") == "double_value" and cost.double_value == 0.0087
    assert attribute(model, spans.TIME_TO_FIRST_TOKEN).double_value == 0.4125
    reasons = attribute(model, spans.FINISH_REASONS).array_value.values
    assert [v.string_value for v in reasons] == ["tool_calls"]
    free = attribute(found["8888888888888888"], spans.COST)  # 0: still a double, not an int
    assert free.WhichOneof("value") == "double_value" and free.double_value == 0.0
    assert '"intValue":"1200"' in export()[0]  # int64 in JSON: a decimal string


def test_other_values_keep_their_type_and_a_dict_becomes_json_text() -> None:
    tool = all_spans()["3333333333333333"]
    assert attribute(tool, spans.EXIT_CODE).WhichOneof("value") == "int_value"
    arguments = attribute(tool, spans.TOOL_ARGUMENTS)
    assert json.loads(arguments.string_value) == {"agent": "reviewer", "wait": True}
    assert attribute(tool, "pai.span.kind").string_value == "tool"
    odd = record("9999999999999999", "hook", "hook", T0, T0 + 1, parent=None, attributes={
        "flag": False, "big": 2**64, "nan": float("nan"), "mixed": [1, 2.5, True, None]})
    (span,) = parsed_spans(export([odd])[0])
    assert attribute(span, "flag").WhichOneof("value") == "bool_value"
    assert attribute(span, "big").string_value == str(2**64)
    assert attribute(span, "nan").double_value != attribute(span, "nan").double_value
    kinds = [v.WhichOneof("value") for v in attribute(span, "mixed").array_value.values]
    assert kinds == ["int_value", "double_value", "bool_value", None]


def test_model_calls_are_client_spans_and_the_rest_internal() -> None:
    found = all_spans()
    by_kind = {rec.kind: found[rec.span_id].kind for rec in timeline()}
    assert by_kind.pop("model") == Span.SPAN_KIND_CLIENT
    assert set(by_kind.values()) == {Span.SPAN_KIND_INTERNAL}
    assert '"kind":3' in export()[0]  # an integer, never "SPAN_KIND_CLIENT"
    for rec in timeline():
        assert attribute(found[rec.span_id], "pai.span.kind").string_value == rec.kind


def test_statuses_map_to_ok_error_or_unset() -> None:
    found = all_spans()
    ok, error = Span().status.STATUS_CODE_OK, Span().status.STATUS_CODE_ERROR
    assert (found[TURN].status.code, found[TURN].status.message) == (ok, "")
    failed = found[AGENT_TURN].status
    assert (failed.code, failed.message) == (error, "the provider said: rate limited")
    assert attribute(found[AGENT_TURN], spans.AGENT_NAME).string_value == "reviewer"
    for span_id, message in (("5555555555555555", "incomplete"),
                             ("6666666666666666", "cancelled")):
        assert (found[span_id].status.code, found[span_id].status.message) == (error, message)
    running = found[spans.message_span_id(90)]
    assert not running.HasField("status")


def test_a_malformed_id_is_refused_rather_than_written() -> None:
    bad = record("not-hex", "turn", "chat", T0, T0 + 1, parent=None)
    with pytest.raises(ValueError, match="not-hex"):
        export([bad])
