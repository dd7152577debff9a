"""Deliberation meetings that close the loop: the proposed agenda (open cases clustered by
point, category and distance), planning, holding, deciding an item, and what a decision tells
each case's resident."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.timeline import change_for
from services.routing.adapters.directory_repository import DEMO_DIRECTORY, read_directory_file
from services.routing.domain.meeting_agenda import OpenCase, propose_agenda
from services.routing.domain.meetings import (
    DecideItem,
    HoldMeeting,
    InvalidMeeting,
    Meeting,
    MeetingNotAllowed,
    MeetingProblem,
    NoSuchItem,
    NoSuchMeeting,
    PlanMeeting,
    decide_item,
    decided_events,
    hold_meeting,
    meeting_recorded,
    plan_meeting,
)
from services.routing.domain.workflow import Actor, NotPermitted
from services.routing.entrypoints.pages.form_post import Refusal
from services.routing.entrypoints.pages.meetings import refusal
from services.routing.web.catalog import CATALOG
from services.routing.web.meeting_forms import (
    decision_fields,
    deliberators,
    plan_fields,
    problem_errors,
)
from shared.events.case_events import CASE_EVENT_TYPES, CaseMeetingDecided
from shared.events.envelope import Envelope
from shared.sealing import is_sealed, new_key, open_envelope, seal_envelope

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
DIRECTORY = read_directory_file(DEMO_DIRECTORY)
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
REP = Actor(role="representative", username="rep-0412", representative_code="0412")


def case(case_id: str, category: str, point: str | None, age_days: int = 0) -> OpenCase:
    return OpenCase(
        case_id=case_id,
        category=category,
        liaison_point_id=point,
        submitted_at=NOW - timedelta(days=age_days),
    )


# baiyun and shangcheng are 272 m apart (one neighbourhood); xixin is 508 m from baiyun and
# hexing over a kilometre away.
CASES = [
    case("p1", "parking", "baiyun", 3),
    case("p2", "parking", "baiyun", 1),
    case("p3", "parking", "shangcheng", 5),
    case("p4", "parking", "hexing", 2),
    case("d1", "drainage", "hexing", 9),
    case("d2", "drainage", "hexing", 8),
    case("h1", "parking", None, 4),
]


def test_cases_of_one_category_at_nearby_points_are_one_item_biggest_first() -> None:
    items = propose_agenda(CASES, directory=DIRECTORY)
    assert [(i.category, i.liaison_point_id, i.case_ids) for i in items] == [
        ("parking", "baiyun", ["p3", "p1", "p2"]),
        ("drainage", "hexing", ["d1", "d2"]),
        ("parking", None, ["h1"]),  # the station's hall: waiting longer than p4
        ("parking", "hexing", ["p4"]),
    ]
    first = items[0]
    assert first.point_ids == ["baiyun", "shangcheng"]
    assert first.count == 3
    assert first.title == "白云社区人大联络点：停车位（3件）"
    assert items[2].title == "联络站：停车位（1件）"


def test_another_category_at_the_same_point_is_another_item() -> None:
    items = propose_agenda(
        [case("a", "parking", "baiyun"), case("b", "ev_charging", "baiyun")], directory=DIRECTORY
    )
    assert sorted(i.category for i in items) == ["ev_charging", "parking"]


def test_points_are_chained_by_distance_single_linkage() -> None:
    # xixin is 508 m from baiyun: just beyond the same neighbourhood.
    items = propose_agenda(
        [case("a", "parking", "baiyun"), case("b", "parking", "xixin")], directory=DIRECTORY
    )
    assert len(items) == 2


def test_a_point_filter_keeps_the_items_that_take_up_its_cases() -> None:
    items = propose_agenda(CASES, directory=DIRECTORY, liaison_point_id="shangcheng")
    assert [i.case_ids for i in items] == [["p3", "p1", "p2"]]
    assert propose_agenda(CASES, directory=DIRECTORY, limit=2)[1].category == "drainage"
    assert propose_agenda([], directory=DIRECTORY) == []


def plan_command(**changes: Any) -> PlanMeeting:
    body: dict[str, Any] = {
        "liaison_point_id": "baiyun",
        "planned_on": TODAY.isoformat(),
        "topic": "白云社区停车议事会",
        "agenda": [
            {"title": "白云社区停车难", "category": "parking", "case_ids": ["p1", "p2", "p3"]},
            {"title": "河星村排水", "case_ids": ["d1"]},
        ],
        "representatives": ["0412", "0413"],
        "deliberators": [{"name": "王阿姨", "role": "居民议事员"}, {"name": "李师傅"}],
    }
    return PlanMeeting.model_validate({**body, **changes})


STATION_CASES = frozenset({"p1", "p2", "p3", "d1"})


def planned(**changes: Any) -> Meeting:
    return plan_meeting(
        plan_command(**changes),
        meeting_id="m-1",
        actor=STAFF,
        directory=DIRECTORY,
        station_cases=STATION_CASES,
        today=TODAY,
        now=NOW,
    )


def test_a_planned_meeting_numbers_its_items_and_keeps_its_participants() -> None:
    meeting = planned()
    assert meeting.status == "planned"
    assert [(i.item_id, i.case_ids) for i in meeting.agenda] == [
        ("1", ["p1", "p2", "p3"]),
        ("2", ["d1"]),
    ]
    assert meeting.case_ids == ["p1", "p2", "p3", "d1"]
    assert meeting.representatives == ["0412", "0413"]
    assert [(d.name, d.role) for d in meeting.deliberators] == [
        ("王阿姨", "居民议事员"),
        ("李师傅", "议事员"),
    ]


def test_planning_reports_every_problem_at_once() -> None:
    command = plan_command(
        liaison_point_id="jianchi_centre",
        planned_on="2026-11-24",
        agenda=[
            {"title": "重复", "case_ids": ["p1", "x9"]},
            {"title": "又一次", "case_ids": ["p1"]},
        ],
        representatives=["9999"],
    )
    with pytest.raises(InvalidMeeting) as raised:
        plan_meeting(
            command,
            meeting_id="m",
            actor=STAFF,
            directory=DIRECTORY,
            station_cases=STATION_CASES,
            today=TODAY,
            now=NOW,
        )
    assert raised.value.problems == [
        "liaison point jianchi_centre is not in station xijie",
        "planned_on 2026-11-24 is in the past",
        "on more than one agenda item: p1",
        "not cases of station xijie: x9",
        "not representatives in the directory: 9999",
    ]
    # Each at the field of the new meeting form it concerns: the agenda's fieldset for both
    # problems of its cases.
    assert [(d.field, d.code) for d in raised.value.details] == [
        ("liaison_point_id", "point_not_in_station"),
        ("planned_on", "planned_in_past"),
        ("agenda", "case_on_two_items"),
        ("agenda", "cases_not_of_station"),
        ("representatives", "unknown_representatives"),
    ]
    assert problem_errors(raised.value.details, zh) == {
        "liaison_point_id": "联络点 jianchi_centre 不属于本联络站，请重新选择。",
        "planned_on": "2026-11-24 已经过去，召开日期不能早于今天。",
        "agenda": "同一件意见建议只能列入一个议题：p1。 以下意见建议不属于本联络站：x9。",
        "representatives": "代表名录中没有这些编号：9999。",
    }
    assert problem_errors(raised.value.details, en) == {
        "liaison_point_id": "The liaison point jianchi_centre is not one of your station's; "
        "choose another.",
        "planned_on": "2026-11-24 has passed: plan the meeting for today or later.",
        "agenda": "A case goes on one agenda item only: p1. Not cases of your station: x9.",
        "representatives": "No representatives of these codes in the directory: 9999.",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("agenda", []),
        ("topic", "x"),
        ("deliberators", [{"name": ""}]),
        ("deliberators", [{"name": "王", "phone": "138"}]),
        ("agenda", [{"title": "空", "case_ids": []}]),
    ],
)
def test_malformed_plans_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        plan_command(**{field: value})


def test_only_a_stations_staff_plan_its_meetings() -> None:
    with pytest.raises(NotPermitted):
        plan_meeting(
            plan_command(),
            meeting_id="m",
            actor=REP,
            directory=DIRECTORY,
            station_cases=STATION_CASES,
            today=TODAY,
            now=NOW,
        )


HOLD = HoldMeeting(attendance=31, minutes="王阿姨发言……", outcome="确定东门空地改建停车场")


def test_holding_records_the_day_and_the_public_outcome_and_only_once() -> None:
    held = hold_meeting(planned(), HOLD, actor=STAFF, today=TODAY)
    assert (held.status, held.held_on, held.attendance) == ("held", TODAY, 31)
    event = meeting_recorded(held)
    # The activity event carries counts and the public outcome: no minutes, no names.
    assert "王阿姨" not in event.model_dump_json()
    assert event.case_ids == ["p1", "p2", "p3", "d1"] and event.attendance == 31
    # The representatives travel by code (public office, counted in their duty records);
    # the residents' deliberators do not.
    assert event.representatives == ["0412", "0413"]
    assert "李师傅" not in event.model_dump_json()
    with pytest.raises(MeetingNotAllowed):
        hold_meeting(held, HOLD, actor=STAFF, today=TODAY)
    with pytest.raises(InvalidMeeting) as raised:
        hold_meeting(planned(planned_on="2026-11-30"), HOLD, actor=STAFF, today=TODAY)
    assert raised.value.problems == ["held_on 2026-11-30 is in the future"]
    assert raised.value.details == [
        MeetingProblem("held_on", "held_in_future", {"day": "2026-11-30"})
    ]
    with pytest.raises(NoSuchMeeting):
        hold_meeting(planned(), HOLD, actor=OTHER_STAFF, today=TODAY)


def test_the_held_meeting_names_its_representatives_sorted_and_once_each() -> None:
    meeting = planned(representatives=["0415", "0412", "0415"])
    event = meeting_recorded(hold_meeting(meeting, HOLD, actor=STAFF, today=TODAY))
    assert event.representatives == ["0412", "0415"]


def held() -> Meeting:
    return hold_meeting(planned(), HOLD, actor=STAFF, today=TODAY)


DECIDE = DecideItem(decision="东门空地改建停车场，年底前完工")


def test_a_decision_names_every_case_of_its_item_unless_told_otherwise() -> None:
    meeting, decision = decide_item(held(), "1", DECIDE, actor=STAFF, now=NOW)
    assert decision is not None and decision.case_ids == ["p1", "p2", "p3"]
    assert meeting.agenda[0].decision == decision and meeting.agenda[1].decision is None
    _, some = decide_item(
        held(), "1", DecideItem(decision="先行试点", case_ids=["p2"]), actor=STAFF, now=NOW
    )
    assert some is not None and some.case_ids == ["p2"]


def test_the_same_decision_again_is_nothing_new_and_another_is_refused() -> None:
    meeting, _ = decide_item(held(), "1", DECIDE, actor=STAFF, now=NOW)
    again, none = decide_item(meeting, "1", DECIDE, actor=STAFF, now=NOW)
    assert none is None and again == meeting
    with pytest.raises(MeetingNotAllowed, match="decided already"):
        decide_item(meeting, "1", DecideItem(decision="改为别的"), actor=STAFF, now=NOW)


def test_a_decision_waits_for_the_meeting_and_keeps_to_its_items_cases() -> None:
    with pytest.raises(MeetingNotAllowed, match="minutes first"):
        decide_item(planned(), "1", DECIDE, actor=STAFF, now=NOW)
    with pytest.raises(NoSuchItem):
        decide_item(held(), "9", DECIDE, actor=STAFF, now=NOW)
    with pytest.raises(InvalidMeeting, match="not cases of agenda item 1: d1") as raised:
        decide_item(held(), "1", DecideItem(decision="越界", case_ids=["d1"]), actor=STAFF, now=NOW)
    assert raised.value.details == [
        MeetingProblem("case_id", "cases_not_of_item", {"item": "1", "cases": "d1"})
    ]
    with pytest.raises(NoSuchMeeting):
        decide_item(held(), "1", DECIDE, actor=OTHER_STAFF, now=NOW)


def test_a_decision_is_one_sealed_case_event_per_case_and_a_step_the_resident_reads() -> None:
    meeting, decision = decide_item(held(), "1", DECIDE, actor=STAFF, now=NOW)
    assert decision is not None
    item = meeting.agenda[0]
    events = decided_events(meeting, item, decision, stations={"p1": "xijie"}, actor=STAFF)
    assert [e.case_id for e in events] == ["p1", "p2", "p3"]
    assert {e.decided_cases for e in events} == {3}
    assert CASE_EVENT_TYPES["case.meeting_decided"] is CaseMeetingDecided
    envelope = Envelope.wrap(events[0], source="minyi/routing", subject="p1", correlation_id="r")
    key = new_key()
    sealed = seal_envelope(envelope, {"p1": key})
    assert is_sealed(sealed.data["decision"]) and is_sealed(sealed.data["item_title"])
    assert DECIDE.decision not in sealed.to_bytes().decode()
    assert open_envelope(sealed, {"p1": key}).payload(CaseMeetingDecided) == events[0]

    snapshot = CaseSnapshot.model_validate(
        {"case_id": "p1", "status": "handling", "version": 3, "reopen_count": 0}
    )
    change = change_for(events[0], current=snapshot)
    assert change.status is None and change.step is not None
    assert change.step.note == f"议事会（2026-11-25）议定《白云社区停车难》：{DECIDE.decision}"


def test_the_new_meeting_form_reads_ticked_items_codes_and_deliberators() -> None:
    form = {
        "topic": "议事会",
        "planned_on": "2026-11-25",
        "liaison_point_id": "",
        "representatives": "0412， 0413 ,0414",
        "deliberators": "王阿姨，居民议事员\n\n李师傅\n张三 点长",
        "title-1": " 停车 ",
        "cases-1": "p1 p2",
        "category-1": "parking",
        "title-2": "不选",
        "cases-2": "d1",
    }
    fields = plan_fields(form, ["1"])
    assert fields["representatives"] == ["0412", "0413", "0414"]
    assert fields["deliberators"] == [
        {"name": "王阿姨", "role": "居民议事员"},
        {"name": "李师傅"},
        {"name": "张三", "role": "点长"},
    ]
    assert fields["agenda"] == [{"title": "停车", "category": "parking", "case_ids": ["p1", "p2"]}]
    assert "liaison_point_id" not in fields
    assert PlanMeeting.model_validate(fields).agenda[0].case_ids == ["p1", "p2"]
    assert deliberators("") == []
    assert decision_fields({"decision": " 同意 "}, []) == {"decision": "同意"}
    assert decision_fields({"decision": "同意"}, ["p1"]) == {"decision": "同意", "case_ids": ["p1"]}


def zh(key: str, **values: object) -> str:
    return CATALOG.text(key, "zh", **values)


def en(key: str, **values: object) -> str:
    return CATALOG.text(key, "en", **values)


def test_the_meeting_pages_show_a_refusal_at_the_field_of_its_form() -> None:
    """The hold and decision forms' refusals carry field errors; the page adds each form's
    prefix (`held-`, `decision-<item>-`) when it shows them."""
    with pytest.raises(InvalidMeeting) as raised:
        hold_meeting(planned(planned_on="2026-11-30"), HOLD, actor=STAFF, today=TODAY)
    assert refusal(raised.value, zh) == Refusal(
        422, errors={"held_on": "2026-11-30 还没到，举行日期不能晚于今天。"}
    )
    assert refusal(raised.value, en) == Refusal(
        422, errors={"held_on": "2026-11-30 is still to come: the day held cannot be after today."}
    )
    with pytest.raises(InvalidMeeting) as raised:
        decide_item(held(), "1", DecideItem(decision="越界", case_ids=["d1"]), actor=STAFF, now=NOW)
    assert refusal(raised.value, zh) == Refusal(
        422, errors={"case_id": "以下意见建议不在本议题中：d1。"}
    )
    unnamed = InvalidMeeting([MeetingProblem("case_id", "decision_without_cases")])
    assert unnamed.problems == ["a decision names at least one case"]
    assert problem_errors(unnamed.details, en) == {"case_id": "A decision names at least one case."}
    assert problem_errors([], zh) == {}
