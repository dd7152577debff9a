"""The working calendar at work: at start, the open cases' deadlines counted again if routing
now counts with another calendar (handlers/sla.py, `apply_calendar`); and, at start and daily,
a warning for this year or the next when `chinesecalendar` has no data for it and the
operator gave no dates of it either, so its deadlines count weekends only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from prometheus_client import CollectorRegistry, Gauge

from services.routing.adapters.calendar_state import CalendarState
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.holiday_calendar import DISTRIBUTION, OfficialCalendar
from services.routing.domain.sla import SlaRules, unknown_years
from services.routing.handlers.sla import CalendarApplied, apply_calendar
from shared.errors import is_transient
from shared.logging import get_logger

Clock = Callable[[], datetime]

# Long enough for a few batches of a recount between renewals, short enough that a crashed
# holder's successor starts within a minute.
LEASE_S = 60.0
COVERAGE_CHECK_S = 6 * 3600.0


def system_clock() -> datetime:
    return datetime.now(UTC)


class CalendarCoverage:
    """Warns once per year (per process) that the official calendar does not know it, and
    shows those years as `minyi_sla_calendar_unknown_year{year}` = 1 on /metrics."""

    def __init__(
        self,
        official: OfficialCalendar,
        *,
        overrides: frozenset[date],
        registry: CollectorRegistry,
    ) -> None:
        self._official = official
        self._overrides = overrides
        self._warned: set[int] = set()
        self._gauge = Gauge(
            "minyi_sla_calendar_unknown_year",
            "1 for each year (this one and the next) whose deadlines count weekends only: "
            "chinesecalendar has no data for it and MINYI_HOLIDAYS / "
            "MINYI_EXTRA_WORKING_DAYS name none of its dates.",
            ["year"],
            registry=registry,
        )
        # A logger of its own: bound at its first use, so a test can capture what it says.
        self._log = get_logger(__name__)

    def check(self, today: date) -> list[int]:
        """The years (of this one and the next) found unknown now for the first time."""
        found = unknown_years(
            (today.year, today.year + 1),
            known=self._official.known_years,
            overridden=self._overrides,
        )
        new = [year for year in found if year not in self._warned]
        for year in new:
            self._warned.add(year)
            self._gauge.labels(year=str(year)).set(1)
            self._log.warning(
                "sla.calendar_year_unknown",
                year=year,
                library=f"{DISTRIBUTION} {self._official.version}",
                known_years=_span(self._official.known_years),
                counts="weekends only, plus MINYI_HOLIDAYS / MINYI_EXTRA_WORKING_DAYS",
                action=f"list {year}'s public holidays in MINYI_HOLIDAYS and its make-up "
                "working days in MINYI_EXTRA_WORKING_DAYS, or upgrade chinesecalendar once "
                "the State Council's notice is out; open cases are counted again at restart",
            )
        return new


def _span(years: frozenset[int]) -> str:
    return f"{min(years)}-{max(years)}" if years else "none"


class CalendarWatch:
    def __init__(
        self,
        *,
        coverage: CalendarCoverage,
        state: CalendarState,
        cases: RoutedCaseRepository,
        directory: DirectoryRepository,
        sla: SlaRules,
        clock: Clock = system_clock,
        lease_s: float = LEASE_S,
        retry_s: float = 1.0,
        check_s: float = COVERAGE_CHECK_S,
    ) -> None:
        self._coverage = coverage
        self._state = state
        self._cases = cases
        self._directory = directory
        self._sla = sla
        self._clock = clock
        self._lease_s = lease_s
        self._retry_s = retry_s
        self._check_s = check_s
        self._token = uuid.uuid4().hex
        self._log = get_logger(__name__)
        self._applied = asyncio.Event()

    def check_coverage(self) -> list[int]:
        return self._coverage.check(self._clock().astimezone(self._sla.calendar.timezone).date())

    async def apply(self) -> CalendarApplied:
        """Until this calendar is the one the open cases are counted with: waits while another
        replica holds the lease, and takes over a lease that ran out."""
        while True:
            try:
                applied = await apply_calendar(
                    state=self._state,
                    cases=self._cases,
                    directory=self._directory,
                    sla=self._sla,
                    token=self._token,
                    clock=self._clock,
                    lease_s=self._lease_s,
                )
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self._log.warning("sla.calendar_unavailable", error=str(exc))
            else:
                if applied.outcome in ("unchanged", "recounted"):
                    self._applied.set()
                    return applied
            await asyncio.sleep(self._retry_s)

    async def wait_applied(self) -> None:
        """Until the open cases are counted with this calendar: the SLA scheduler waits for
        it, or it would escalate by deadlines a new holiday has just moved."""
        await self._applied.wait()

    async def run(self) -> None:
        """Apply the calendar, then look at the coverage again now and then: a process that
        runs into a new year warns of the year after it."""
        await self.apply()
        while True:
            await asyncio.sleep(self._check_s)
            self.check_coverage()
