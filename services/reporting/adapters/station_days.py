"""reporting's daily buckets as stored: one document per station and day.

An event adds to up to five daily buckets (domain/contributions.py): the city's, and its
station's, representative's, category's and liaison point's, which all belong to the case's
station. They are stored together, one document per (station, day) holding each of that
station's (dimension, key) buckets of the day; the city's buckets are the document of station
`""`. An event then costs two document writes instead of five, on a collection with two indexes
instead of three: on SecantusDB a write costs about 2 ms plus 0.3–0.6 ms per index, and the
history import was bound by these writes (docs/benchmarks.md, "Buckets per station and day").

| field | holds |
| --- | --- |
| `_id` | `<station>|<day>`; the city's `|<day>` |
| `station_id`, `day` | the station (`""` for the city) and the day, `YYYY-MM-DD` |
| `buckets` | by dimension, a list of one per key: `key`, `counts`, `durations`, `labels` |
| `seen` | the tokens of the events it has counted (read_models.py) |
| `v` | its version: each write is made over the version it read |

`key_stations` remembers, per (dimension, key), the stations it has buckets at, so that one
key's buckets (a representative's duty record, a series) are read from its stations' documents
only. A read asks the store for one dimension's buckets of each day (a projection), and gets
them one by one, in the shape they always had (`dimension`, `station_id`, `key`, `day`, `counts`,
`durations`, `labels`). Pure but for `ensure_indexes` and `read`.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from services.reporting.domain.contributions import Contribution, Dimension, bucket_id
from services.reporting.domain.rollups import add_bucket
from shared.mongo import Document

COLLECTION = "station_days"
KEY_STATIONS = "key_stations"
CITY_STATION = ""

# (idempotency token, contribution)
Item = tuple[str, Contribution]
PartKey = tuple[str, str]


def day_id(station_id: str, day: date) -> str:
    return f"{station_id}|{day.isoformat()}"


def day_of(contribution: Contribution) -> str:
    """The id of the document a contribution is stored in."""
    return day_id(contribution.station_id, contribution.day)


def key_station_id(dimension: str, key: str) -> str:
    return f"{dimension}|{key}"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    days = db[COLLECTION]
    # A station's days (its own figures, its keys'); the city's are station "".
    await days.create_index([("station_id", 1), ("day", 1)])
    # Every station's days: the figures by station city-wide, and the monthly roll-ups.
    await days.create_index([("day", 1)])


def tokens(day: Document | None) -> set[str]:
    return set((day or {}).get("seen") or ())


def new_day(items: Sequence[Item]) -> Document:
    """A new document holding the items (all of one station and day)."""
    first = items[0][1]
    return {
        "_id": day_of(first),
        "station_id": first.station_id,
        "day": first.day.isoformat(),
        "buckets": _by_dimension(_parts(items, {})),
        "seen": sorted({t for t, _ in items}),
        "v": 1,
    }


def rewrite_day(before: Document, items: Sequence[Item], *, keep: set[str]) -> UpdateOne:
    """The stored document with the items added, written over the version it was read at;
    of its tokens, `keep` stay and the items' join them."""
    stored = {
        (dimension, str(part["key"])): copy.deepcopy(part)
        for dimension, parts in (before.get("buckets") or {}).items()
        for part in parts
    }
    return UpdateOne(
        {"_id": before["_id"], "v": before["v"]},
        {
            "$set": {
                "buckets": _by_dimension(_parts(items, stored)),
                "seen": sorted(keep | {t for t, _ in items}),
            },
            "$inc": {"v": 1},
        },
    )


def buckets_of(
    day: Mapping[str, Any], dimension: Dimension, keys: Collection[str] | None = None
) -> list[Document]:
    """The day's buckets of a dimension (and of these keys), each as a bucket document."""
    found: list[Document] = []
    station_id = str(day["station_id"])
    on = date.fromisoformat(str(day["day"]))
    for part in (day.get("buckets") or {}).get(dimension) or ():
        if keys is not None and part["key"] not in keys:
            continue
        found.append(
            {
                "_id": bucket_id(dimension, station_id, str(part["key"]), on),
                "dimension": dimension,
                "station_id": station_id,
                "key": part["key"],
                "day": day["day"],
                "counts": part.get("counts") or {},
                "durations": part.get("durations") or {},
                "labels": part.get("labels") or {},
            }
        )
    return found


def key_stations_of(items: Iterable[Item]) -> set[tuple[str, str, str]]:
    """(dimension, key, station) of the items' buckets other than the city's."""
    return {(c.dimension, c.key, c.station_id) for _, c in items if c.station_id != CITY_STATION}


async def read(
    db: AsyncDatabase[Document],
    dimension: Dimension,
    since: date,
    until: date,
    *,
    station_ids: Sequence[str] | None,
    keys: Collection[str] | None = None,
) -> list[Document]:
    """The buckets of a dimension over a period: from these stations' days, or every station's
    (`station_ids` None). One indexed range per station."""
    days = {"$gte": since.isoformat(), "$lte": until.isoformat()}
    queries = (
        [{"day": days}]
        if station_ids is None
        else [{"station_id": station, "day": days} for station in station_ids]
    )
    # Only the dimension's buckets: a station's day holds its representatives', categories' and
    # points' too.
    wanted = {"station_id": 1, "day": 1, f"buckets.{dimension}": 1}
    found: list[Document] = []
    for query in queries:
        async for day in db[COLLECTION].find(query, wanted):
            found.extend(buckets_of(day, dimension, keys))
    return found


def _parts(items: Sequence[Item], into: dict[PartKey, Document]) -> dict[PartKey, Document]:
    """The items' contributions added into the day's buckets, one per (dimension, key)."""
    grouped: dict[PartKey, list[Contribution]] = {}
    for _, contribution in items:
        grouped.setdefault((contribution.dimension, contribution.key), []).append(contribution)
    for (dimension, key), contributions in grouped.items():
        part = into.setdefault(
            (dimension, key), {"key": key, "counts": {}, "durations": {}, "labels": {}}
        )
        for field in ("counts", "durations", "labels"):
            part.setdefault(field, {})
        add_bucket(part, _sums(contributions))
    return into


def _by_dimension(parts: Mapping[PartKey, Document]) -> dict[str, list[Document]]:
    stored: dict[str, list[Document]] = {}
    for (dimension, _), part in parts.items():
        stored.setdefault(dimension, []).append(part)
    return stored


def _sums(contributions: Sequence[Contribution]) -> Document:
    """The contributions' counts (nested by their dotted names), durations and labels."""
    counts: dict[str, int] = {}
    durations: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for contribution in contributions:
        for name, n in contribution.counts.items():
            counts[name] = counts.get(name, 0) + n
        for kind, values in contribution.durations.items():
            durations.setdefault(kind, []).extend(values)
        labels.update(contribution.labels)
    return {"counts": _nested(counts), "durations": _nested(durations), "labels": _nested(labels)}


def _nested(flat: Mapping[str, Any]) -> Document:
    """Dotted names (`ratings.satisfied`) as nested fields, as the buckets have always held."""
    nested: Document = {}
    for name, value in flat.items():
        *parents, leaf = name.split(".")
        level = nested
        for parent in parents:
            level = level.setdefault(parent, {})
        level[leaf] = value
    return nested
