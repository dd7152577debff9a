"""Follow-up calls (回访): who records one on which case, what the resident sees, and that
reporting counts them apart from the residents' own ratings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.resident_actions import allowed_actions as resident_actions
from services.intake.domain.timeline import advanced, change_for
from services.reporting.domain.exports import FIGURE_COLUMNS
from services.reporting.domain.summaries import summarize_stations
from services.routing.domain.follow_up import (
    FOLLOW_UP_STATUSES,
    FollowUp,
    FollowUpNotAllowed,
    decide_follow_up,
    latest_response_at,
    may_follow_up,
    since,
)
from services.routing.domain.workflow import Actor, CaseState, NotPermitted, OutOfScope, Status
from shared.events.case_events import CaseFollowedUp, CaseRated, CaseResponded
from tests.unit.test_supervision import station_counts, story

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
STAFF = Actor(role="staff", username="xijie-staff", station_id="xijie")
HEAD = Actor(role="station_head", username="xijie-head", station_id="xijie")
OTHER_STAFF = Actor(role="staff", username="jianchi-staff", station_id="jianchi")
HOLDER = Actor(role="representative", username="rep-0412", representative_code="0412")
SUPERVISOR = Actor(role="supervisor", username="city-supervisor")
CALL = FollowUp(rating="basically_satisfied", comment="车位还是有点紧", channel="phone")


def case(status: Status) -> CaseState:
    return CaseState(
        case_id="c-1", station_id="xijie", status=status, representative_code="0412", version=6
    )


def follow_up(
    state: CaseState, actor: Actor = STAFF, *, rated: bool = False, followed: bool = False
) -> CaseFollowedUp:
    return decide_follow_up(
        state,
        CALL,
        actor=actor,
        rated_since_response=rated,
        followed_up_since_response=followed,
        now=NOW,
    )


@pytest.mark.parametrize("status", get_args(Status))
def test_a_follow_up_is_recorded_only_on_an_answered_case(status: Status) -> None:
    if status in FOLLOW_UP_STATUSES:
        event = follow_up(case(status))
        assert (event.rating, event.channel, event.comment, event.actor_id) == (
            "basically_satisfied",
            "phone",
            "车位还是有点紧",
            "xijie-staff",
        )
    else:
        with pytest.raises(FollowUpNotAllowed, match="not been responded"):
            follow_up(case(status))


def test_only_the_cases_station_records_follow_ups() -> None:
    assert follow_up(case("closed"), HEAD).actor_id == "xijie-head"
    for actor in (HOLDER, SUPERVISOR):
        with pytest.raises(NotPermitted):
            follow_up(case("closed"), actor)
    with pytest.raises(OutOfScope):
        follow_up(case("closed"), OTHER_STAFF)


def test_one_follow_up_per_response_and_none_once_the_resident_rated_it() -> None:
    with pytest.raises(FollowUpNotAllowed, match="resident has rated"):
        follow_up(case("responded"), rated=True)
    with pytest.raises(FollowUpNotAllowed, match="already been followed up"):
        follow_up(case("responded"), followed=True)
    assert not may_follow_up(
        case("responded"), actor=STAFF, rated_since_response=False, followed_up_since_response=True
    )
    assert may_follow_up(
        case("responded"), actor=STAFF, rated_since_response=False, followed_up_since_response=False
    )


def test_what_counts_as_since_the_latest_response_comes_from_the_audit_trail() -> None:
    earlier, later = NOW - timedelta(days=3), NOW
    audit: list[dict[str, Any]] = [
        {"action": "respond", "at": earlier.replace(tzinfo=None)},  # as the store gives it
        {"action": "rate", "at": earlier + timedelta(hours=1)},
        {"action": "respond", "at": later},
    ]
    responded = latest_response_at(audit)
    assert responded == later
    assert not since(audit, "rate", responded)  # the rating was of the first response
    assert since(audit, "rate", earlier)
    assert not since(audit, "rate", None)


def test_a_follow_up_rating_needs_a_channel_and_a_known_rating() -> None:
    with pytest.raises(ValueError, match="channel"):
        FollowUp.model_validate({"rating": "satisfied"})
    with pytest.raises(ValueError, match="rating"):
        FollowUp.model_validate({"rating": "5", "channel": "phone"})


WHO = {"case_id": "c-1", "station_id": "xijie", "at": NOW}


def test_the_resident_sees_the_rating_marked_as_recorded_by_staff_and_may_still_rate() -> None:
    current = CaseSnapshot(
        case_id="c-1", status="responded", responded_at=NOW - timedelta(days=1), version=5
    )
    event = CaseFollowedUp(**WHO, actor_role="staff", actor_id="xijie-staff", **CALL.model_dump())

    change = change_for(event, current=current)

    assert change.status is None
    assert change.step is not None
    assert change.step.note == "回访评价（电话回访，工作人员记录）：基本满意"
    assert "rating" not in change.fields  # the resident's own rating field stays theirs
    assert "rate" in resident_actions(advanced(current, change), now=NOW)


def test_reporting_keeps_follow_up_ratings_apart_from_the_residents_own() -> None:
    responded = CaseResponded(**WHO, actor_role="staff", response="已增设车位")
    figures = station_counts(
        story(
            responded,
            CaseFollowedUp(**WHO, actor_role="staff", rating="dissatisfied", channel="in_person"),
            # The resident rates online afterwards: both are kept, each on its own side.
            CaseRated(**WHO, actor_role="resident", rating="satisfied"),
        )
    )
    assert (figures["rated"], figures["ratings"]["satisfied"]) == (1, 1)
    assert figures["satisfaction_rate"]["rate"] == 1.0
    assert figures["followed_up"] == 1
    assert figures["follow_up_ratings"] == {
        "satisfied": 0,
        "basically_satisfied": 0,
        "dissatisfied": 1,
    }
    assert figures["follow_up_satisfaction_rate"]["rate"] == 0.0


def test_the_exports_carry_the_follow_up_and_supervision_columns() -> None:
    [xijie] = summarize_stations(
        [
            {
                "station_id": "xijie",
                "counts": {
                    "followed_up": 2,
                    "follow_up_ratings": {"satisfied": 1, "dissatisfied": 1},
                    "supervised": 3,
                    "supervision_met": 1,
                    "returned": 1,
                },
            }
        ]
    )
    row = {en: value(xijie) for _, en, value in FIGURE_COLUMNS}
    assert row["follow-up calls"] == 2
    assert row["follow-up satisfaction rate"] == 0.5
    assert (row["supervisions"], row["supervision met"], row["returned for redo"]) == (3, 1, 1)
