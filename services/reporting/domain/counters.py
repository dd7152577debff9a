"""What each event adds to the pre-aggregated counters. Pure: events in, increments out.

Counters live in daily buckets (per station, and city-wide), so any period is a sum of a few
bucket documents and no query ever scans cases.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.case_events import CaseAssigned, CaseSubmitted
from shared.events.envelope import Envelope

Bucket = Literal["station_daily", "city_daily"]


class CounterDelta(BaseModel):
    model_config = ConfigDict(frozen=True)

    bucket: Bucket
    key: str
    labels: dict[str, str]
    increments: dict[str, int]


def station_bucket_key(station_id: str, day: date) -> str:
    return f"{station_id}|{day.isoformat()}"


def deltas_for(envelope: Envelope) -> list[CounterDelta]:
    if envelope.type == CaseSubmitted.TYPE:
        submitted = envelope.payload(CaseSubmitted)
        day = submitted.submitted_at.date()
        return [
            CounterDelta(
                bucket="city_daily",
                key=day.isoformat(),
                labels={"day": day.isoformat()},
                increments={"received": 1, f"by_channel.{submitted.channel}": 1},
            )
        ]
    if envelope.type == CaseAssigned.TYPE:
        assigned = envelope.payload(CaseAssigned)
        day = assigned.assigned_at.date()
        if assigned.round > 1:
            # Re-routed after a decline or a reassignment: the same case, not a new one.
            return [
                CounterDelta(
                    bucket="station_daily",
                    key=station_bucket_key(assigned.station_id, day),
                    labels={
                        "station_id": assigned.station_id,
                        "station_name": assigned.station_name,
                        "day": day.isoformat(),
                    },
                    increments={"reassigned": 1},
                )
            ]
        held = "to_representative" if assigned.representative_code else "to_station_queue"
        return [
            CounterDelta(
                bucket="station_daily",
                key=station_bucket_key(assigned.station_id, day),
                labels={
                    "station_id": assigned.station_id,
                    "station_name": assigned.station_name,
                    "day": day.isoformat(),
                },
                increments={
                    "assigned": 1,
                    held: 1,
                    f"by_category.{assigned.category}": 1,
                },
            ),
            CounterDelta(
                bucket="city_daily",
                key=day.isoformat(),
                labels={"day": day.isoformat()},
                increments={"assigned": 1},
            ),
        ]
    return []
