"""What each event adds to the pre-aggregated counters. Pure: events in, increments out.

Counters live in daily buckets (per station, and city-wide), so any period is a sum of a few
bucket documents and no query ever scans cases.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.case_events import (
    CaseAccepted,
    CaseAction,
    CaseAssigned,
    CaseClosed,
    CaseDeclined,
    CaseEscalated,
    CaseMerged,
    CaseRated,
    CaseRejected,
    CaseReopened,
    CaseResponded,
    CaseSubmitted,
)
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


HANDLING_COUNTERS: dict[str, tuple[type[CaseAction], str]] = {
    CaseAccepted.TYPE: (CaseAccepted, "accepted"),
    CaseDeclined.TYPE: (CaseDeclined, "declined"),
    CaseRejected.TYPE: (CaseRejected, "rejected"),
    CaseMerged.TYPE: (CaseMerged, "merged"),
    CaseResponded.TYPE: (CaseResponded, "responded"),
    CaseClosed.TYPE: (CaseClosed, "closed"),
    CaseReopened.TYPE: (CaseReopened, "reopened"),
    CaseEscalated.TYPE: (CaseEscalated, "escalated"),
}
"""Handling events counted once each, under this name, for their station and the city."""


def _station_and_city(station_id: str, day: date, increments: dict[str, int]) -> list[CounterDelta]:
    """The same increments in the station's and the city's bucket for that day.

    Handling events do not carry the station's name, so its label is left to `case.assigned`.
    """
    return [
        CounterDelta(
            bucket="station_daily",
            key=station_bucket_key(station_id, day),
            labels={"station_id": station_id, "day": day.isoformat()},
            increments=increments,
        ),
        CounterDelta(
            bucket="city_daily",
            key=day.isoformat(),
            labels={"day": day.isoformat()},
            increments=increments,
        ),
    ]


def deltas_for(envelope: Envelope) -> list[CounterDelta]:
    if envelope.type in HANDLING_COUNTERS:
        model, name = HANDLING_COUNTERS[envelope.type]
        action = envelope.payload(model)
        return _station_and_city(action.station_id, action.at.date(), {name: 1})
    if envelope.type == CaseRated.TYPE:
        rated = envelope.payload(CaseRated)
        return _station_and_city(
            rated.station_id, rated.at.date(), {"rated": 1, f"ratings.{rated.rating}": 1}
        )
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
