"""Open cases' deadlines counted again when routing starts with another working calendar, on
the real store: once across replicas (a lease), only open cases, idempotent."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pymongo import AsyncMongoClient

from services.routing.adapters.calendar_state import CalendarState
from services.routing.adapters.case_documents import watch_for
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.holiday_calendar import official_calendar, working_calendar
from services.routing.domain.sla import SlaPolicy, SlaRules, WorkingCalendar, deadlines_for
from services.routing.handlers.sla import CalendarApplied, apply_calendar
from shared.mongo import Document
from tests.conftest import PlumbingSettings
from tests.integration.sla_cases import Clock, add_assigned_case, reopen

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUBMITTED = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
WEEKENDS_ONLY = WorkingCalendar(timezone=SHANGHAI)
OFFICIAL = official_calendar()


def rules(holidays: frozenset[date] = frozenset()) -> SlaRules:
    return SlaRules(
        calendar=working_calendar(
            OFFICIAL, timezone=SHANGHAI, holidays=holidays, extra_working_days=frozenset()
        ),
        default=SlaPolicy(),
    )


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


async def add_case(cases: RoutedCaseRepository, *, status: str = "assigned") -> str:
    """A case counted with weekends only, as routing counted before it read the calendar."""
    return await add_assigned_case(
        cases,
        submitted_at=SUBMITTED,
        deadlines=deadlines_for(SUBMITTED, policy=SlaPolicy(), calendar=WEEKENDS_ONLY),
        correlation_id="calendar-test",
        status=status,
    )


async def start(
    cases: RoutedCaseRepository, *, token: str, clock: Clock, sla: SlaRules | None = None
) -> CalendarApplied:
    """routing starting as replica `token` with `sla`'s calendar (the official one by default)."""
    db = cases.collection.database
    return await apply_calendar(
        state=CalendarState(db),
        cases=cases,
        directory=DirectoryRepository(db),
        sla=sla or rules(),
        token=token,
        clock=clock,
        lease_s=60,
    )


async def sla_of(cases: RoutedCaseRepository, case_id: str) -> Document:
    case = await cases.get(case_id)
    assert case is not None
    return {**case["sla"], "version": case["version"]}


