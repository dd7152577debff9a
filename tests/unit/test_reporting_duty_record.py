"""A representative's duty record (履职档案): real case events folded by reporting's pure case
state into the representative's buckets, then read as the record and its public part."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.reporting.domain.activities import meeting_contributions
from services.reporting.domain.case_state import CaseEvent, CaseState, apply_event
from services.reporting.domain.contributions import Contribution
from services.reporting.domain.duty_record import (
    DutyRecord,
    duty_record,
    nearest_rank,
    public_record,
    record_rows,
    response_times,
    suggestion_contributions,
)
from services.reporting.domain.kpis import wilson_interval
from shared.events.activity_events import MeetingKind, MeetingRecorded
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseDeclined,
    CaseFollowedUp,
    CaseRated,
    CaseReassigned,
    CaseResponded,
    CaseSubmitted,
    CaseSuggestionLinked,
    Rating,
)
from shared.events.envelope import EventData

CITY = ZoneInfo("Asia/Shanghai")

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SINCE, UNTIL = date(2026, 5, 1), date(2026, 5, 31)


def assigned(case: str, code: str, at: datetime, round_: int = 1) -> CaseAssigned:
    return CaseAssigned(
        case_id=case,
        category="parking",
        station_id="xijie",
        station_name="西街",
        representative_code=code,
        reason="qr",
        round=round_,
        assigned_at=at,
    )


def answered_case(case: str, *, hours: int, rating: Rating | None) -> list[EventData]:
    """Submitted, assigned to 0412, accepted, answered `hours` after submission, rated."""
    common: dict[str, Any] = {"case_id": case, "station_id": "xijie"}
    made: list[EventData] = [
        CaseSubmitted(
            case_id=case, category="parking", text="停车难", channel="qr", submitted_at=T0
        ),
        assigned(case, "0412", T0),
        CaseAccepted(**common, actor_role="representative", representative_code="0412", at=T0),
        CaseResponded(
            **common, actor_role="staff", response="已协调", at=T0 + timedelta(hours=hours)
        ),
    ]
    if rating:
        made.append(
            CaseRated(**common, actor_role="resident", rating=rating, at=T0 + timedelta(days=1))
        )
    return made


def representative_buckets(events: Sequence[EventData], code: str) -> list[dict[str, Any]]:
    """The contributions to `code`'s buckets, as stored bucket documents (one per event)."""
    states: dict[str, CaseState] = {}
    found: list[Contribution] = []
    for event in events:
        if isinstance(event, CaseSuggestionLinked):
            found.extend(suggestion_contributions(event, zone=CITY))
            continue
        if isinstance(event, MeetingRecorded):
            found.extend(meeting_contributions(event))
            continue
        assert isinstance(event, CaseEvent)
        case = event.case_id
        after, made = apply_event(states.get(case, CaseState(case_id=case)), event, zone=CITY)
        states[case] = after
        found.extend(made)
    return [
        {
            "key": c.key,
            "day": c.day.isoformat(),
            "counts": nested(c.counts),
            "durations": c.durations,
        }
        for c in found
        if c.dimension == "representative" and c.key == code
    ]


def nested(counts: dict[str, int]) -> dict[str, Any]:
    """`ratings.satisfied` as the store keeps it: a field of `ratings`."""
    made: dict[str, Any] = {}
    for name, n in counts.items():
        parent, _, leaf = name.rpartition(".")
        (made.setdefault(parent, {}) if parent else made)[leaf] = n
    return made


def record_of(events: Sequence[EventData], code: str = "0412") -> DutyRecord:
    return duty_record(
        representative_buckets(events, code),
        code=code,
        name="王代表",
        station_id="xijie",
        since=SINCE,
        until=UNTIL,
    )


