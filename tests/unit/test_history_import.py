"""Importing past cases: what a row may say, and the history of events it becomes
(services/intake/domain/history_import/, the file reader, the stored document, routing's
record and notify's skip)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from services.intake.__main__ import main as intake_main
from services.intake.adapters.history_import_repository import imported_document
from services.intake.adapters.import_file import ImportFile
from services.intake.domain.history_import.checker import (
    HistoryChecker,
    ImportedCase,
    imported_case_id,
    row_ranges,
)
from services.intake.domain.history_import.history import NO_REJECTION_REASON, NO_RESPONSE
from services.intake.domain.history_import.references import DirectoryView
from services.intake.domain.history_import.rows import (
    COLUMNS,
    RowProblem,
    column_problems,
    parse_time,
)
from services.intake.domain.timeline import RETENTION_SINCE
from services.intake.handlers.history_import import Batches, envelopes_of
from services.notify.handlers.case_notifications import on_case_events as notify_on_case_events
from services.routing.adapters.case_documents import imported_audit
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.domain.directory import Directory
from services.routing.domain.imports import imported_decision, rated_by_import
from shared.dispatch import Event
from shared.events.case_events import (
    CASE_EVENT_TYPES,
    IMPORT_SOURCE,
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseRated,
    CaseRejected,
    CaseResponded,
    CaseSubmitted,
)
from shared.events.envelope import EventData
from shared.outbox import OUTBOX, OUTBOX_COUNT
from tests.infra import ROOT

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CITY = ZoneInfo("Asia/Shanghai")
SUBMITTED = "2025-03-03T09:00:00+08:00"
SUBMITTED_UTC = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)

DIRECTORY = DirectoryView.of(
    {
        "categories": [
            {"code": "parking", "name": "停车位"},
            {"code": "retired", "name": "旧分类", "active": False},
        ],
        "stations": [
            {"id": "xijie", "name": "西街街道人大代表联络站"},
            {"id": "jianchi", "name": "剑池街道人大代表联络站"},
        ],
        "liaison_points": [
            {"id": "baiyun", "station": "xijie", "name": "白云社区人大联络点"},
            {"id": "jianchi_centre", "station": "jianchi", "name": "剑池社区人大联络点"},
        ],
        "representatives": [
            {"code": "0412", "name": "张献平", "station": "xijie"},
            {"code": "0501", "name": "陈卫东", "station": "jianchi"},
            {"code": "0999", "name": "已离任", "station": "xijie", "active": False},
        ],
    }
)


def row(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_id": "ledger-17",
        "submitted_at": SUBMITTED,
        "category": "parking",
        "text": "小区里要增加一些停车位",
        "representative_code": "0412",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def closed(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "status": "closed",
        "assigned_at": "2025-03-03T10:00:00+08:00",
        "accepted_at": "2025-03-04T09:00:00+08:00",
        "responded_at": "2025-03-10T16:00:00+08:00",
        "closed_at": "2025-03-11T09:00:00+08:00",
        "response": "已协调物业在东门增设二十个车位",
    }
    return row(**{**fields, **changes})


def checker() -> HistoryChecker:
    return HistoryChecker(directory=DIRECTORY, now=NOW, timezone=CITY)


def imported(data: dict[str, Any]) -> ImportedCase:
    result = checker().check(2, data)
    assert isinstance(result, ImportedCase), str(result)
    return result


def refused(data: dict[str, Any], *, number: int = 2) -> dict[str, str]:
    """field → message of a refused row."""
    result = checker().check(number, data)
    assert isinstance(result, RowProblem), "the row was accepted"
    assert result.row == number
    return {p.field: p.message for p in result.problems}


def types(events: tuple[EventData, ...]) -> list[str]:
    return [e.TYPE for e in events]


# Parsing the fields


def test_a_minimal_row_is_an_in_person_case_still_submitted() -> None:
    case = imported(row(representative_code=None, liaison_point_id="baiyun"))

    assert types(case.events) == ["case.submitted"]
    submitted = case.submitted
    assert submitted.channel == "in_person"
    assert submitted.submitted_at == SUBMITTED_UTC
    assert submitted.has_contact is False
    assert submitted.imported is not None
    assert submitted.imported.status == "submitted"
    assert submitted.imported.station_id == "xijie"  # the point's station


def test_a_date_alone_is_midnight_in_the_city() -> None:
    assert parse_time("2025-03-03", timezone=CITY) == datetime(2025, 3, 2, 16, 0, tzinfo=UTC)


def test_times_keep_their_offset_and_are_stored_in_utc() -> None:
    assert parse_time("2025-03-03T09:00:00Z", timezone=CITY) == datetime(
        2025, 3, 3, 9, 0, tzinfo=UTC
    )
    assert parse_time(SUBMITTED, timezone=CITY) == SUBMITTED_UTC


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("2025-03-03T09:00:00", "has no time zone"),
        ("2025-02-30", "is not an ISO 8601 date or time"),
        ("yesterday", "is not an ISO 8601 date or time"),
        (1741000000, "must be an ISO 8601 date or time, as text"),
    ],
)
def test_a_time_without_zone_or_in_another_format_is_refused(value: object, says: str) -> None:
    problems = refused(row(submitted_at=value))

    assert says in problems["submitted_at"]


@pytest.mark.parametrize("missing", ["external_id", "submitted_at", "category", "text"])
def test_the_required_fields_must_be_there_and_not_blank(missing: str) -> None:
    assert refused(row(**{missing: None}))[missing] == "required"
    assert refused(row(**{missing: "   "}))[missing] == "required"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category", "no spaces!"),
        ("channel", "fax"),
        ("status", "handling"),
        ("rating", "great"),
        ("representative_code", "04/12"),
        ("external_id", "bad\x07id"),
        ("text", "长" * 5001),
    ],
)
def test_a_malformed_field_is_refused_by_name(field: str, value: str) -> None:
    assert field in refused(row(**{field: value}))


def test_status_channel_and_rating_ignore_case() -> None:
    case = imported(closed(status="CLOSED", channel="Meeting", rating="Satisfied"))

    assert case.submitted.channel == "meeting"
    assert types(case.events)[-1] == "case.rated"


def test_a_qr_case_names_its_representative() -> None:
    problems = refused(row(channel="qr", representative_code=None, station_id="xijie"))

    assert "representative_code" in problems


# What the status implies


@pytest.mark.parametrize(
    ("status", "field"),
    [
        ("submitted", "assigned_at"),
        ("assigned", "accepted_at"),
        ("accepted", "responded_at"),
        ("responded", "closed_at"),
        ("rejected", "responded_at"),
    ],
)
def test_a_step_time_the_status_never_reached_is_refused(status: str, field: str) -> None:
    problems = refused(row(status=status, **{field: "2025-03-05T09:00:00+08:00"}))

    assert problems[field].startswith(f"given, but a {status} case was never")


@pytest.mark.parametrize(
    ("field", "status"),
    [
        ("response", "accepted"),
        ("response", "rejected"),
        ("rejection_reason", "closed"),
        ("rating", "accepted"),
        ("rating", "rejected"),
    ],
)
def test_response_rejection_reason_and_rating_belong_to_their_statuses(
    field: str, status: str
) -> None:
    value = {"rating": "satisfied"}.get(field, "一些文字")

    assert field in refused(row(status=status, **{field: value}))


def test_times_out_of_order_name_the_later_field() -> None:
    problems = refused(closed(responded_at="2025-03-03T09:30:00+08:00"))

    assert problems == {
        "responded_at": "2025-03-03T01:30:00+00:00 is before accepted_at 2025-03-04T01:00:00+00:00"
    }


def test_a_step_before_the_submission_is_refused() -> None:
    problems = refused(row(status="assigned", assigned_at="2025-03-01"))

    assert problems["assigned_at"].endswith("is before submitted_at 2025-03-03T01:00:00+00:00")


def test_times_in_the_future_are_refused() -> None:
    later = (NOW + timedelta(days=1)).isoformat()

    assert refused(row(submitted_at=later))["submitted_at"] == "is in the future"
    assert refused(closed(closed_at=later))["closed_at"] == "is in the future"


# Directory references, like a live submission's


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"category": "unknown"}, "category", "no active category 'unknown'"),
        ({"category": "retired"}, "category", "no active category 'retired'"),
        ({"representative_code": "0999"}, "representative_code", "no active representative"),
        ({"liaison_point_id": "nowhere"}, "liaison_point_id", "no active liaison point"),
        ({"station_id": "dongjie"}, "station_id", "no active station 'dongjie'"),
        ({"station_id": "jianchi"}, "representative_code", "belongs to station xijie"),
        (
            {"representative_code": None, "liaison_point_id": "baiyun", "station_id": "jianchi"},
            "liaison_point_id",
            "belongs to station xijie",
        ),
    ],
)
def test_references_must_name_active_directory_entries_that_fit_together(
    changes: dict[str, Any], field: str, message: str
) -> None:
    assert message in refused(row(**changes))[field]


def test_a_handled_case_needs_a_station() -> None:
    problems = refused(row(status="assigned", representative_code=None))

    assert "give station_id, representative_code or liaison_point_id" in problems["station_id"]


def test_the_station_is_the_given_one_else_the_representatives_else_the_points() -> None:
    def station(**changes: Any) -> str | None:
        history = imported(row(status="assigned", **changes)).submitted.imported
        assert history is not None
        return history.station_id

    assert station(station_id="xijie") == "xijie"
    assert station(representative_code="0501") == "jianchi"
    assert station(representative_code=None, liaison_point_id="jianchi_centre") == "jianchi"


def test_a_repeated_external_id_is_refused_naming_its_first_row() -> None:
    rows = checker()
    first = rows.check(2, row())
    again = rows.check(9, row(text="同一编号的另一条"))

    assert isinstance(first, ImportedCase)
    assert isinstance(again, RowProblem)
    assert str(again) == "row 9: external_id: 'ledger-17' is already on row 2"


def test_a_row_names_every_problem_at_once() -> None:
    result = checker().check(5, row(category="unknown", representative_code="0999"))

    assert str(result) == (
        "row 5: category: no active category 'unknown'; "
        "representative_code: no active representative '0999'"
    )


# Columns


def test_personal_data_columns_are_refused_not_imported() -> None:
    problems = column_problems(["external_id", "phone", "name"], header=False)

    assert problems == [
        "phone, name: resident personal data is not imported; remove the column(s) from the file"
    ]
    assert "phone" in str(refused(row(phone="13800000000"))[""])


def test_a_header_must_have_the_required_columns_once_and_no_unknown_ones() -> None:
    problems = column_problems(["external_id", "text", "text", "remarks"], header=True)

    assert problems == [
        "unknown column(s) remarks; the columns are: " + ", ".join(COLUMNS),
        "repeated column(s) text",
        "missing column(s) submitted_at, category",
    ]


# The history of events


@pytest.mark.parametrize(
    ("status", "extra", "expected"),
    [
        ("submitted", {}, ["case.submitted"]),
        ("assigned", {}, ["case.submitted", "case.assigned"]),
        ("accepted", {}, ["case.submitted", "case.assigned", "case.accepted"]),
        (
            "responded",
            {"rating": "basically_satisfied"},
            ["case.submitted", "case.assigned", "case.accepted", "case.responded", "case.rated"],
        ),
        (
            "closed",
            {},
            ["case.submitted", "case.assigned", "case.accepted", "case.responded", "case.closed"],
        ),
        (
            "closed",
            {"rating": "dissatisfied"},
            [
                "case.submitted",
                "case.assigned",
                "case.accepted",
                "case.responded",
                "case.closed",
                "case.rated",
            ],
        ),
        ("rejected", {}, ["case.submitted", "case.assigned", "case.accepted", "case.rejected"]),
    ],
)
def test_each_status_has_the_events_a_live_case_would_have_had(
    status: str, extra: dict[str, Any], expected: list[str]
) -> None:
    assert types(imported(row(status=status, **extra)).events) == expected


def test_handling_events_carry_historical_times_and_the_import_as_actor() -> None:
    case = imported(closed(rating="satisfied"))
    submitted, assigned, accepted, responded, closed_, rated = case.events

    assert isinstance(assigned, CaseAssigned)
    assert (assigned.station_id, assigned.station_name) == ("xijie", "西街街道人大代表联络站")
    assert (assigned.representative_code, assigned.representative_name) == ("0412", "张献平")
    assert assigned.assigned_at == datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    assert assigned.round == 1
    assert isinstance(accepted, CaseAccepted)
    assert accepted.representative_code == "0412"
    assert isinstance(responded, CaseResponded)
    assert responded.response == "已协调物业在东门增设二十个车位"
    assert isinstance(closed_, CaseClosed)
    assert isinstance(rated, CaseRated)
    assert rated.rating == "satisfied"
    assert rated.at == closed_.at == datetime(2025, 3, 11, 1, 0, tzinfo=UTC)
    for action in (accepted, responded, closed_, rated):
        assert isinstance(action, CaseAccepted | CaseResponded | CaseClosed | CaseRated)
        assert (action.actor_role, action.actor_id, action.station_id) == (
            "system",
            "import",
            "xijie",
        )
    assert isinstance(submitted, CaseSubmitted)
    assert submitted.imported is not None
    assert submitted.imported.model_dump() == {
        "external_id": "ledger-17",
        "status": "closed",
        "station_id": "xijie",
        "representative_code": "0412",
        "assigned_at": assigned.assigned_at,
        "accepted_at": accepted.at,
        "responded_at": responded.at,
        "closed_at": closed_.at,
        "rating": "satisfied",
    }


def test_a_step_without_a_time_happened_when_the_step_before_it_did() -> None:
    case = imported(row(status="closed", closed_at="2025-04-01"))
    history = case.submitted.imported

    assert history is not None
    assert history.assigned_at == history.accepted_at == history.responded_at == SUBMITTED_UTC
    assert history.closed_at == datetime(2025, 3, 31, 16, 0, tzinfo=UTC)


def test_missing_response_and_rejection_reason_get_a_note_for_the_resident() -> None:
    responded = imported(row(status="responded")).events[-1]
    rejected = imported(row(status="rejected")).events[-1]
    reasoned = imported(row(status="rejected", rejection_reason="不属于人大代表履职范围")).events[
        -1
    ]

    assert isinstance(responded, CaseResponded)
    assert responded.response == NO_RESPONSE
    assert isinstance(rejected, CaseRejected)
    assert rejected.reason == NO_REJECTION_REASON
    assert isinstance(reasoned, CaseRejected)
    assert reasoned.reason == "不属于人大代表履职范围"


def test_a_case_in_a_station_queue_is_accepted_without_a_representative() -> None:
    case = imported(row(status="accepted", representative_code=None, station_id="jianchi"))
    assigned, accepted = case.events[1:]

    assert isinstance(assigned, CaseAssigned)
    assert assigned.representative_code is None
    assert isinstance(accepted, CaseAccepted)
    assert accepted.representative_code == ""


def test_the_resident_sees_the_timeline_a_live_case_would_show() -> None:
    view = imported(closed(rating="satisfied")).view

    assert view.status == "closed"
    assert [(s.status, s.note) for s in view.timeline] == [
        ("submitted", None),
        ("assigned", "西街街道人大代表联络站 · 张献平"),
        ("accepted", "代表已受理"),
        ("responded", "已答复"),
        ("closed", "已办结"),
        ("closed", "评价：满意"),
    ]
    assert view.fields["response"] == "已协调物业在东门增设二十个车位"
    assert view.fields["rating"] == "satisfied"
    assert view.fields["station"] == {"id": "xijie", "name": "西街街道人大代表联络站"}
    assert view.updated_at == datetime(2025, 3, 11, 1, 0, tzinfo=UTC)


def test_a_rejected_case_shows_its_reason() -> None:
    view = imported(row(status="rejected", rejection_reason="不属于受理范围")).view

    assert view.status == "rejected"
    assert view.fields["rejection_reason"] == "不属于受理范围"


def test_an_ended_imported_case_stays_off_the_contact_retention_index() -> None:
    # No contact to expire: a live case that ended carries `retention_since`, an imported
    # one does not, or the retention job would read every imported case on each pass.
    for case in (imported(closed()), imported(row(status="rejected", rejection_reason="无"))):
        assert case.view.status in ("closed", "rejected")
        assert RETENTION_SINCE not in case.view.fields


def test_one_external_id_is_always_the_same_case_and_key() -> None:
    first, second = imported(row()), imported(row(text="改过的文字"))

    assert first.case_id == second.case_id == imported_case_id("ledger-17")
    assert first.idempotency_key == "import:ledger-17"
    assert first.tracking_code != second.tracking_code
    assert first.fingerprint != second.fingerprint


# Envelopes and the stored document


def test_every_envelope_is_from_the_import_at_the_time_it_happened() -> None:
    case = imported(closed())
    envelopes = envelopes_of(case, correlation_id="import-run-1")

    assert {e.source for e in envelopes} == {IMPORT_SOURCE}
    assert {e.subject for e in envelopes} == {case.case_id}
    assert {e.correlationid for e in envelopes} == {"import-run-1"}
    assert [e.time for e in envelopes] == [
        SUBMITTED_UTC,
        datetime(2025, 3, 3, 2, 0, tzinfo=UTC),
        datetime(2025, 3, 4, 1, 0, tzinfo=UTC),
        datetime(2025, 3, 10, 8, 0, tzinfo=UTC),
        datetime(2025, 3, 11, 1, 0, tzinfo=UTC),
    ]


def test_the_stored_case_carries_its_history_and_marks_it_applied() -> None:
    case = imported(closed())
    envelopes = envelopes_of(case, correlation_id="c")
    document = imported_document(case, envelopes, imported_at=NOW)

    assert document["_id"] == case.case_id
    assert document["idempotency_key"] == "import:ledger-17"
    assert document["status"] == "closed"
    assert document["contact"] is None
    assert document[OUTBOX_COUNT] == len(envelopes) == 5
    published = sorted(document[OUTBOX].values(), key=lambda entry: entry["seq"])
    assert [entry["event"]["type"] for entry in published] == types(case.events)
    # intake's consumer will meet every event but its own case.submitted, and skip it.
    assert document["applied"] == {"e" + e.id.replace("-", ""): True for e in envelopes[1:]}
    assert document["imported"] == {"external_id": "ledger-17", "at": NOW}


# Reading the file


def read(path: Path) -> list[tuple[int, Any]]:
    source = ImportFile(path)
    with path.open("rb") as handle:
        return list(source.rows(handle))


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    path = tmp_path / "past.csv"
    path.write_bytes(
        "\ufeffExternal_ID,submitted_at,category,text\n"
        'a-1,2025-03-03,parking,"两行\n的建议"\n'
        "\n"
        "a-2,2025-03-04,parking\n"
        "a-3,2025-03-05,parking,停车\n".encode()
    )

    rows = read(path)

    assert [number for number, _ in rows] == [2, 5, 6]
    assert rows[0][1] == {
        "external_id": "a-1",
        "submitted_at": "2025-03-03",
        "category": "parking",
        "text": "两行\n的建议",
    }
    assert str(rows[1][1]) == "row 5: 3 values, but the header has 4 columns"


def test_a_line_that_is_not_utf8_refuses_only_its_row(tmp_path: Path) -> None:
    path = tmp_path / "past.csv"
    path.write_bytes(
        b"external_id,submitted_at,category,text\n"
        b"a-1,2025-03-03,parking,\xb9\xfd\xc6\xda\n"
        b"a-2,2025-03-04,parking,ok\n"
    )

    rows = read(path)

    assert str(rows[0][1]) == "row 2: line 2 is not UTF-8"
    assert rows[1][1]["external_id"] == "a-2"


def test_jsonl_rows_are_objects_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "past.jsonl"
    path.write_text('{"external_id": "j-1"}\n\n[1, 2]\n{broken\n', encoding="utf-8")

    rows = read(path)

    assert rows[0] == (1, {"external_id": "j-1"})
    assert str(rows[1][1]) == "row 3: not a JSON object"
    assert str(rows[2][1]).startswith("row 4: not JSON: ")


def test_row_numbers_are_summarised_as_ranges() -> None:
    assert row_ranges([12, 3, 7, 8, 9]) == "3, 7–9, 12"
    assert row_ranges([]) == ""


# Routing's record, notify's skip


def test_routing_records_who_held_an_imported_case_and_each_step() -> None:
    case = imported(closed())
    history = case.submitted.imported
    assert history is not None
    directory = Directory.model_validate(
        {
            "default_station": "xijie",
            "stations": [{"id": "xijie", "name": "西街街道人大代表联络站", "name_en": "Xijie"}],
            "representatives": [
                {"code": "0412", "name": "张献平", "level": "municipal", "station": "xijie"}
            ],
        }
    )

    decision = imported_decision(case.submitted, history, station_id="xijie", directory=directory)
    audit = imported_audit(history, reason=decision.reason)

    assert (decision.station_name, decision.representative_name) == (
        "西街街道人大代表联络站",
        "张献平",
    )
    assert decision.reason == "imported history (external id ledger-17)"
    assert [(a["action"], a["from"], a["to"], a["actor_id"]) for a in audit] == [
        ("assign", "submitted", "assigned", "import"),
        ("accept", "assigned", "accepted", "import"),
        ("respond", "accepted", "responded", "import"),
        ("close", "responded", "closed", "import"),
    ]
    assert [a["at"] for a in audit] == [
        history.assigned_at,
        history.accepted_at,
        history.responded_at,
        history.closed_at,
    ]


def test_routing_records_an_imported_rating_with_the_case_and_leaves_its_event_alone() -> None:
    case = imported(closed(rating="basically_satisfied"))
    history = case.submitted.imported
    assert history is not None
    rated = case.events[-1]
    assert isinstance(rated, CaseRated)

    audit = imported_audit(history, reason="imported")

    assert history.rating == "basically_satisfied"
    assert (audit[-1]["action"], audit[-1]["actor_role"], audit[-1]["at"]) == (
        "rate",
        "resident",
        rated.at,
    )
    assert audit[-1]["detail"] == {"rating": "basically_satisfied"}
    assert rated_by_import(rated)
    live = rated.model_copy(update={"actor_role": "resident", "actor_id": None})
    assert not rated_by_import(live)


def test_an_unrated_imported_case_has_no_rating_step() -> None:
    history = imported(closed()).submitted.imported
    assert history is not None
    assert history.rating is None
    assert [a["action"] for a in imported_audit(history, reason="imported")][-1] == "close"


class Untouchable:
    """A repository notify must not use."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"notify used {name} for an imported case")


