"""Reporting's station days: a station's buckets of a day in one document, written whole and
read back one bucket at a time; and the old buckets as changes. Pure."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reporting.adapters import station_days
from services.reporting.adapters.legacy import legacy_changes, moved_token
from services.reporting.domain.contributions import Contribution

DAY = date(2026, 3, 2)
RATED = {"ratings.satisfied": 1}


def part(dimension: str, key: str, *, station: str = "xijie", **counts: int) -> Contribution:
    return Contribution.model_validate(
        {"dimension": dimension, "station_id": station, "key": key, "day": DAY, "counts": counts}
    )


def test_a_day_holds_each_dimension_and_key_once_and_reads_back_as_buckets() -> None:
    items = [
        ("e1", part("station", "xijie", received=1)),
        ("e1", part("representative", "0412", received=1)),
        ("e2", part("station", "xijie", received=1)),
        ("e2", part("representative", "0415").model_copy(update={"counts": RATED})),
    ]
    day = station_days.new_day(items)
    assert day["_id"] == "xijie|2026-03-02"
    assert day["seen"] == ["e1", "e2"]
    assert {d: [p["key"] for p in parts] for d, parts in day["buckets"].items()} == {
        "station": ["xijie"],
        "representative": ["0412", "0415"],
    }
    (station,) = station_days.buckets_of(day, "station")
    assert station["counts"] == {"received": 2}
    assert station["_id"] == "station|xijie|xijie|2026-03-02"
    (rated,) = station_days.buckets_of(day, "representative", {"0415"})
    assert rated["counts"] == {"ratings": {"satisfied": 1}}
    assert station_days.buckets_of(day, "city") == []


def test_a_rewrite_adds_into_the_stored_buckets_over_their_version() -> None:
    before = station_days.new_day([("e1", part("station", "xijie", received=1))])
    update = station_days.rewrite_day(
        before,
        [
            ("e2", part("station", "xijie", received=1, accepted=1)),
            ("e2", part("category", "parking", received=1)),
        ],
        keep=set(),
    )
    assert update._filter == {"_id": "xijie|2026-03-02", "v": 1}
    written: dict[str, Any] = update._doc["$set"]  # type: ignore[call-overload]
    assert written["seen"] == ["e2"]  # e1 settled: not kept
    assert written["buckets"]["station"][0]["counts"] == {"received": 2, "accepted": 1}
    assert written["buckets"]["category"][0]["key"] == "parking"
    # The document read is not changed by building the write.
    assert before["buckets"]["station"][0]["counts"] == {"received": 1}


def test_the_city_is_the_day_of_no_station_and_has_no_key_stations() -> None:
    city = part("city", "city", station="", received=1)
    assert station_days.day_of(city) == "|2026-03-02"
    items = [("e1", city), ("e1", part("representative", "0412"))]
    assert station_days.key_stations_of(items) == {("representative", "0412", "xijie")}


def test_an_old_bucket_becomes_one_contribution_and_its_tokens_come_along() -> None:
    old = {
        "_id": "city||city|2026-03-02",
        "dimension": "city",
        "station_id": "",
        "key": "city",
        "day": "2026-03-02",
        "counts": {"received": 3, "ratings": {"satisfied": 1}},
        "durations": {"accept": [1_000]},
        "labels": {},
        "seen": {"mm1": True, "ee2": True},  # the oldest form: a map
        "v": 4,
    }
    changes = legacy_changes(old)
    (token, whole), *tokens = changes
    assert token == moved_token("city||city|2026-03-02")
    assert whole.counts == {"received": 3, "ratings.satisfied": 1}
    assert whole.durations == {"accept": [1_000]}
    assert [(t, c.counts) for t, c in tokens] == [("ee2", {}), ("mm1", {})]
    day = station_days.new_day(changes)
    (moved,) = station_days.buckets_of(day, "city")
    assert moved["counts"] == {"received": 3, "ratings": {"satisfied": 1}}
    assert set(day["seen"]) == {token, "ee2", "mm1"}
