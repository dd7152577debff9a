"""Working-day deadlines and breach detection."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.routing.domain.sla import (
    Deadline,
    SlaPolicy,
    WorkingCalendar,
    breached,
    deadlines_for,
    next_due,
    policy_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar(timezone=SHANGHAI)
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)
FRIDAY_NOON = datetime(2026, 11, 27, 12, 0, tzinfo=SHANGHAI)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def test_two_working_days_from_monday_end_on_wednesday_night() -> None:
    assert CALENDAR.add_working_days(MONDAY_NOON, 2) == end_of(date(2026, 11, 25))


def test_weekends_do_not_count() -> None:
    assert CALENDAR.add_working_days(FRIDAY_NOON, 2) == end_of(date(2026, 12, 1))


def test_holidays_do_not_count_and_make_up_days_do() -> None:
    calendar = WorkingCalendar(
        timezone=SHANGHAI,
        holidays=frozenset({date(2026, 11, 24)}),
        extra_working_days=frozenset({date(2026, 11, 29)}),  # a Sunday worked (调休)
    )
    assert calendar.add_working_days(MONDAY_NOON, 1) == end_of(date(2026, 11, 25))
    assert calendar.add_working_days(FRIDAY_NOON, 1) == end_of(date(2026, 11, 29))


def test_days_are_counted_in_the_city_s_time_zone() -> None:
    # 20:00 UTC on Sunday is already Monday 04:00 in Shanghai.
    sunday_evening_utc = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert CALENDAR.add_working_days(sunday_evening_utc, 1) == end_of(date(2026, 11, 24))


def test_a_deadline_is_at_least_one_working_day() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CALENDAR.add_working_days(MONDAY_NOON, 0)


def test_default_policy_is_two_days_to_accept_and_fifteen_to_respond() -> None:
    due = deadlines_for(MONDAY_NOON, policy=SlaPolicy(), calendar=CALENDAR)
    assert due.accept_due == end_of(date(2026, 11, 25))
    assert due.respond_due == end_of(date(2026, 12, 14))


def test_a_category_may_set_its_own_policy() -> None:
    default = SlaPolicy()
    assert policy_for({"sla_respond_days": 30}, default=default) == SlaPolicy(2, 30)
    assert policy_for({"sla_accept_days": None}, default=default) == default
    assert policy_for(None, default=default) == default


DUE = deadlines_for(MONDAY_NOON, policy=SlaPolicy(), calendar=CALENDAR)


@pytest.mark.parametrize(
    ("status", "now", "escalated", "expected"),
    [
        ("assigned", DUE.accept_due, frozenset(), []),  # exactly at the deadline: not late
        ("assigned", datetime(2026, 11, 26, tzinfo=SHANGHAI), frozenset(), ["accept"]),
        ("accepted", datetime(2026, 11, 26, tzinfo=SHANGHAI), frozenset(), []),
        ("assigned", datetime(2026, 11, 26, tzinfo=SHANGHAI), frozenset({"accept"}), []),
        ("handling", datetime(2026, 12, 15, tzinfo=SHANGHAI), frozenset(), ["respond"]),
        ("assigned", datetime(2026, 12, 15, tzinfo=SHANGHAI), frozenset(), ["accept", "respond"]),
        ("responded", datetime(2026, 12, 15, tzinfo=SHANGHAI), frozenset(), []),
        ("rejected", datetime(2026, 12, 15, tzinfo=SHANGHAI), frozenset(), []),
        ("reopened", datetime(2026, 12, 15, tzinfo=SHANGHAI), frozenset({"respond"}), []),
    ],
)
def test_breaches_are_reported_once_and_only_while_they_matter(
    status: str, now: datetime, escalated: frozenset[Deadline], expected: list[str]
) -> None:
    found = breached(
        status=status,
        accept_due=DUE.accept_due,
        respond_due=DUE.respond_due,
        escalated=escalated,
        now=now,
    )
    assert found == expected


ACCEPT = end_of(date(2026, 11, 25))
RESPOND = end_of(date(2026, 12, 14))
OPEN = ("assigned", "accepted", "in_review", "handling", "transferred", "reopened")


@pytest.mark.parametrize("status", ["closed", "responded", "rejected", "merged"])
def test_a_case_that_can_breach_nothing_has_no_next_deadline(status: str) -> None:
    assert (
        next_due(status=status, accept_due=ACCEPT, respond_due=RESPOND, escalated=frozenset())
        is None
    )


def test_an_assigned_case_is_next_due_to_be_accepted() -> None:
    assert (
        next_due(status="assigned", accept_due=ACCEPT, respond_due=RESPOND, escalated=frozenset())
        == ACCEPT
    )


@pytest.mark.parametrize("status", OPEN[1:])
def test_once_accepted_only_the_response_is_due(status: str) -> None:
    assert (
        next_due(status=status, accept_due=ACCEPT, respond_due=RESPOND, escalated=frozenset())
        == RESPOND
    )


def test_an_escalated_deadline_is_no_longer_watched() -> None:
    assert (
        next_due(
            status="assigned",
            accept_due=ACCEPT,
            respond_due=RESPOND,
            escalated=frozenset({"accept"}),
        )
        == RESPOND
    )
    both: frozenset[Deadline] = frozenset({"accept", "respond"})
    assert (
        next_due(status="assigned", accept_due=ACCEPT, respond_due=RESPOND, escalated=both) is None
    )


@pytest.mark.parametrize("status", [*OPEN, "closed", "responded"])
@pytest.mark.parametrize("escalated", [frozenset(), frozenset({"accept"}), frozenset({"respond"})])
def test_the_next_deadline_is_never_later_than_a_breach_it_must_catch(
    status: str, escalated: frozenset[Deadline]
) -> None:
    due = next_due(status=status, accept_due=ACCEPT, respond_due=RESPOND, escalated=escalated)
    for now in (end_of(date(2026, 11, 26)), end_of(date(2026, 12, 15))):
        if breached(
            status=status, accept_due=ACCEPT, respond_due=RESPOND, escalated=escalated, now=now
        ):
            assert due is not None and due < now
