"""Dilapidated-house repair (危旧房治理) stages as reporting counts them: houses, not cases. Pure.

The stages are the event contract's (`shared.events.case_events.HOUSE_STAGES`), in the table's
order (docs/lifecycle.md). Each house is one row of figures (`HouseFigures`), the newest its
events on the `houses` topic carry (by the house's `version`): a house with three cases counts
once, and a case not linked to a house is not a house.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from shared.events.case_events import HOUSE_STAGES
from shared.events.house_events import HouseEvent

STAGES: tuple[str, ...] = HOUSE_STAGES

StagesByStation = Mapping[str, Mapping[str, int]]
"""Houses per station and stage now, as the read models count them."""


class HouseFigures(BaseModel):
    """One house as reporting keeps it: where, its stage, its households' answers."""

    model_config = ConfigDict(frozen=True)

    house_id: str
    station_id: str
    stage: str
    version: int
    households: int
    consenting: int
    objecting: int

    @classmethod
    def of(cls, event: HouseEvent) -> HouseFigures:
        return cls.model_validate(event.model_dump())

    def supersedes(self, other: HouseFigures) -> bool:
        """Newer than `other`: a late or repeated event never takes a house back."""
        return self.version > other.version


class ConsentFigures(BaseModel):
    """A station's houses and their households' answers to the repair plans."""

    houses: int = 0
    households: int = 0
    consenting: int = 0
    objecting: int = 0


class HouseRepairStation(BaseModel):
    station_id: str
    station_name: str
    stages: dict[str, int]
    total: int
    consents: ConsentFigures = ConsentFigures()


def newest(events: Iterable[HouseEvent]) -> list[HouseFigures]:
    """Each house's newest figures among `events`, once per house."""
    found: dict[str, HouseFigures] = {}
    for event in events:
        figures = HouseFigures.of(event)
        before = found.get(figures.house_id)
        if before is None or figures.supersedes(before):
            found[figures.house_id] = figures
    return list(found.values())


def house_stages(rows: Iterable[HouseFigures]) -> dict[str, dict[str, int]]:
    """Houses per station and stage (stages with none left out)."""
    found: dict[str, Counter[str]] = {}
    for row in rows:
        found.setdefault(row.station_id, Counter())[row.stage] += 1
    return {station: dict(counts) for station, counts in found.items()}


def consent_figures(rows: Iterable[HouseFigures]) -> dict[str, ConsentFigures]:
    """Per station: houses, households, and how many consented or objected."""
    found: dict[str, ConsentFigures] = {}
    for row in rows:
        now = found.get(row.station_id, ConsentFigures())
        found[row.station_id] = ConsentFigures(
            houses=now.houses + 1,
            households=now.households + row.households,
            consenting=now.consenting + row.consenting,
            objecting=now.objecting + row.objecting,
        )
    return found


def every_stage(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts per stage, every stage present (zero included), in the table's order."""
    return {stage: int(counts.get(stage, 0)) for stage in STAGES}


def city_stages(stages: StagesByStation) -> dict[str, int]:
    """Every station's counts summed per stage, every stage present."""
    total: Counter[str] = Counter()
    for counts in stages.values():
        total.update(counts)
    return every_stage(total)


def station_stages(
    stages: StagesByStation,
    names: Mapping[str, str],
    consents: Mapping[str, ConsentFigures] | None = None,
) -> list[HouseRepairStation]:
    """Each station's counts per stage, by station id, named where the directory names it,
    with its households' consent when given."""
    return [
        HouseRepairStation(
            station_id=station,
            station_name=names.get(station, station),
            stages=every_stage(counts),
            total=sum(counts.values()),
            consents=(consents or {}).get(station, ConsentFigures()),
        )
        for station, counts in sorted(stages.items())
    ]