def test_one_answered_and_rated_case_makes_a_record_of_one() -> None:
    record = record_of(answered_case("c1", hours=5, rating="satisfied"))

    assert (record.received, record.accepted, record.declined, record.answered) == (1, 1, 0, 1)
    assert record.time_to_respond.model_dump() == {
        "count": 1,
        "median_seconds": 5 * 3600.0,
        "p90_seconds": 5 * 3600.0,
    }
    assert record.rated == 1
    assert record.ratings == {"satisfied": 1, "basically_satisfied": 0, "dissatisfied": 0}
    low, high = wilson_interval(1, 1) or (None, None)
    assert record.satisfaction_rate.model_dump() == {
        "rate": 1.0,
        "low": low,
        "high": high,
        "successes": 1,
        "sample": 1,
    }
    # Cases are not meetings: none attended, and that is a count, not "unknown".
    assert (record.meetings_attended, record.activities_attended) == (0, 0)


def meeting(meeting_id: str, kind: MeetingKind, representatives: list[str]) -> MeetingRecorded:
    return MeetingRecorded(
        meeting_id=meeting_id,
        kind=kind,
        station_id="xijie",
        held_on=date(2026, 5, 12),
        topic="停车议事会",
        attendance=30,
        representatives=representatives,
        outcome="议定改建停车场",
        recorded_by="xijie-staff",
        recorded_at=T0 + timedelta(days=8),
    )


def test_a_meeting_counts_once_for_each_representative_it_names_and_an_activity_apart() -> None:
    deliberation = meeting("m1", "deliberation_meeting", ["0412", "0415"])
    events: list[EventData] = [deliberation, meeting("m2", "themed_activity", ["0412"])]

    records = {code: record_of(events, code) for code in ("0412", "0415", "0417")}

    attended = {c: (r.meetings_attended, r.activities_attended) for c, r in records.items()}
    assert attended == {"0412": (1, 1), "0415": (1, 0), "0417": (0, 0)}
    # Each representative's own bucket, on the meeting's station and day, with the count only:
    # the head count and the linked cases are the meeting's, not each attendee's.
    mine = [c for c in meeting_contributions(deliberation) if c.dimension == "representative"]
    assert [(c.key, c.station_id, c.day, c.counts) for c in mine] == [
        ("0412", "xijie", date(2026, 5, 12), {"deliberation_meetings": 1}),
        ("0415", "xijie", date(2026, 5, 12), {"deliberation_meetings": 1}),
    ]
    # A code named twice is still one meeting for that representative.
    twice = meeting("m3", "deliberation_meeting", ["0412", "0412"])
    assert record_of([twice]).meetings_attended == 1
    # Public office: the public record and the file for the annual report carry them too.
    record = records["0412"]
    public = public_record(record)
    assert (public.meetings_attended, public.activities_attended) == (1, 1)
    header, row = record_rows(record)
    values = dict(zip(header, row, strict=True))
    assert values["参加议事会 (meetings attended)"] == 1
    assert values["参加主题活动 (activities attended)"] == 1


def test_a_decline_counts_for_the_decliner_and_the_case_for_the_next_holder() -> None:
    common: dict[str, Any] = {"case_id": "c2", "station_id": "xijie", "at": T0}
    events: list[EventData] = [
        assigned("c2", "0415", T0),
        CaseDeclined(
            **common, actor_role="representative", representative_code="0415", reason="不在辖区"
        ),
        assigned("c2", "0412", T0 + timedelta(hours=1), round_=2),
        CaseAccepted(**common, actor_role="representative", representative_code="0412"),
    ]

    declined_by = record_of(events, "0415")
    taken_by = record_of(events, "0412")

    assert (declined_by.received, declined_by.declined, declined_by.accepted) == (1, 1, 0)
    assert (taken_by.received, taken_by.declined, taken_by.accepted) == (1, 0, 1)


def test_a_reassignment_away_is_still_received_by_the_first_holder_only() -> None:
    events: list[EventData] = [
        assigned("c3", "0412", T0),
        CaseReassigned(
            case_id="c3",
            station_id="xijie",
            actor_role="staff",
            at=T0,
            from_representative="0412",
            to_representative="0417",
            reason="专长",
        ),
        assigned("c3", "0417", T0, round_=2),
    ]
    assert record_of(events, "0412").received == 1
    assert record_of(events, "0417").received == 1


