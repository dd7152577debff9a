"""Dilapidated-house repair (危旧房治理) stages as reporting counts them. Pure.

The stages are the event contract's (`shared.events.case_events.HOUSE_STAGES`), in the table's
order (docs/lifecycle.md). A case's stage now is in `case_state`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from pydantic import BaseModel

from shared.events.case_events import HOUSE_STAGES

STAGES: tuple[str, ...] = HOUSE_STAGES

StagesByStation = Mapping[str, Mapping[str, int]]
"""House-repair cases per station and stage now, as the read models count them."""


class HouseRepairStation(BaseModel):
    station_id: str
    station_name: str
    stages: dict[str, int]
    total: int


def every_stage(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts per stage, every stage present (zero included), in the table's order."""
    return {stage: int(counts.get(stage, 0)) for stage in STAGES}


def city_stages(stages: StagesByStation) -> dict[str, int]:
    """Every station's counts summed per stage, every stage present."""
    total: Counter[str] = Counter()
    for counts in stages.values():
        total.update(counts)
    return every_stage(total)


def station_stages(stages: StagesByStation, names: Mapping[str, str]) -> list[HouseRepairStation]:
    """Each station's counts per stage, by station id, named where the directory names it."""
    return [
        HouseRepairStation(
            station_id=station,
            station_name=names.get(station, station),
            stages=every_stage(counts),
            total=sum(counts.values()),
        )
        for station, counts in sorted(stages.items())
    ]
