"""Deliberation meetings and themed activities: who records what, and what is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.domain.meetings import (
    MAX_CASES,
    InvalidMeeting,
    Meeting,
    MeetingProblem,
    MeetingProblemCode,
    RecordMeeting,
    can_see_meeting,
    meeting_recorded,
    meeting_scope,
    record_meeting,
    unique,
)
from services.routing.domain.workflow import Actor, NotPermitted
from services.routing.web.catalog import CATALOG
from services.routing.web.meeting_forms import problem_errors, record_fields
from shared.events.activity_events import ACTIVITY_EVENT_TYPES, MeetingRecorded
from shared.events.envelope import Envelope
from shared.web.i18n import Language

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
DIRECTORY = read_directory_file(DEMO_DIRECTORY)
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
HEAD = Actor(role="station_head", username="xijie-head", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
REP = Actor(role="representative", username="rep-0416", representative_code="0416")
HOUSING = Actor(role="department", username="housing-handler", department_id="housing")
SUPERVISOR = Actor(role="supervisor", username="city-supervisor")
ADMIN = Actor(role="admin", username="admin")

BODY: dict[str, Any] = {
    "kind": "deliberation_meeting",
    "liaison_point_id": "xixin",
    "held_on": "2026-11-20",
    "topic": "西新社区危旧房治理议事会",
    "attendance": 23,
    "case_ids": ["c-1", "c-2"],
    "outcome": "确定两户危房先行修缮，住建局下周进场设计。",
}


def command(**changes: Any) -> RecordMeeting:
    return RecordMeeting.model_validate({**BODY, **changes})


def record(
    cmd: RecordMeeting,
    *,
    actor: Actor = STAFF,
    station_cases: frozenset[str] = frozenset({"c-1", "c-2"}),
) -> Meeting:
    return record_meeting(
        cmd,
        meeting_id="m-1",
        actor=actor,
        directory=DIRECTORY,
        station_cases=station_cases,
        today=TODAY,
        now=NOW,
    )


@pytest.mark.parametrize("actor", [STAFF, HEAD])
def test_station_staff_record_a_meeting_of_their_station(actor: Actor) -> None:
    meeting = record(command(), actor=actor)
    assert meeting == Meeting(
        meeting_id="m-1",
        kind="deliberation_meeting",
        station_id="xijie",
        liaison_point_id="xixin",
        held_on=date(2026, 11, 20),
        topic=BODY["topic"],
        attendance=23,
        case_ids=["c-1", "c-2"],
        outcome=BODY["outcome"],
        recorded_by=actor.username,
        recorded_at=NOW,
    )


def test_a_themed_activity_in_the_stations_hall_needs_no_point_nor_cases() -> None:
    meeting = record(
        command(kind="themed_activity", liaison_point_id=None, case_ids=[], attendance=0),
        station_cases=frozenset(),
    )
    assert (meeting.kind, meeting.liaison_point_id, meeting.case_ids) == (
        "themed_activity",
        None,
        [],
    )
    assert meeting.attendance == 0


def test_a_themed_activity_recorded_afterwards_names_the_representatives_who_took_part() -> None:
    meeting = record(command(kind="themed_activity", representatives=["0413", "0412", "0413"]))
    assert meeting.representatives == ["0413", "0412"]
    assert meeting_recorded(meeting).representatives == ["0412", "0413"]


def test_the_record_form_reads_codes_and_case_ids_as_the_plan_form_does() -> None:
    form = {
        "csrf": "x",
        "kind": "themed_activity",
        "liaison_point_id": "",
        "held_on": " 2026-11-20 ",
        "topic": " 代表进社区主题活动 ",
        "attendance": "35",
        "outcome": "收集意见 12 条。",
        "representatives": "0413， 0414 ,0413",
        "case_ids": "c-1 c-2，",
    }
    fields = record_fields(form)
    assert fields == {
        "kind": "themed_activity",
        "held_on": "2026-11-20",
        "topic": "代表进社区主题活动",
        "attendance": "35",
        "outcome": "收集意见 12 条。",
        "representatives": ["0413", "0414", "0413"],
        "case_ids": ["c-1", "c-2"],
    }
    meeting = record(RecordMeeting.model_validate(fields))
    assert (meeting.liaison_point_id, meeting.representatives) == (None, ["0413", "0414"])


def test_an_empty_record_form_names_every_field_it_misses() -> None:
    with pytest.raises(ValidationError) as raised:
        RecordMeeting.model_validate(record_fields({}))
    missing = {e["loc"][0] for e in raised.value.errors()}
    assert missing == {"kind", "held_on", "topic", "attendance", "outcome"}


def test_a_representative_not_in_the_directory_is_refused() -> None:
    with pytest.raises(InvalidMeeting) as raised:
        record(command(representatives=["0412", "9999"]))
    assert raised.value.problems == ["not representatives in the directory: 9999"]
    assert raised.value.details == [
        MeetingProblem("representatives", "unknown_representatives", {"codes": "9999"})
    ]


def test_a_meeting_held_today_is_recorded() -> None:
    assert record(command(held_on=TODAY.isoformat())).held_on == TODAY


def test_a_case_listed_twice_is_linked_once_in_the_order_given() -> None:
    assert record(command(case_ids=["c-2", "c-1", "c-2"])).case_ids == ["c-2", "c-1"]
    assert unique(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


@pytest.mark.parametrize("point", ["jianchi_centre", "longyuan_centre", "no-such-point"])
def test_a_point_of_another_station_or_none_at_all_is_refused(point: str) -> None:
    with pytest.raises(InvalidMeeting) as raised:
        record(command(liaison_point_id=point))
    assert raised.value.problems == [f"liaison point {point} is not in station xijie"]
    assert [(d.field, d.code) for d in raised.value.details] == [
        ("liaison_point_id", "point_not_in_station")
    ]


@pytest.mark.parametrize("point", ["baiyun", "shangcheng", "hexing", "xixin"])
def test_every_point_of_the_station_is_accepted(point: str) -> None:
    assert record(command(liaison_point_id=point)).liaison_point_id == point


def test_cases_not_of_the_station_are_refused_by_id() -> None:
    with pytest.raises(InvalidMeeting) as raised:
        record(command(case_ids=["c-1", "c-9", "c-8"]), station_cases=frozenset({"c-1"}))
    assert raised.value.problems == ["not cases of station xijie: c-9, c-8"]
    assert raised.value.details == [
        MeetingProblem(
            "case_ids", "cases_not_of_station", {"station": "xijie", "cases": "c-9, c-8"}
        )
    ]


def test_a_meeting_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidMeeting, match="2026-11-26 is in the future") as raised:
        record(command(held_on="2026-11-26"))
    assert raised.value.problems == ["held_on 2026-11-26 is in the future"]
    assert raised.value.details == [
        MeetingProblem("held_on", "held_in_future", {"day": "2026-11-26"})
    ]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidMeeting) as raised:
        record(
            command(liaison_point_id="jianchi_centre", held_on="2027-01-01"),
            station_cases=frozenset(),
        )
    assert len(raised.value.problems) == 3
    assert str(raised.value) == "; ".join(raised.value.problems)
    assert [(d.field, d.code) for d in raised.value.details] == [
        ("liaison_point_id", "point_not_in_station"),
        ("case_ids", "cases_not_of_station"),
        ("held_on", "held_in_future"),
    ]
    assert [d.text for d in raised.value.details] == raised.value.problems


def zh(key: str, **values: object) -> str:
    return CATALOG.text(key, "zh", **values)


def en(key: str, **values: object) -> str:
    return CATALOG.text(key, "en", **values)


def test_the_record_forms_refusal_reads_at_its_fields_in_the_pages_language() -> None:
    with pytest.raises(InvalidMeeting) as raised:
        record(
            command(held_on="2026-11-26", representatives=["0413", "9999"], case_ids=["c-9"]),
            station_cases=frozenset(),
        )
    details = raised.value.details
    assert problem_errors(details, zh) == {
        "case_ids": "以下意见建议不属于本联络站：c-9。",
        "held_on": "2026-11-26 还没到，举行日期不能晚于今天。",
        "representatives": "代表名录中没有这些编号：9999。",
    }
    assert problem_errors(details, en) == {
        "case_ids": "Not cases of your station: c-9.",
        "held_on": "2026-11-26 is still to come: the day held cannot be after today.",
        "representatives": "No representatives of these codes in the directory: 9999.",
    }
    # The API keeps the English sentences.
    assert raised.value.problems == [
        "not cases of station xijie: c-9",
        "held_on 2026-11-26 is in the future",
        "not representatives in the directory: 9999",
    ]


@pytest.mark.parametrize("code", get_args(MeetingProblemCode))
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_problem_has_a_message_in_both_languages(code: str, language: Language) -> None:
    values = {"point": "P", "station": "S", "cases": "C", "day": "D", "codes": "R", "item": "I"}
    message = CATALOG.text(f"meeting_problem_{code}", language, **values)
    assert message and "{" not in message


@pytest.mark.parametrize("actor", [REP, HOUSING, SUPERVISOR, ADMIN])
def test_only_station_staff_record_meetings(actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        record(command(), actor=actor)


def test_staff_without_a_station_cannot_record() -> None:
    with pytest.raises(NotPermitted):
        record(command(), actor=Actor(role="staff", username="lost"))


def test_another_stations_staff_record_for_their_own_station_only() -> None:
    with pytest.raises(InvalidMeeting) as raised:
        record(command(), actor=OTHER_STAFF)
    assert raised.value.problems[0] == "liaison point xixin is not in station jianchi"
    assert raised.value.details[0] == MeetingProblem(
        "liaison_point_id", "point_not_in_station", {"point": "xixin", "station": "jianchi"}
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "party"),
        ("attendance", -1),
        ("attendance", 100_001),
        ("topic", ""),
        ("topic", "x"),
        ("topic", "议" * 201),
        ("outcome", ""),
        ("outcome", "x" * 5001),
        ("held_on", "not-a-date"),
        ("case_ids", [""]),
        ("case_ids", ["c"] * (MAX_CASES + 1)),
        ("unexpected", "field"),
    ],
)
def test_malformed_records_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        command(**{field: value})


@pytest.mark.parametrize("field", ["kind", "held_on", "topic", "attendance", "outcome"])
def test_required_fields(field: str) -> None:
    body = {k: v for k, v in BODY.items() if k != field}
    with pytest.raises(ValidationError):
        RecordMeeting.model_validate(body)


@pytest.mark.parametrize(
    ("actor", "scope"), [(STAFF, "xijie"), (HEAD, "xijie"), (SUPERVISOR, None), (ADMIN, None)]
)
def test_staff_read_their_station_and_supervisors_every_station(
    actor: Actor, scope: str | None
) -> None:
    assert meeting_scope(actor) == scope


@pytest.mark.parametrize("actor", [REP, HOUSING, Actor(role="staff", username="lost")])
def test_representatives_and_departments_have_no_meeting_scope(actor: Actor) -> None:
    with pytest.raises(NotPermitted):
        meeting_scope(actor)


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (STAFF, True),
        (HEAD, True),
        (SUPERVISOR, True),
        (ADMIN, True),
        (OTHER_STAFF, False),
        (REP, False),
        (HOUSING, False),
    ],
)
def test_who_sees_a_meeting(actor: Actor, visible: bool) -> None:
    assert can_see_meeting(record(command()), actor) is visible


def test_the_recorded_event_carries_the_meeting_and_round_trips() -> None:
    meeting = record(command())
    event = meeting_recorded(meeting)
    # The event carries the record, not what a planned meeting keeps in routing (names, minutes).
    assert event.model_dump() == meeting.model_dump(include=set(MeetingRecorded.model_fields))
    assert ACTIVITY_EVENT_TYPES["meeting.recorded"] is MeetingRecorded
    envelope = Envelope.wrap(event, source="minyi/routing", subject="m-1", correlation_id="r")
    assert envelope.type == "meeting.recorded"
    assert Envelope.from_bytes(envelope.to_bytes()).payload(MeetingRecorded) == event
