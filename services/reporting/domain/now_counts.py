"""Open and overdue cases now, as counters moved with each case write instead of counted over
every open case at each report (a count that grows with the cases kept open). Pure.

A counter belongs to a dimension, a station and a key: the city's is `("city", "", "")`; every
other one carries the case's station, so that a station's figures read only its own, and the
case's value of the dimension. An overdue case is always an open one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.reporting.domain.case_state import CaseState
from services.reporting.domain.contributions import Dimension

# Where the state of a case keeps the value of each dimension.
CASE_FIELD: dict[Dimension, str] = {
    "station": "station_id",
    "representative": "representative_code",
    "category": "category",
    "point": "liaison_point_id",
}

NowKey = tuple[str, str, str]
"""(dimension, station, key)."""

CITY: NowKey = ("city", "", "")


@dataclass(frozen=True)
class Held:
    """What a counter needs of a case: its station, its value of each dimension, its flags."""

    station_id: str | None
    values: Mapping[Dimension, str | None]
    open: bool
    overdue: bool

    @classmethod
    def of(cls, state: CaseState) -> Held:
        return cls(
            station_id=state.station_id,
            values={d: getattr(state, field) for d, field in CASE_FIELD.items()},
            open=state.open,
            overdue=state.overdue,
        )

    def counters(self) -> list[NowKey]:
        station = self.station_id or ""
        return [CITY] + [(d, station, str(v)) for d, v in self.values.items() if v]


def _add(into: dict[NowKey, list[int]], held: Held, sign: int) -> None:
    if not held.open:
        return
    for key in held.counters():
        counts = into.setdefault(key, [0, 0])
        counts[0] += sign
        counts[1] += sign * int(held.overdue)


def now_shifts(changes: Iterable[tuple[Held | None, Held]]) -> dict[NowKey, tuple[int, int]]:
    """(open, overdue) increments for (before, after) pairs; `before` None: a case seen first."""
    shifts: dict[NowKey, list[int]] = {}
    for before, after in changes:
        if before is not None:
            _add(shifts, before, -1)
        _add(shifts, after, 1)
    return {key: (o, d) for key, (o, d) in shifts.items() if o or d}


def now_counted(cases: Iterable[Held]) -> dict[NowKey, tuple[int, int]]:
    """Every counter from the open cases themselves (the recount)."""
    return now_shifts((None, held) for held in cases)
