"""What one event adds to the daily figures: a contribution per dimension. Pure.

Figures are pre-aggregated into daily buckets, one per (dimension, station, key, day):

| dimension | key | station |
| --- | --- | --- |
| `city` | `city` | empty |
| `station` | station id | the station |
| `representative` | representative code | the station where the event happened |
| `category` | category code | the station |
| `point` | liaison point id | the station |

Keeping the station in every bucket lets a report on representatives, categories or points be
filtered by station, or summed across stations, from the same buckets.

A bucket's day is the city's calendar day (`shared.zones.city_day`): a case submitted at 07:30
in the city is counted on that day, not on the day before as its UTC date would have it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Dimension = Literal["station", "representative", "category", "point", "city"]
DIMENSIONS: tuple[Dimension, ...] = ("station", "representative", "category", "point", "city")
CITY_KEY = "city"

DurationKind = Literal["accept", "respond"]


class Contribution(BaseModel):
    """Increments for one bucket, and the durations (whole milliseconds) it gains."""

    model_config = ConfigDict(frozen=True)

    dimension: Dimension
    station_id: str
    key: str
    day: date
    counts: dict[str, int]
    durations: dict[DurationKind, list[int]] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)

    @property
    def bucket_id(self) -> str:
        return bucket_id(self.dimension, self.station_id, self.key, self.day)


def bucket_id(dimension: Dimension, station_id: str, key: str, day: date) -> str:
    return f"{dimension}|{station_id}|{key}|{day.isoformat()}"


def city(
    day: date, counts: dict[str, int], durations: dict[DurationKind, list[int]]
) -> Contribution:
    return Contribution(
        dimension="city", station_id="", key=CITY_KEY, day=day, counts=counts, durations=durations
    )
