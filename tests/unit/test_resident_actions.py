"""What a resident may do through the tracking code (services/intake/domain/resident_actions.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.resident_actions import (
    REOPEN_WINDOW,
    ActionRefused,
    RateCase,
    ReopenCase,
    allowed_actions,
    rate,
    refusal,
    reopen,
)
from services.intake.domain.timeline import change_for
from shared.events.case_events import CaseResponded, CaseStatus

RESPONDED_AT = datetime(2025, 3, 20, 10, 0, tzinfo=UTC)
NOW = RESPONDED_AT + timedelta(days=2)
ALL_STATUSES: tuple[CaseStatus, ...] = get_args(CaseStatus)
FEEDBACK_STATUSES = ("responded", "closed")
OTHER_STATUSES = tuple(s for s in ALL_STATUSES if s not in FEEDBACK_STATUSES)


def case(**changes: Any) -> CaseSnapshot:
    data: dict[str, Any] = {
        "case_id": "c1",
        "version": 7,
        "status": "responded",
        "station_id": "xijie",
        "responded_at": RESPONDED_AT,
    }
    data.update(changes)
    return CaseSnapshot.model_validate(data)


def rated_dissatisfied(**changes: Any) -> CaseSnapshot:
    return case(rating="dissatisfied", rated_since_response=True, **changes)


DISSATISFIED = RateCase(rating="dissatisfied", comment="车位还是不够")
REASON = ReopenCase(reason="新增的车位离小区太远，问题没有解决")


# --- rating ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", FEEDBACK_STATUSES)
def test_a_responded_or_closed_case_can_be_rated(status: CaseStatus) -> None:
    event = rate(case(status=status), DISSATISFIED, now=NOW)

    assert (event.case_id, event.station_id, event.rating, event.comment) == (
        "c1",
        "xijie",
        "dissatisfied",
        "车位还是不够",
    )
    assert (event.actor_role, event.actor_id, event.at) == ("resident", None, NOW)
    assert allowed_actions(case(status=status), now=NOW) == ["rate"]


@pytest.mark.parametrize("status", OTHER_STATUSES)
def test_a_case_in_any_other_status_cannot_be_rated(status: CaseStatus) -> None:
    with pytest.raises(ActionRefused) as caught:
        rate(case(status=status), DISSATISFIED, now=NOW)

    assert caught.value.status == status
    assert caught.value.allowed_actions == []
    assert "responded" in caught.value.detail


def test_a_closed_case_that_never_had_a_response_cannot_be_rated() -> None:
    assert refusal(case(status="closed", responded_at=None), "rate", now=NOW) is not None


def test_a_response_can_be_rated_only_once() -> None:
    already = case(rating="satisfied", rated_since_response=True)

    with pytest.raises(ActionRefused) as caught:
        rate(already, DISSATISFIED, now=NOW)

    assert "already been rated" in caught.value.detail
    assert caught.value.allowed_actions == []


def test_a_new_response_after_a_reopen_can_be_rated_again() -> None:
    reopened = rated_dissatisfied(status="reopened", reopen_count=1)
    new_response = CaseResponded(
        case_id="c1",
        station_id="xijie",
        actor_role="staff",
        at=NOW,
        response="已改在小区门口新增车位",
    )
    change = change_for(new_response, current=reopened)
    responded_again = reopened.model_copy(
        update={
            "status": change.status,
            "responded_at": change.fields["responded_at"],
            "rated_since_response": change.fields["rated_since_response"],
        }
    )

    event = rate(responded_again, RateCase(rating="satisfied"), now=NOW + timedelta(hours=1))

    assert event.rating == "satisfied"
    assert allowed_actions(responded_again, now=NOW) == ["rate"]


def test_an_empty_comment_is_sent_as_none() -> None:
    assert rate(case(), RateCase(rating="satisfied", comment="  "), now=NOW).comment is None


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied", "dissatisfied"])
def test_each_of_the_three_ratings_is_accepted(rating: str) -> None:
    assert RateCase.model_validate({"rating": rating}).rating == rating


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"rating": "great"},
        {"rating": "satisfied", "comment": "x" * 501},
        {"rating": "satisfied", "stars": 5},
    ],
)
def test_a_bad_rating_body_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RateCase.model_validate(body)


# --- reopening ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", FEEDBACK_STATUSES)
def test_a_dissatisfied_resident_can_reopen_a_responded_or_closed_case(
    status: CaseStatus,
) -> None:
    current = rated_dissatisfied(status=status)

    event = reopen(current, REASON, now=NOW)

    assert (event.case_id, event.station_id, event.reason) == ("c1", "xijie", REASON.reason)
    assert (event.actor_role, event.actor_id, event.at) == ("resident", None, NOW)
    assert allowed_actions(current, now=NOW) == ["reopen"]


@pytest.mark.parametrize("status", OTHER_STATUSES)
def test_a_case_in_any_other_status_cannot_be_reopened(status: CaseStatus) -> None:
    with pytest.raises(ActionRefused) as caught:
        reopen(rated_dissatisfied(status=status), REASON, now=NOW)

    assert caught.value.status == status
    assert caught.value.allowed_actions == []


def test_reopening_needs_a_rating_first() -> None:
    with pytest.raises(ActionRefused) as caught:
        reopen(case(), REASON, now=NOW)

    assert "dissatisfied" in caught.value.detail
    assert caught.value.allowed_actions == ["rate"]


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied"])
def test_a_satisfied_resident_cannot_reopen(rating: str) -> None:
    with pytest.raises(ActionRefused) as caught:
        reopen(case(rating=rating, rated_since_response=True), REASON, now=NOW)

    assert caught.value.allowed_actions == []


def test_a_dissatisfied_rating_of_an_earlier_response_does_not_allow_reopening() -> None:
    stale = case(rating="dissatisfied", rated_since_response=False)

    assert refusal(stale, "reopen", now=NOW) is not None
    assert allowed_actions(stale, now=NOW) == ["rate"]


def test_a_case_can_be_reopened_only_once() -> None:
    responded_again = rated_dissatisfied(reopen_count=1)

    with pytest.raises(ActionRefused) as caught:
        reopen(responded_again, REASON, now=NOW)

    assert "only once" in caught.value.detail
    assert caught.value.allowed_actions == []


@pytest.mark.parametrize("elapsed", [timedelta(0), timedelta(days=14, hours=23), REOPEN_WINDOW])
def test_a_case_can_be_reopened_within_15_days_of_its_response(elapsed: timedelta) -> None:
    assert refusal(rated_dissatisfied(), "reopen", now=RESPONDED_AT + elapsed) is None


@pytest.mark.parametrize(
    "elapsed", [REOPEN_WINDOW + timedelta(seconds=1), timedelta(days=16), timedelta(days=90)]
)
def test_a_case_cannot_be_reopened_after_15_days(elapsed: timedelta) -> None:
    with pytest.raises(ActionRefused) as caught:
        reopen(rated_dissatisfied(), REASON, now=RESPONDED_AT + elapsed)

    assert "15 days" in caught.value.detail
    assert caught.value.allowed_actions == []


def test_the_window_is_15_days() -> None:
    assert timedelta(days=15) == REOPEN_WINDOW


def test_a_reopened_case_allows_nothing_until_it_is_responded_again() -> None:
    reopened = rated_dissatisfied(status="reopened", reopen_count=1)

    assert allowed_actions(reopened, now=NOW) == []


@pytest.mark.parametrize("reason", ["", "太远了", "x" * 1001, "    太远了    "])
def test_a_reopen_reason_must_be_5_to_1000_characters(reason: str) -> None:
    with pytest.raises(ValidationError):
        ReopenCase.model_validate({"reason": reason})


def test_a_reopen_body_with_extra_fields_is_refused() -> None:
    with pytest.raises(ValidationError):
        ReopenCase.model_validate({"reason": REASON.reason, "phone": "13800000000"})


def test_an_unassigned_station_is_sent_as_empty_rather_than_failing() -> None:
    assert rate(case(station_id=None), DISSATISFIED, now=NOW).station_id == ""
