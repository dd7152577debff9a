"""Reporting: a case folded from its events — who each event counts for, the durations it adds,
and what is true now (open, overdue, house-repair stage)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.reporting.domain.case_state import CaseState, apply_event, duration_ms
from services.reporting.domain.contributions import Contribution
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseDeclined,
    CaseEscalated,
    CaseMerged,
    CaseProgressed,
    CaseRated,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseReviewed,
    CaseStageChanged,
    CaseSubmitted,
    Channel,
)
from shared.events.envelope import EventData
from shared.events.notification_events import NotificationSent
from shared.zones import city_day

CITY = ZoneInfo("Asia/Shanghai")

T0 = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def submitted(channel: Channel = "web", at: datetime = T0) -> EventData:
    return CaseSubmitted(
        case_id="case-1", category="parking", text="停车难", channel=channel, submitted_at=at
    )


def assigned(
    representative: str | None = "0412", *, at: datetime = T0, round_: int = 1
) -> EventData:
    return CaseAssigned(
        case_id="case-1",
        category="parking",
        station_id="xijie",
        station_name="西街联络站",
        liaison_point_id="baiyun",
        representative_code=representative,
        representative_name="张献平" if representative else None,
        reason="qr",
        round=round_,
        assigned_at=at,
    )


def action(model: type[EventData], at: datetime, **fields: Any) -> EventData:
    return model(case_id="case-1", station_id="xijie", actor_role="staff", at=at, **fields)


def fold(*events: EventData) -> tuple[CaseState, list[Contribution]]:
    state = CaseState(case_id="case-1")
    made: list[Contribution] = []
    for event in events:
        state, contributions = apply_event(state, event, zone=CITY)
        made.extend(contributions)
    return state, made


def by_dimension(contributions: list[Contribution]) -> dict[str, Contribution]:
    return {c.dimension: c for c in contributions}


@pytest.mark.parametrize("channel", ["qr", "web", "api", "open311"])
def test_a_submission_counts_as_received_city_wide_by_channel(channel: Channel) -> None:
    _, (city,) = fold(submitted(channel))

    assert (city.dimension, city.key, city.day.isoformat()) == ("city", "city", "2025-03-14")
    assert city.counts == {"received": 1, f"by_channel.{channel}": 1}


def test_a_first_assignment_is_received_by_station_representative_category_and_point() -> None:
    state, made = fold(submitted(), assigned("0412"))

    found = by_dimension(made[1:])
    assert set(found) == {"station", "representative", "category", "point", "city"}
    assert found["station"].counts == {
        "received": 1,
        "to_representative": 1,
        "by_category.parking": 1,
    }
    assert found["station"].labels == {"station_name": "西街联络站"}
    assert found["representative"].key == "0412"
    assert found["representative"].labels == {"representative_name": "张献平"}
    assert (found["category"].key, found["point"].key) == ("parking", "baiyun")
    for dimension in ("representative", "category", "point"):
        assert found[dimension].station_id == "xijie"
        assert found[dimension].counts == {"received": 1}
    assert found["city"].counts == {"assigned": 1}
    assert (state.status, state.representative_code, state.open) == ("assigned", "0412", True)


def test_a_queued_case_counts_for_no_representative() -> None:
    _, made = fold(assigned(None))

    found = by_dimension(made)
    assert "representative" not in found
    assert found["station"].counts["to_station_queue"] == 1


def test_a_re_routed_case_is_reassigned_not_received_again() -> None:
    _, made = fold(assigned("0412"), assigned("0414", round_=2))

    again = by_dimension(made[5:])
    assert set(again) == {"station", "representative", "category", "point", "city"}
    assert again["representative"].key == "0414"
    assert all(c.counts == {"reassigned": 1} for c in again.values())


def test_time_to_accept_runs_from_the_assignment_it_accepts() -> None:
    state, made = fold(
        submitted(at=T0),
        assigned("0412", at=T0 + timedelta(minutes=1)),
        action(CaseDeclined, T0 + timedelta(hours=1), representative_code="0412", reason="x"),
        assigned("0414", at=T0 + timedelta(hours=2), round_=2),
        action(CaseAccepted, T0 + timedelta(hours=5), representative_code="0414"),
    )

    declined = [c for c in made if c.counts.get("declined")]
    assert {c.key for c in declined if c.dimension == "representative"} == {"0412"}
    accepted = by_dimension([c for c in made if c.counts.get("accepted")])
    assert accepted["representative"].key == "0414"
    assert accepted["station"].durations == {"accept": [3 * 3600 * 1000]}
    assert accepted["city"].durations == {"accept": [3 * 3600 * 1000]}
    assert state.status == "accepted"


def test_time_to_respond_runs_from_submission_then_from_the_reopening() -> None:
    state, made = fold(
        submitted(at=T0),
        assigned(at=T0),
        action(CaseAccepted, T0 + timedelta(hours=1), representative_code="0412"),
        action(CaseReviewed, T0 + timedelta(hours=2), outcome="approved"),
        action(CaseResponded, T0 + timedelta(days=2), response="ok"),
        action(CaseReopened, T0 + timedelta(days=3), reason="not fixed"),
        action(CaseResponded, T0 + timedelta(days=3, hours=6), response="fixed"),
        action(CaseClosed, T0 + timedelta(days=4)),
    )

    responded = [c for c in made if c.dimension == "station" and c.counts.get("responded")]
    assert [c.durations["respond"] for c in responded] == [[2 * 86400 * 1000], [6 * 3600 * 1000]]
    assert [c.day.isoformat() for c in responded] == ["2025-03-16", "2025-03-17"]
    assert (state.status, state.open) == ("closed", False)


def test_handling_events_count_for_the_holder_category_point_station_and_city() -> None:
    _, made = fold(
        assigned("0412"),
        action(CaseRated, T0, rating="basically_satisfied"),
        action(CaseEscalated, T0, deadline="accept", due_at=T0),
    )

    rated = by_dimension([c for c in made if c.counts.get("rated")])
    assert set(rated) == {"station", "representative", "category", "point", "city"}
    assert rated["representative"].counts == {"rated": 1, "ratings.basically_satisfied": 1}
    escalated = by_dimension([c for c in made if c.counts.get("escalated")])
    assert escalated["point"].key == "baiyun"


def test_events_without_a_figure_change_no_counter() -> None:
    sent = NotificationSent(
        notification_id="n1",
        cause_event_id="e1",
        recipient="representative:0412",
        channel="inbox",
        sent_at=T0,
    )
    state, made = fold(assigned(), action(CaseProgressed, T0, note="working"))

    assert len(made) == 5  # the assignment's only
    assert apply_event(state, sent, zone=CITY) == (state, [])


@pytest.mark.parametrize(
    ("tail", "open_now"),
    [
        ([], True),
        ([action(CaseRejected, T0, reason="no")], False),
        ([action(CaseMerged, T0, into_case_id="c0")], False),
        ([action(CaseResponded, T0, response="ok")], True),
        ([action(CaseResponded, T0, response="ok"), action(CaseClosed, T0)], False),
    ],
)
def test_open_now_is_every_status_but_closed_rejected_and_merged(
    tail: list[EventData], open_now: bool
) -> None:
    state, _ = fold(assigned(), action(CaseReviewed, T0, outcome="approved"), *tail)

    assert state.open is open_now


def test_overdue_now_follows_the_escalations_while_their_deadline_applies() -> None:
    accept_late = action(CaseEscalated, T0, deadline="accept", due_at=T0)
    respond_late = action(CaseEscalated, T0, deadline="respond", due_at=T0)
    accepted = action(CaseAccepted, T0, representative_code="0412")

    assert fold(assigned(), accept_late)[0].overdue is True
    # Accepting ends the accept deadline; the respond deadline is not passed yet.
    assert fold(assigned(), accept_late, accepted)[0].overdue is False
    assert fold(assigned(), accepted, respond_late)[0].overdue is True
    responded = action(CaseResponded, T0, response="ok")
    assert fold(assigned(), accepted, respond_late, responded)[0].overdue is False
    # A reopening starts a fresh respond deadline.
    reopened = action(CaseReopened, T0, reason="no")
    assert fold(assigned(), accepted, respond_late, responded, reopened)[0].overdue is False


def test_a_house_repair_case_has_a_stage_from_approval_until_it_is_withdrawn() -> None:
    house = CaseAssigned(
        case_id="case-1",
        category="house_repair",
        station_id="xijie",
        station_name="西街",
        reason="r",
        assigned_at=T0,
    )
    approved = action(CaseReviewed, T0, outcome="approved")
    moved = action(CaseStageChanged, T0, from_stage="under_governance", to_stage="design")

    assert fold(house)[0].stage is None
    assert fold(house, approved)[0].stage == "under_governance"
    assert fold(house, approved, moved)[0].stage == "design"
    assert fold(assigned(), approved)[0].stage is None  # not a house-repair case


def test_durations_are_whole_milliseconds_and_never_negative() -> None:
    assert duration_ms(T0, T0 + timedelta(seconds=1, microseconds=999)) == 1000
    assert duration_ms(T0, T0 - timedelta(seconds=1)) == 0
    assert duration_ms(None, T0) is None


def test_a_bucket_s_day_is_the_city_s_day_not_the_utc_date() -> None:
    # 01:30 on 1 April in the city is still 31 March in UTC.
    early = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)
    assert city_day(early, CITY) == date(2026, 4, 1)
    assert city_day(datetime(2026, 3, 31, 15, 59, tzinfo=UTC), CITY) == date(2026, 3, 31)
    # A time without a zone is UTC, as events carry it.
    assert city_day(datetime(2026, 3, 31, 17, 30), CITY) == date(2026, 4, 1)

    _, made = fold(submitted(at=early), assigned(at=early + timedelta(minutes=1)))

    assert {(c.dimension, c.day) for c in made} == {
        ("city", date(2026, 4, 1)),
        ("station", date(2026, 4, 1)),
        ("representative", date(2026, 4, 1)),
        ("category", date(2026, 4, 1)),
        ("point", date(2026, 4, 1)),
    }
    counted_in_utc = apply_event(CaseState(case_id="case-1"), submitted(at=early), zone=UTC)[1]
    assert [c.day for c in counted_in_utc] == [date(2026, 3, 31)]
