"""The CloudEvents envelope: bytes in and out, and the typed payload inside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from shared.events.case_events import CaseSubmitted
from shared.events.envelope import Envelope, EventData, EventDecodeError
from shared.events.resident_events import ResidentContactGiven

AT = datetime(2025, 3, 14, 9, 30, 15, 123000, tzinfo=UTC)


class Ping(EventData):
    TYPE = "test.ping"
    VERSION = 2

    seq: int
    note: str | None = None


class OldPing(EventData):
    TYPE = "test.ping"
    VERSION = 1

    seq: int


def ping_envelope(**changes: Any) -> Envelope:
    return Envelope.wrap(
        Ping(seq=7, note="你好"),
        source="minyi/test",
        subject="case-1",
        correlation_id="req-1",
        time=AT,
        event_id="evt-1",
    ).model_copy(update=changes)


def as_dict(envelope: Envelope) -> dict[str, Any]:
    decoded: dict[str, Any] = orjson.loads(envelope.to_bytes())
    return decoded


def test_wrap_fills_the_cloudevents_attributes() -> None:
    envelope = ping_envelope()

    assert envelope.specversion == "1.0"
    assert envelope.id == "evt-1"
    assert envelope.type == "test.ping"
    assert envelope.schemaversion == 2
    assert envelope.source == "minyi/test"
    assert envelope.subject == "case-1"
    assert envelope.correlationid == "req-1"
    assert envelope.time == AT
    assert envelope.datacontenttype == "application/json"
    assert envelope.data == {"seq": 7, "note": "你好"}


def test_wrap_gives_each_event_a_fresh_id_and_a_current_time() -> None:
    before = datetime.now(UTC)
    first = Envelope.wrap(Ping(seq=1), source="s", subject="k", correlation_id="c")
    second = Envelope.wrap(Ping(seq=1), source="s", subject="k", correlation_id="c")

    assert first.id != second.id
    assert first.time >= before
    assert first.time.tzinfo is not None


def test_round_trip_through_bytes_preserves_the_envelope() -> None:
    envelope = ping_envelope()

    decoded = Envelope.from_bytes(envelope.to_bytes())

    assert decoded == envelope
    assert decoded.payload(Ping) == Ping(seq=7, note="你好")


def test_round_trip_of_a_real_case_event() -> None:
    data = CaseSubmitted(
        case_id="c1", category="parking", text="停车难的问题", channel="qr", submitted_at=AT
    )
    envelope = Envelope.wrap(data, source="intake", subject="c1", correlation_id="r")

    assert Envelope.from_bytes(envelope.to_bytes()).payload(CaseSubmitted) == data


def test_bytes_are_json_with_lower_case_extension_attributes() -> None:
    fields = as_dict(ping_envelope())

    assert fields["schemaversion"] == 2
    assert fields["correlationid"] == "req-1"
    assert fields["data"] == {"seq": 7, "note": "你好"}


@pytest.mark.parametrize("raw", [None, b""])
def test_from_bytes_rejects_an_empty_record(raw: bytes | None) -> None:
    with pytest.raises(EventDecodeError, match="empty"):
        Envelope.from_bytes(raw)


@pytest.mark.parametrize("raw", [b"not json", b"{", b"\xff\xfe", b"{'single': 'quotes'}"])
def test_from_bytes_rejects_what_is_not_json(raw: bytes) -> None:
    with pytest.raises(EventDecodeError, match="not JSON"):
        Envelope.from_bytes(raw)


@pytest.mark.parametrize("value", [[], 42, "text", None, {}, {"id": "x"}, {"hello": "world"}])
def test_from_bytes_rejects_json_that_is_not_an_envelope(value: Any) -> None:
    with pytest.raises(EventDecodeError, match="not a CloudEvents envelope"):
        Envelope.from_bytes(orjson.dumps(value))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("specversion", "0.3"),
        ("schemaversion", 0),
        ("id", ""),
        ("time", "yesterday"),
        ("datacontenttype", "text/plain"),
        ("data", [1, 2]),
    ],
)
def test_from_bytes_rejects_bad_attributes_naming_the_field(field: str, value: Any) -> None:
    fields = as_dict(ping_envelope())
    fields[field] = value

    with pytest.raises(EventDecodeError, match=field):
        Envelope.from_bytes(orjson.dumps(fields))


def test_from_bytes_rejects_a_missing_attribute_naming_it() -> None:
    fields = as_dict(ping_envelope())
    del fields["correlationid"]

    with pytest.raises(EventDecodeError, match="correlationid"):
        Envelope.from_bytes(orjson.dumps(fields))


def test_unknown_extra_attributes_are_tolerated() -> None:
    fields = as_dict(ping_envelope())
    fields["traceparent"] = "00-abc-def-01"
    fields["data"]["added_later"] = True

    decoded = Envelope.from_bytes(orjson.dumps(fields))

    assert decoded.id == "evt-1"
    assert decoded.payload(Ping) == Ping(seq=7, note="你好")


def test_payload_refuses_a_newer_schema_version() -> None:
    with pytest.raises(EventDecodeError, match="schema version 2 is newer than this reader's 1"):
        ping_envelope().payload(OldPing)


def test_payload_accepts_an_older_schema_version() -> None:
    old = Envelope.wrap(OldPing(seq=3), source="s", subject="k", correlation_id="c")

    assert old.payload(Ping) == Ping(seq=3)


def test_a_contact_given_before_residents_had_a_language_reads_as_chinese() -> None:
    envelope = ping_envelope(
        type=ResidentContactGiven.TYPE,
        schemaversion=1,
        data={"case_id": "c1", "phone": "13800138000", "email": None, "given_at": AT.isoformat()},
    )

    assert envelope.payload(ResidentContactGiven).language == "zh"


def test_payload_refuses_a_mismatched_type() -> None:
    with pytest.raises(EventDecodeError, match=r"expected case\.submitted, got test\.ping"):
        ping_envelope().payload(CaseSubmitted)


def test_payload_reports_invalid_data_with_the_field() -> None:
    envelope = ping_envelope(data={"seq": "seven"})

    with pytest.raises(EventDecodeError, match=r"invalid test\.ping data: seq"):
        envelope.payload(Ping)


def test_decode_errors_are_value_errors() -> None:
    assert issubclass(EventDecodeError, ValueError)