async def test_one_replica_counts_the_open_cases_again_and_a_second_start_changes_nothing(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    state = CalendarState(db)
    directory = DirectoryRepository(db)
    waiting = await add_case(cases)
    handling = await add_case(cases, status="handling")
    closed = await add_case(cases, status="closed")
    before_closed = await sla_of(cases, closed)
    clock = Clock(datetime(2026, 12, 2, tzinfo=UTC))

    replicas = await asyncio.gather(
        *(
            apply_calendar(
                state=state,
                cases=cases,
                directory=directory,
                sla=rules(),
                token=f"replica-{n}",
                clock=clock,
                lease_s=60,
                batch_size=1,  # a batch per case: the lease is renewed between them
            )
            for n in range(3)
        )
    )

    outcomes = sorted(r.outcome for r in replicas)
    assert outcomes.count("recounted") == 1, outcomes
    assert set(outcomes) <= {"recounted", "busy", "unchanged"}
    recounted = next(r for r in replicas if r.outcome == "recounted")
    assert recounted.recount is not None
    assert (recounted.recount.open_cases, recounted.recount.changed) == (2, 2)
    for case_id in (waiting, handling):
        sla = await sla_of(cases, case_id)
        assert sla["accept_due"] == end_of(date(2026, 10, 9))
        assert sla["respond_due"] == end_of(date(2026, 10, 27))
        assert sla["version"] == 1  # a recount never fails a staff member's If-Match
    assert (await sla_of(cases, waiting))["watch"] == end_of(date(2026, 10, 9))
    assert (await sla_of(cases, handling))["watch"] == end_of(date(2026, 10, 27))
    assert await sla_of(cases, closed) == before_closed  # only open cases
    stored = await state.read()
    assert stored is not None
    assert stored["fingerprint"] == rules().calendar.fingerprint()
    assert stored["changed"] == 2
    assert "lease" not in stored

    again = await start(cases, token="restarted", clock=clock)
    assert again.outcome == "unchanged"

    # An override changes the calendar: the next start counts again, moving what it moves.
    override = rules(holidays=frozenset({date(2026, 10, 9)}))
    changed = await start(cases, token="restarted-with-override", clock=clock, sla=override)
    assert changed.outcome == "recounted"
    assert changed.recount is not None and changed.recount.changed == 2
    sla = await sla_of(cases, waiting)
    assert sla["accept_due"] == end_of(date(2026, 10, 10))  # Friday off, Saturday worked
    assert sla["respond_due"] == end_of(date(2026, 10, 28))
    assert sla["watch"] == watch_for({"sla": sla}, status="assigned")
    due_now = await cases.breach_candidates(now=end_of(date(2026, 10, 10)) + timedelta(seconds=1))
    assert [c["_id"] for c in due_now] == [waiting]


async def test_a_replica_waits_for_the_lease_and_takes_over_one_that_ran_out(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    state = CalendarState(db)
    waiting = await add_case(cases)
    clock = Clock(datetime(2026, 12, 2, tzinfo=UTC))
    # A replica that took the lease and stalled (or died) before counting anything.
    assert await state.claim(token="stalled", now=clock(), lease_s=60)

    busy = await start(cases, token="newcomer", clock=clock)
    assert busy.outcome == "busy"
    assert (await sla_of(cases, waiting))["accept_due"] != end_of(date(2026, 10, 9))

    clock.now += timedelta(seconds=61)
    took_over = await start(cases, token="newcomer", clock=clock)

    assert took_over.outcome == "recounted"
    assert (await sla_of(cases, waiting))["accept_due"] == end_of(date(2026, 10, 9))
    # The stalled replica wakes up to find its lease gone: it records nothing.
    assert not await state.finish(token="stalled", fingerprint="old", changed=0, at=clock())
    stored = await state.read()
    assert stored is not None and stored["fingerprint"] == rules().calendar.fingerprint()


async def test_a_case_stored_before_deadlines_kept_their_start_is_counted_from_its_reopening(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    reopened = await add_case(cases, status="reopened")
    reopened_at = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    # As an older routing stored it: no `sla.*_from` / `_days`, the reopening in the audit.
    await cases.collection.update_one(
        {"_id": reopened},
        {
            "$unset": {f"sla.{d}_{f}": "" for d in ("accept", "respond") for f in ("from", "days")},
            "$set": {"reopen_count": 1},
            "$push": {"audit": {"at": reopened_at, "action": "reopen", "to": "reopened"}},
        },
    )

    applied = await start(cases, token="upgraded", clock=Clock(datetime(2026, 12, 2, tzinfo=UTC)))

    assert applied.outcome == "recounted"
    sla = await sla_of(cases, reopened)
    # 15 working days from Friday 9 October: Saturday 10 (worked), 12-16, 19-23, 26-29.
    assert sla["respond_due"] == end_of(date(2026, 10, 29))
    assert sla["respond_from"] == reopened_at
    assert sla["accept_from"] == SUBMITTED
    assert (sla["accept_days"], sla["respond_days"]) == (2, 15)


async def test_a_reopened_case_keeps_its_reopening_as_the_start_of_its_response_count(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = mongo[settings.database_name]
    cases = RoutedCaseRepository(db)
    await cases.ensure_indexes()
    case_id = await add_case(cases, status="responded")
    reopened_at = datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI)
    directory = DirectoryRepository(db)
    await reopen(
        case_id,
        at=reopened_at,
        cases=cases,
        directory=directory,
        sla=rules(),
        correlation_id="calendar-test",
    )
    sla = await sla_of(cases, case_id)
    assert (sla["respond_from"], sla["respond_days"]) == (reopened_at, 15)
    assert sla["respond_due"] == end_of(date(2026, 10, 29))  # Saturday 10 October counted

    # Saturday 10 October declared a day off after all: counted again from the reopening.
    applied = await start(
        cases,
        token="override",
        clock=Clock(datetime(2026, 12, 2, tzinfo=UTC)),
        sla=rules(holidays=frozenset({date(2026, 10, 10)})),
    )

    assert applied.outcome == "recounted"
    assert (await sla_of(cases, case_id))["respond_due"] == end_of(date(2026, 10, 30))