async def test_notify_tells_nobody_about_an_imported_case() -> None:
    events = [
        Event.of(envelope, envelope.payload(CASE_EVENT_TYPES[envelope.type]))
        for envelope in envelopes_of(imported(closed()), correlation_id="c")
    ]
    nobody: Any = Untouchable()

    await notify_on_case_events(
        events, inbox=nobody, preferences=nobody, contacts=nobody, push=nobody, zone=UTC
    )


# The documented samples


def test_the_samples_in_the_operations_guide_import_as_documented(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("## Importing past cases", 1)[1]
    blocks = re.findall(r"```(csv|json)\n(.*?)```", section, flags=re.DOTALL)
    assert [kind for kind, _ in blocks] == ["csv", "json"]
    (tmp_path / "sample.csv").write_text(blocks[0][1], encoding="utf-8")
    (tmp_path / "sample.jsonl").write_text(blocks[1][1], encoding="utf-8")
    demo = read_directory_file(DEMO_DIRECTORY).model_dump(mode="json")
    rows = HistoryChecker(
        directory=DirectoryView.of(
            {
                "categories": demo["categories"],
                "stations": demo["stations"],
                "liaison_points": demo["liaison_points"],
                "representatives": demo["representatives"],
            }
        ),
        now=NOW,
        timezone=CITY,
    )

    checked = [
        rows.check(number, data)
        for name in ("sample.csv", "sample.jsonl")
        for number, data in read(tmp_path / name)
    ]

    assert all(isinstance(c, ImportedCase) for c in checked), [str(c) for c in checked]
    assert [c.view.status for c in checked if isinstance(c, ImportedCase)] == [
        "closed",
        "accepted",
        "rejected",
    ]


# The command line


def test_the_import_command_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        intake_main(["import", "--help"])

    assert exited.value.code == 0
    shown = capsys.readouterr().out
    assert "--dry-run" in shown
    assert "--batch-size N" in shown
    assert "exit codes:" in shown


def test_a_missing_file_is_one_error_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = intake_main(["import", str(tmp_path / "nowhere.csv")])

    assert code == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == f"error: {tmp_path / 'nowhere.csv'}: no such file\n"


def test_a_file_of_another_kind_is_refused_before_anything_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "past.xlsx"
    path.write_bytes(b"PK")

    assert intake_main(["import", str(path), "--dry-run"]) == 2
    assert capsys.readouterr().err == f"error: {path}: the file must be .csv or .jsonl\n"


def test_a_batch_size_out_of_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        intake_main(["import", "past.csv", "--batch-size", "0"])

    assert exited.value.code == 2
    assert "--batch-size: must be between 1 and 10000" in capsys.readouterr().err


def test_batches_hold_batch_size_rows_and_the_last_one_says_so(tmp_path: Path) -> None:
    path = tmp_path / "past.jsonl"
    lines = [row(external_id=f"b-{n}") for n in range(4)]
    lines.insert(2, row(external_id="bad", category="unknown"))
    path.write_text("".join(orjson.dumps(r).decode() + "\n" for r in lines), encoding="utf-8")
    source = ImportFile(path)

    with path.open("rb") as handle:
        batches = Batches(
            source=source,
            handle=handle,
            checker=checker(),
            batch_size=2,
            build=True,
            correlation_id="c",
            now=NOW,
        )
        made = [batches.next() for _ in range(3)]

    assert [(b.read, len(b.cases), len(b.documents), b.last) for b in made] == [
        (2, 2, 2, False),
        (2, 1, 1, False),
        (1, 1, 1, True),
    ]
    assert [str(p) for p in made[1].refused] == ["row 3: category: no active category 'unknown'"]
    assert made[-1].bytes_read == source.size
