"""China's working-day calendar: the official holidays and make-up days of `chinesecalendar`,
the operator's overrides on top, the weekends-only fallback for a year the package does not
know, and the fingerprint a changed calendar is recognised by."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from services.routing.adapters.case_documents import recounted_sla
from services.routing.adapters.holiday_calendar import official_calendar, working_calendar
from services.routing.domain.sla import (
    SlaPolicy,
    WorkingCalendar,
    deadlines_for,
    unknown_years,
    with_overrides,
)
from services.routing.entrypoints.sla_calendar import CalendarCoverage
from shared.mongo import Document

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICIAL = official_calendar()
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]
# The Saturday after the 2026 National Day week is worked in its place (调休).
MAKE_UP_SATURDAY = date(2026, 10, 10)


def calendar(
    holidays: frozenset[date] = frozenset(), extra: frozenset[date] = frozenset()
) -> WorkingCalendar:
    return working_calendar(
        OFFICIAL, timezone=SHANGHAI, holidays=holidays, extra_working_days=extra
    )


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def test_the_official_calendar_knows_the_national_day_week_and_its_make_up_saturday() -> None:
    assert set(NATIONAL_DAY) <= OFFICIAL.holidays
    assert MAKE_UP_SATURDAY in OFFICIAL.working_days
    assert 2026 in OFFICIAL.known_years
    assert 2027 not in OFFICIAL.known_years  # chinesecalendar 1.11.0 stops at 2026


def test_a_case_submitted_on_30_september_falls_due_after_the_national_day_holiday() -> None:
    submitted = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # a Wednesday

    due = deadlines_for(submitted, policy=SlaPolicy(), calendar=calendar())

    # 2 working days: Thursday 8 and Friday 9 October, after the seven days off.
    assert due.accept_due == end_of(date(2026, 10, 9))
    # 15 working days: 8, 9, Saturday 10 (worked), 12-16, 19-23, 26, 27 October.
    assert due.respond_due == end_of(date(2026, 10, 27))
    assert not any(due.accept_due.date() == d or due.respond_due.date() == d for d in NATIONAL_DAY)


def test_weekends_only_would_have_made_it_due_during_the_holiday() -> None:
    # What routing counted before it read the official calendar: the test above can fail.
    weekends_only = WorkingCalendar(timezone=SHANGHAI)
    submitted = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert weekends_only.add_working_days(submitted, 2) == end_of(date(2026, 10, 2))


def test_a_make_up_working_day_counts() -> None:
    friday = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    assert calendar().add_working_days(friday, 1) == end_of(MAKE_UP_SATURDAY)
    # And an ordinary Saturday does not.
    assert calendar().add_working_days(datetime(2026, 10, 16, 10, tzinfo=SHANGHAI), 1) == end_of(
        date(2026, 10, 19)
    )


def test_the_operator_s_holiday_wins_over_an_official_make_up_day() -> None:
    overridden = calendar(holidays=frozenset({MAKE_UP_SATURDAY}))
    assert not overridden.is_working_day(MAKE_UP_SATURDAY)
    friday = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    assert overridden.add_working_days(friday, 1) == end_of(date(2026, 10, 12))


def test_the_operator_s_working_day_wins_over_an_official_holiday() -> None:
    overridden = calendar(extra=frozenset({date(2026, 10, 7)}))
    assert overridden.is_working_day(date(2026, 10, 7))
    submitted = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert overridden.add_working_days(submitted, 1) == end_of(date(2026, 10, 7))


def test_overrides_merge_with_the_official_dates_in_a_pure_function() -> None:
    merged = with_overrides(
        timezone=SHANGHAI,
        official_holidays={date(2026, 10, 1), date(2026, 10, 2)},
        official_working_days={date(2026, 10, 10)},
        holidays={date(2026, 10, 10), date(2026, 11, 24)},
        extra_working_days={date(2026, 10, 2)},
    )
    assert merged.holidays == {date(2026, 10, 1), date(2026, 10, 10), date(2026, 11, 24)}
    assert merged.extra_working_days == {date(2026, 10, 2)}


def test_a_year_the_package_does_not_know_counts_weekends_and_the_overrides() -> None:
    new_year_2027 = date(2027, 1, 1)  # a Friday; its holiday is not in the package yet
    thursday = datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)

    assert calendar().add_working_days(thursday, 1) == end_of(new_year_2027)
    with_override = calendar(holidays=frozenset({new_year_2027}))
    assert with_override.add_working_days(thursday, 1) == end_of(date(2027, 1, 4))


def test_a_year_is_unknown_unless_the_package_or_the_operator_gives_its_dates() -> None:
    known = OFFICIAL.known_years
    assert unknown_years((2026, 2027), known=known, overridden=()) == [2027]
    assert unknown_years((2026, 2027), known=known, overridden=[date(2027, 10, 1)]) == []
    assert unknown_years((2025, 2026), known=known, overridden=()) == []


def test_an_unknown_year_is_warned_of_once_with_what_to_do_and_shown_as_a_metric() -> None:
    registry = CollectorRegistry()
    coverage = CalendarCoverage(OFFICIAL, overrides=frozenset(), registry=registry)

    with capture_logs() as logs:
        first = coverage.check(date(2026, 12, 2))
        again = coverage.check(date(2026, 12, 3))
        next_year = coverage.check(date(2027, 3, 1))

    assert (first, again, next_year) == ([2027], [], [2028])
    warnings = [e for e in logs if e["event"] == "sla.calendar_year_unknown"]
    assert [(w["log_level"], w["year"]) for w in warnings] == [("warning", 2027), ("warning", 2028)]
    assert "MINYI_HOLIDAYS" in warnings[0]["action"]
    assert "MINYI_EXTRA_WORKING_DAYS" in warnings[0]["action"]
    assert "upgrade chinesecalendar" in warnings[0]["action"]
    assert warnings[0]["library"] == f"chinesecalendar {OFFICIAL.version}"
    for year in ("2027", "2028"):
        assert registry.get_sample_value("minyi_sla_calendar_unknown_year", {"year": year}) == 1


def test_a_year_the_operator_gave_dates_of_is_not_warned_of() -> None:
    coverage = CalendarCoverage(
        OFFICIAL, overrides=frozenset({date(2027, 2, 6)}), registry=CollectorRegistry()
    )
    assert coverage.check(date(2026, 12, 2)) == []


def test_the_fingerprint_changes_with_the_overrides_and_nothing_else() -> None:
    base = calendar().fingerprint()
    assert calendar().fingerprint() == base  # the same calendar, the same name
    assert calendar(holidays=frozenset({date(2026, 11, 24)})).fingerprint() != base
    assert calendar(extra=frozenset({date(2026, 11, 29)})).fingerprint() != base
    tokyo = working_calendar(
        OFFICIAL,
        timezone=ZoneInfo("Asia/Tokyo"),
        holidays=frozenset(),
        extra_working_days=frozenset(),
    )
    assert tokyo.fingerprint() != base
    # The official dates are part of it: a package that learns a new year changes it.
    assert WorkingCalendar(timezone=SHANGHAI).fingerprint() != base


def test_a_naive_moment_is_read_as_utc_wherever_routing_runs() -> None:
    # 20:00 UTC on Sunday 22 November is Monday 04:00 in Shanghai.
    naive = datetime(2026, 11, 22, 20, 0)
    aware = naive.replace(tzinfo=UTC)
    assert calendar().add_working_days(naive, 1) == calendar().add_working_days(aware, 1)
    assert calendar().add_working_days(naive, 1) == end_of(date(2026, 11, 24))


# --- counting a stored case's deadlines again (adapters/case_documents.py) ---

SUBMITTED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
WEEKENDS_ONLY = deadlines_for(
    SUBMITTED, policy=SlaPolicy(), calendar=WorkingCalendar(timezone=SHANGHAI)
)


def stored_case(**sla: object) -> Document:
    return {
        "_id": "c1",
        "status": "assigned",
        "version": 3,
        "category": "parking",
        "submitted_at": SUBMITTED,
        "assigned_at": datetime(2026, 9, 30, 2, 1, tzinfo=UTC),
        "reopen_count": 0,
        "sla": {
            "accept_due": WEEKENDS_ONLY.accept_due,
            "respond_due": WEEKENDS_ONLY.respond_due,
            "accept_escalated": False,
            "respond_escalated": False,
            **sla,
        },
    }


def test_a_stored_case_is_counted_again_from_its_stored_start_and_days() -> None:
    case = stored_case(
        accept_from=SUBMITTED, accept_days=3, respond_from=SUBMITTED, respond_days=30
    )
    changes = recounted_sla(case, calendar=calendar(), policy=SlaPolicy())
    assert changes == {
        "accept_due": end_of(date(2026, 10, 10)),  # 8, 9, Saturday 10
        "respond_due": calendar().add_working_days(SUBMITTED, 30),
    }
    counted = {**case, "sla": {**case["sla"], **changes}}
    assert recounted_sla(counted, calendar=calendar(), policy=SlaPolicy()) == {}


def test_a_case_stored_before_its_clock_was_kept_is_counted_from_its_submission() -> None:
    changes = recounted_sla(stored_case(), calendar=calendar(), policy=SlaPolicy(2, 15))
    assert changes == {
        "accept_due": end_of(date(2026, 10, 9)),
        "respond_due": end_of(date(2026, 10, 27)),
        "accept_from": SUBMITTED,
        "accept_days": 2,
        "respond_from": SUBMITTED,
        "respond_days": 15,
    }


def test_a_reopened_case_s_response_deadline_counts_from_the_reopening() -> None:
    reopened_at = datetime(2026, 10, 9, 2, 0, tzinfo=UTC)
    case = {**stored_case(), "status": "reopened", "reopen_count": 1}
    changes = recounted_sla(
        case, calendar=calendar(), policy=SlaPolicy(2, 1), reopened_at=reopened_at
    )
    assert changes["respond_due"] == end_of(MAKE_UP_SATURDAY)
    assert changes["respond_from"] == reopened_at


@pytest.mark.parametrize(
    "case",
    [
        {**stored_case(), "status": "closed"},  # no deadline applies any more
        {
            **stored_case(),
            "status": "handling",
            "imported": {"external_id": "x"},
            "sla": {"accept_due": None, "respond_due": None},
        },  # imported as it was: it never had deadlines
    ],
)
def test_a_case_with_no_deadline_to_count_is_left_alone(case: Document) -> None:
    assert recounted_sla(case, calendar=calendar(), policy=SlaPolicy()) == {}