def test_times_are_the_median_and_p90_by_nearest_rank() -> None:
    events: list[EventData] = []
    for i, hours in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 100]):
        events += answered_case(f"c{i}", hours=hours, rating=None)
    record = record_of(events)

    assert record.answered == 10
    assert record.time_to_respond.median_seconds == 5 * 3600.0
    assert record.time_to_respond.p90_seconds == 9 * 3600.0
    assert response_times([]).model_dump() == {
        "count": 0,
        "median_seconds": None,
        "p90_seconds": None,
    }


@pytest.mark.parametrize(("n", "pct", "rank"), [(1, 50, 1), (2, 50, 1), (3, 50, 2), (10, 90, 9)])
def test_nearest_rank(n: int, pct: int, rank: int) -> None:
    assert nearest_rank(n, pct) == rank


def test_follow_up_calls_stay_apart_from_residents_ratings() -> None:
    events = answered_case("c1", hours=2, rating="dissatisfied")
    events.append(
        CaseFollowedUp(
            case_id="c1",
            station_id="xijie",
            actor_role="staff",
            at=T0 + timedelta(days=2),
            rating="satisfied",
            channel="phone",
        )
    )
    record = record_of(events)

    assert record.satisfaction_rate.rate == 0.0
    assert (record.followed_up, record.follow_up_satisfaction_rate.rate) == (1, 1.0)


def test_a_suggestion_counts_once_for_its_lead_and_each_cosigner() -> None:
    linked = [
        CaseSuggestionLinked(
            case_id=case,
            station_id="xijie",
            actor_role="representative",
            at=T0,
            suggestion_id="s1",
            number="2026-001",
            title="增设充电桩",
            lead_representative="0412",
            cosigners=["0415", "0412"],
            department_id="transport",
            department_name="交通局",
            answer_due=date(2026, 8, 1),
            linked_cases=2,
        )
        for case in ("c1", "c2")
    ]
    contributions = suggestion_contributions(linked[0], zone=CITY)

    assert [(c.key, c.counts) for c in contributions] == [
        ("0412", {"suggestions": 1}),
        ("0415", {"cosigned_suggestions": 1}),
    ]
    # One bucket per representative and day, and the same id for both cases: the bucket's
    # `seen` guard counts it once (tests/integration/test_reporting_duty_record.py proves it).
    assert {c.bucket_id for c in contributions} == {
        c.bucket_id for c in suggestion_contributions(linked[1], zone=CITY)
    }
    record = record_of(linked[:1], "0412")
    assert (record.suggestions, record.cosigned_suggestions) == (1, 0)


def test_the_public_record_withholds_satisfaction_on_few_ratings_and_shows_no_times() -> None:
    few = public_record(record_of(answered_case("c1", hours=5, rating="satisfied")))
    events: list[EventData] = []
    for i in range(5):
        events += answered_case(f"c{i}", hours=5, rating="satisfied")
    enough = public_record(record_of(events))

    assert (few.received, few.accepted, few.answered, few.rated) == (1, 1, 1, 1)
    assert few.satisfaction_rate is None and few.satisfaction_withheld
    assert enough.satisfaction_rate is not None and enough.satisfaction_rate.sample == 5
    assert not enough.satisfaction_withheld
    public_fields = set(type(few).model_fields)
    for private in ("time_to_respond", "declined", "followed_up", "ratings", "follow_up_ratings"):
        assert private not in public_fields


def test_the_export_has_a_bilingual_header_and_the_records_numbers() -> None:
    record = record_of(answered_case("c1", hours=5, rating="satisfied"))
    header, row = record_rows(record)

    assert header[0] == "起始日 (since)"
    values = dict(zip(header, row, strict=True))
    assert values["代表编号 (representative code)"] == "0412"
    assert values["收到 (received)"] == 1
    assert values["答复用时中位数(秒) (time to respond median (s))"] == 5 * 3600.0
    assert values["满意度样本 (satisfaction sample)"] == 1
    assert values["参加议事会 (meetings attended)"] == 0
