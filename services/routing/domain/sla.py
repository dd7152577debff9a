"""Service-level deadlines in working days, and which of them a case has breached. Pure.

A deadline of N working days from a moment is the end (23:59:59, local time) of the N-th
working day after that moment's local date; weekends and public holidays do not count,
make-up working days (调休) do. The holidays and make-up days come from China's official
calendar (read by adapters/holiday_calendar.py) with the operator's overrides on top
(`with_overrides`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from services.routing.domain.directory import Directory
from services.routing.domain.workflow import OPEN

Deadline = Literal["accept", "respond"]
DEADLINES: tuple[Deadline, ...] = ("accept", "respond")

# Where each deadline still applies: accepting ends once the holder accepts; responding ends
# with the response (or with rejection or merging, which close the case another way).
_ACCEPT_PENDING = frozenset({"assigned"})
_RESPONSE_PENDING: frozenset[str] = OPEN


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        if days < 1:
            raise ValueError("a deadline is at least one working day away")
        if start.tzinfo is None:
            # The store and the events keep UTC; `astimezone` would read a naive moment as the
            # machine's own local time, and the count would depend on where routing runs.
            start = start.replace(tzinfo=UTC)
        day = start.astimezone(self.timezone).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.timezone)

    def fingerprint(self) -> str:
        """Names what the deadlines are counted with: routing stores the fingerprint its open
        cases were counted with and counts them again when it starts with another one (a
        newer `chinesecalendar`, changed overrides, another time zone)."""
        text = json.dumps(
            [
                str(self.timezone),
                sorted(d.isoformat() for d in self.holidays),
                sorted(d.isoformat() for d in self.extra_working_days),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def with_overrides(
    *,
    timezone: ZoneInfo,
    official_holidays: Iterable[date],
    official_working_days: Iterable[date],
    holidays: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
) -> WorkingCalendar:
    """The official calendar with the operator's dates on top: a date the operator names wins
    over what the official calendar says of it (a holiday it lists is no make-up day, and a
    working day it lists is no holiday). A date in both of the operator's lists is a working
    day, as `is_working_day` reads it."""
    extra = frozenset(extra_working_days)
    off = frozenset(holidays)
    return WorkingCalendar(
        timezone=timezone,
        holidays=(frozenset(official_holidays) - extra) | off,
        extra_working_days=(frozenset(official_working_days) - off) | extra,
    )


def unknown_years(
    years: Iterable[int], *, known: Iterable[int], overridden: Iterable[date]
) -> list[int]:
    """The years among `years` the official calendar has no data for and the operator gave no
    dates of either: their deadlines count weekends only, which is worth a warning."""
    have = set(known) | {d.year for d in overridden}
    return sorted(y for y in set(years) if y not in have)


@dataclass(frozen=True)
class SlaPolicy:
    accept_days: int = 2
    respond_days: int = 15


@dataclass(frozen=True)
class Deadlines:
    accept_due: datetime
    respond_due: datetime
    # What they were counted from (`deadlines_for` fills both): stored with the case so that a
    # changed calendar can count them again.
    start: datetime | None = None
    policy: SlaPolicy | None = None


def deadlines_for(start: datetime, *, policy: SlaPolicy, calendar: WorkingCalendar) -> Deadlines:
    return Deadlines(
        accept_due=calendar.add_working_days(start, policy.accept_days),
        respond_due=calendar.add_working_days(start, policy.respond_days),
        start=start,
        policy=policy,
    )


def breached(
    *,
    status: str,
    accept_due: datetime | None,
    respond_due: datetime | None,
    escalated: frozenset[Deadline],
    now: datetime,
) -> list[Deadline]:
    """The deadlines this case has passed and not yet been escalated for."""
    found: list[Deadline] = []
    if accept_due and now > accept_due and status in _ACCEPT_PENDING and "accept" not in escalated:
        found.append("accept")
    if (
        respond_due
        and now > respond_due
        and status in _RESPONSE_PENDING
        and "respond" not in escalated
    ):
        found.append("respond")
    return found


def next_due(
    *,
    status: str,
    accept_due: datetime | None,
    respond_due: datetime | None,
    escalated: frozenset[Deadline],
) -> datetime | None:
    """The earliest deadline this case can still breach in its status; None when none can.

    Stored as the case's `sla.watch` with every status change, so the scheduler reads only the
    cases whose watch has passed instead of every case ever routed.
    """
    dues: list[datetime] = []
    if accept_due and status in _ACCEPT_PENDING and "accept" not in escalated:
        dues.append(accept_due)
    if respond_due and status in _RESPONSE_PENDING and "respond" not in escalated:
        dues.append(respond_due)
    return min(dues, default=None)


def policy_for(category: dict[str, object] | None, *, default: SlaPolicy) -> SlaPolicy:
    """A category may set its own `sla_accept_days` / `sla_respond_days`."""
    if not category:
        return default
    accept = category.get("sla_accept_days")
    respond = category.get("sla_respond_days")
    return SlaPolicy(
        accept_days=accept if isinstance(accept, int) else default.accept_days,
        respond_days=respond if isinstance(respond, int) else default.respond_days,
    )


@dataclass(frozen=True)
class SlaRules:
    """The deadlines a case gets: the working calendar, the default policy, and each
    category's own policy from the directory."""

    calendar: WorkingCalendar
    default: SlaPolicy

    def policy(self, *, directory: Directory | None, category: str) -> SlaPolicy:
        """The category's policy; the default without a directory or for an unknown one."""
        if directory is None:
            return self.default
        entry = next((c for c in directory.categories if c.code == category), None)
        return policy_for(entry.model_dump() if entry else None, default=self.default)

    def deadlines(self, start: datetime, *, directory: Directory, category: str) -> Deadlines:
        policy = self.policy(directory=directory, category=category)
        return deadlines_for(start, policy=policy, calendar=self.calendar)
